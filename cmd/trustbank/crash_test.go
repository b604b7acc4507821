package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// startServer runs `trustbank serve` as a child process and returns its
// base URL; the process is killed when the test ends.
func startServer(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--max-denom", "4", "--lookahead", "0"}, args...)...)
	cmd.Env = append(os.Environ(), "TRUSTBANK_RUN_MAIN=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if _, addr, ok := strings.Cut(lines.Text(), "listening on "); ok {
			go io.Copy(io.Discard, out)
			return addr, cmd
		}
	}
	t.Fatal("server did not start")
	return "", nil
}

// adminToken reads the operator token the server wrote to its data dir.
func adminToken(t *testing.T, args []string) string {
	t.Helper()
	for i, a := range args {
		if a == "--data" && i+1 < len(args) {
			var sec struct {
				AdminToken string `json:"admin_token"`
			}
			b, err := os.ReadFile(filepath.Join(args[i+1], "secrets.json"))
			if err == nil {
				err = json.Unmarshal(b, &sec)
			}
			if err != nil || sec.AdminToken == "" {
				t.Fatalf("admin token: %v", err)
			}
			return sec.AdminToken
		}
	}
	t.Fatal("no --data in server args")
	return ""
}

// serverArgs returns the storage flags for a test target, creating the
// PostgreSQL schema the child will use.
func serverArgs(t *testing.T, tg dbtest.Target) []string {
	args := []string{"--data", t.TempDir()}
	if tg.DSN == "" {
		return args
	}
	db, err := sqldb.OpenPostgres(context.Background(), tg.DSN, tg.Schema) // creates the schema
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	u, err := url.Parse(tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", tg.Schema)
	u.RawQuery = q.Encode()
	return append(args, "--pg", u.String())
}

// kill -9 of the server during a stream of deposits: after a restart every
// acknowledged deposit is there, retrying every request credits each
// payment exactly once, and balances plus float are what was paid in.
func TestCrashDuringDeposits(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		args := serverArgs(t, tg)
		base, cmd := startServer(t, args...)
		c := &ecashhttp.Client{Base: base, AdminToken: adminToken(t, args)}
		_, aliceKey, _ := ed25519.GenerateKey(rand.Reader)
		_, shopKey, _ := ed25519.GenerateKey(rand.Reader)
		must(t, c.OpenAccount(ctx, "bank-a", "alice-acct", "alice", aliceKey.Public().(ed25519.PublicKey), 1000))
		must(t, c.OpenAccount(ctx, "bank-b", "shop-acct", "shop", shopKey.Public().(ed25519.PublicKey), 0))
		ks, _, err := c.KeySet(ctx, nil)
		must(t, err)
		mk, err := c.RegisterUser(ctx, "alice")
		must(t, err)
		var seed [32]byte
		rand.Read(seed[:])
		w := ecash.NewWallet(seed, ks, mk, c.UserKeys(ctx), nil)
		const n = 40
		for range n {
			p, err := w.Withdraw("alice-acct", aliceKey, 1, ks.Schedule.EpochAt(time.Now()))
			must(t, err)
			resp, err := c.Withdraw(ctx, "bank-a", p.Request)
			must(t, err)
			must(t, w.Finish(p, resp))
		}
		m := ecash.NewMerchant("bank-b", "shop-acct", func() *ecash.KeySet { return ks }, c.UserKeys(ctx), nil)
		reqs := make([]*ecash.DepositRequest, n)
		for i := range reqs {
			ch, _ := m.Challenge(1)
			p, err := w.Pay(ch)
			must(t, err)
			must(t, m.Accept(p))
			reqs[i], err = m.DepositRequest(p, shopKey)
			must(t, err)
		}

		acked := depositUntilKilled(t, c, reqs, cmd, n/2)
		base, _ = startServer(t, args...)
		c = &ecashhttp.Client{Base: base, AdminToken: adminToken(t, args)}
		a, err := c.Account(ctx, "bank-b", "shop-acct", shopKey)
		must(t, err)
		if int(a.Balance) < len(acked) {
			t.Fatalf("%d deposits acknowledged but balance %d after restart", len(acked), a.Balance)
		}
		for _, q := range reqs { // retry everything: acknowledged ones answer from the log
			if _, err := c.Deposit(ctx, "bank-b", q); err != nil {
				t.Fatalf("retry after restart: %v", err)
			}
		}
		a, _ = c.Account(ctx, "bank-b", "shop-acct", nil)
		tot, _ := c.Totals(ctx)
		if a.Balance != n || tot.Balances+tot.Float != 1000 || tot.Positions != -int64(tot.Float) {
			t.Fatalf("after retries: shop %d, totals %+v", a.Balance, tot)
		}
		t.Logf("%d of %d deposits acknowledged before kill -9; all %d credited exactly once after restart", len(acked), n, n)
	})
}

// depositUntilKilled sends the requests from 4 workers and SIGKILLs the
// server once `after` have been acknowledged; it returns the acknowledged.
func depositUntilKilled(t *testing.T, c *ecashhttp.Client, reqs []*ecash.DepositRequest, cmd *exec.Cmd, after int) []int {
	return untilKilled(cmd, len(reqs), 4, after, func(i int) error {
		_, err := c.Deposit(context.Background(), "bank-b", reqs[i])
		return err
	})
}

// untilKilled runs op(0..n−1) on workers goroutines and SIGKILLs the server
// once `after` calls have succeeded; it returns the indexes that succeeded
// (the acknowledged requests). A failed call is one the server died under.
func untilKilled(cmd *exec.Cmd, n, workers, after int, op func(i int) error) []int {
	var mu sync.Mutex
	var acked []int
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	for range workers {
		wg.Go(func() {
			for i := range next {
				if op(i) != nil {
					continue
				}
				mu.Lock()
				acked = append(acked, i)
				if len(acked) >= after {
					once.Do(func() { cmd.Process.Signal(syscall.SIGKILL) })
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	cmd.Wait()
	return acked
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
