package registry

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/dbtest"
)

// TestMain runs crashChild instead of the tests when a crash test started
// this binary as its child.
func TestMain(m *testing.M) {
	if os.Getenv("TRUSTBANK_CRASH_CHILD") == "1" {
		if err := crashChild(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild joins members and revokes every fifth one, forever, printing
// "join ID" or "revoke ID" only after the call has returned: each printed
// line is an acknowledged, supposedly durable operation.
func crashChild() error {
	ctx := context.Background()
	db, err := dbtest.FromEnv().Open(ctx)
	if err != nil {
		return err
	}
	store, err := NewSQLStore(ctx, db)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(os.Getenv("TRUSTBANK_CRASH_KEY"))
	if err != nil {
		return err
	}
	ik, err := groupsig.ParseIssuerKey(b)
	if err != nil {
		return err
	}
	is, err := LoadIssuer(ctx, store, "crash", ik)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		id := fmt.Sprint("m", i)
		if _, err := is.Join(ctx, id); err != nil {
			return err
		}
		fmt.Printf("join %s\n", id)
		if i%5 == 4 {
			victim := fmt.Sprint("m", i-2)
			if _, err := is.Revoke(ctx, victim); err != nil {
				return err
			}
			fmt.Printf("revoke %s\n", victim)
		}
	}
}

// kill -9 in the middle of a stream of joins and revocations: after the
// restart every acknowledged operation is there, the group's epoch counts
// exactly the recorded revocations, and every active member's stored base
// tag matches its sealed secret and gives a key valid at the current epoch
// (so no half-applied join or revocation).
func TestCrashDuringJoinsAndRevocations(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		db, err := tg.Open(ctx)
		mustNil(t, err)
		defer db.Close()
		store, err := NewSQLStore(ctx, db)
		mustNil(t, err)
		_, ik, _, err := groupsig.Setup(rand.Reader)
		mustNil(t, err)
		_, err = CreateGroup(ctx, store, "crash", ik)
		mustNil(t, err)
		keyFile := filepath.Join(t.TempDir(), "issuer.key")
		kb, _ := ik.MarshalBinary()
		mustNil(t, os.WriteFile(keyFile, kb, 0o600))

		acked := runAndKill(t, tg, keyFile, 40)

		is, err := LoadIssuer(ctx, store, "crash", ik)
		mustNil(t, err)
		pk := is.PublicKey()
		revs, err := store.Revocations(ctx, "crash", 0)
		mustNil(t, err)
		if pk.Epoch != uint64(len(revs)) {
			t.Fatalf("epoch %d but %d revocations recorded", pk.Epoch, len(revs))
		}
		for _, a := range acked {
			op, id, _ := strings.Cut(a, " ")
			m, err := store.Member(ctx, "crash", id)
			if err != nil {
				t.Fatalf("acknowledged %q lost: %v", a, err)
			}
			if op == "revoke" && m.Status != Revoked {
				t.Fatalf("acknowledged revocation of %s lost", id)
			}
		}
		members, err := store.Members(ctx, "crash")
		mustNil(t, err)
		for _, m := range members {
			if m.Status != Active {
				continue
			}
			mk, err := is.Join(ctx, m.ID) // idempotent: recomputes and checks the stored base tag
			if err != nil {
				t.Fatalf("member %s after crash: %v", m.ID, err)
			}
			mustNil(t, mk.Check(pk))
		}
		t.Logf("%d acknowledged operations, %d members, epoch %d after kill -9", len(acked), len(members), pk.Epoch)
	})
}

// runAndKill starts the child, reads acknowledgements until it has n, then
// kills it with SIGKILL and returns what it acknowledged.
func runAndKill(t *testing.T, tg dbtest.Target, keyFile string, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), tg.Env()...), "TRUSTBANK_CRASH_CHILD=1", "TRUSTBANK_CRASH_KEY="+keyFile)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	mustNil(t, err)
	mustNil(t, cmd.Start())
	var acked []string
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(60 * time.Second)
	for len(acked) < n && time.Now().Before(deadline) && lines.Scan() {
		acked = append(acked, lines.Text())
	}
	mustNil(t, cmd.Process.Kill()) // SIGKILL: no cleanup, no flush
	cmd.Wait()
	if len(acked) < n {
		t.Fatalf("child acknowledged only %d operations", len(acked))
	}
	return acked
}
