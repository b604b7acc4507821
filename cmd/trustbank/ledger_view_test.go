package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
	"trustbank/ledger/ledgertest"
)

// freeAddr is a local address to serve on across restarts.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// stop ends a child server the way an operator would, so it shuts down.
func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
}

// startChild runs `trustbank args...` and waits for its "listening on".
func startChild(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRUSTBANK_RUN_MAIN=1")
	cmd.Stderr = os.Stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if strings.Contains(lines.Text(), "listening on ") {
			go io.Copy(io.Discard, out)
			return cmd
		}
	}
	t.Fatalf("%v did not start", args)
	return nil
}

// The attack from the command line: the bank's database goes back one
// entry (SQLite: an older copy of the file restored; PostgreSQL: the last
// entry and its rows deleted) after holders, an auditor and a witness saw
// it. Each of them says "rolled back" — not malformed — the bank refuses
// to book and its check says rolled back, the witness keeps the evidence,
// and nothing anyone saved is overwritten.
func TestLedgerCLIRollback(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		addr := freeAddr(t)
		sargs := append(serverArgs(t, tg), "--addr", addr)
		data := sargs[1]
		base := "http://" + addr
		_, server := startServer(t, sargs...)
		tok := adminToken(t, sargs)
		dir := t.TempDir()
		st := func(n string) string { return filepath.Join(dir, n) }
		run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
		run("ledger", "init", "--state", st("alice"), "--server", base, "--name", "alice", "--opening", "10000", "--admin-token", tok)
		run("ledger", "init", "--state", st("bob"), "--server", base, "--name", "bob", "--admin-token", tok)
		pay := func(amount string) (string, error) {
			notice := run("ledger", "request", "--state", st("bob"), "--amount", amount, "--purpose", "rent")
			money := run("ledger", "pay", "--state", st("alice"), "--notice", notice)
			out, _, err := runCLI(t, "ledger", "submit", "--state", st("bob"), "--money", money)
			return out, err
		}
		if _, err := pay("100"); err != nil {
			t.Fatal(err)
		}
		// The witness: first use prints its key; then it serves.
		waddr := freeAddr(t)
		out := run("ledger", "witness", "--state", st("witness"), "--server", base, "--name", "witness.example/w1")
		vkey, _, _ := strings.Cut(strings.TrimPrefix(out, "witness key (give it to clients as --witness-key): "), "\n")
		if _, err := ledger.ParseWitnessKey(vkey); err != nil {
			t.Fatalf("witness key %q: %v", vkey, err)
		}
		startChild(t, "ledger", "witness", "--state", st("witness"), "--serve", "--addr", waddr)
		wurl := "http://" + waddr
		run("ledger", "init", "--state", st("carol"), "--server", base, "--name", "carol", "--admin-token", tok, "--witness", wurl, "--witness-key", vkey)
		run("ledger", "audit", "--server", base, "--checkpoint", st("audit"))

		// A client requiring another witness's cosignature refuses the checkpoint.
		other, _ := ledger.NewCosigner("witness.example/w2", append(make([]byte, 31), 7), nil)
		if _, _, err := runCLI(t, "ledger", "audit", "--server", base, "--checkpoint", st("audit-w2"), "--witness", wurl, "--witness-key", other.VerifierKey()); !errors.Is(err, ledger.ErrNotCosigned) {
			t.Fatalf("audit requiring a witness that did not cosign: %v", err)
		}

		// The database as it is now, one entry before the end.
		stop(t, server)
		snapshot := copyDB(t, tg, data, nil)
		_, server = startServer(t, sargs...)
		if _, err := pay("200"); err != nil {
			t.Fatal(err)
		}
		run("ledger", "notice", "--state", st("alice"), "--index", "1")
		if out := run("ledger", "sync", "--state", st("carol")); !strings.Contains(out, "2 entries") {
			t.Fatalf("carol through the witness: %s", out)
		}
		if out := run("ledger", "audit", "--server", base, "--checkpoint", st("audit")); !strings.Contains(out, "log of 2 entries extends the audited one of 1") {
			t.Fatalf("audit: %s", out)
		}

		stop(t, server)
		copyDB(t, tg, data, snapshot) // the rollback
		startServer(t, sargs...)
		saved := map[string]string{}
		for _, f := range []string{"alice", "bob", "carol", "audit"} {
			saved[f] = savedCheckpoint(t, st(f))
		}
		for name, args := range map[string][]string{
			"alice notice":            {"ledger", "notice", "--state", st("alice"), "--index", "0"},
			"bob sync":                {"ledger", "sync", "--state", st("bob")},
			"auditor":                 {"ledger", "audit", "--server", base, "--checkpoint", st("audit")},
			"carol (witness refuses)": {"ledger", "sync", "--state", st("carol")},
		} {
			_, _, err := runCLI(t, args...)
			if !errors.Is(err, ledger.ErrRollback) || errors.Is(err, ledger.ErrMalformed) || !strings.Contains(err.Error(), "rolled back") {
				t.Errorf("%s after the rollback: %v", name, err)
			}
		}
		if _, err := pay("300"); !errors.Is(err, ledger.ErrRollback) {
			t.Errorf("booking on the rolled-back bank: %v", err)
		}
		out, _, err := runCLI(t, "ledger", "check", "--server", base, "--admin-token", tok)
		if err == nil || !strings.Contains(out, "rolled back: size 1 < 2 seen") || strings.Contains(out, "whole") {
			t.Errorf("check of the rolled-back bank: %v\n%s", err, out)
		}
		for f, cp := range saved {
			if now := savedCheckpoint(t, st(f)); now != cp || !strings.Contains(now, "\n2\n") {
				t.Errorf("%s's saved checkpoint changed by a refused one:\n%s", f, now)
			}
		}
		var w witnessFile
		if err := loadJSON(st("witness"), &w); err != nil || len(w.Evidence) != 1 || !strings.Contains(w.Evidence[0].Seen, "\n2\n") || !strings.Contains(w.Evidence[0].Got, "\n1\n") {
			t.Errorf("witness evidence: %v %+v", err, w.Evidence)
		}
	})
}

// savedCheckpoint is the checkpoint note a holder's or auditor's file keeps.
func savedCheckpoint(t *testing.T, path string) string {
	var f struct {
		Checkpoint json.RawMessage `json:"checkpoint"`
		Note       string          `json:"note"`
	}
	if err := loadJSON(path, &f); err != nil {
		t.Fatal(err)
	}
	if f.Note != "" {
		return f.Note
	}
	var s string
	json.Unmarshal(f.Checkpoint, &s)
	return s
}

// copyDB saves the book (restore == nil) or rolls it back to the saved
// copy: SQLite files copied back; for PostgreSQL, the rows past the
// saved size deleted.
func copyDB(t *testing.T, tg dbtest.Target, data string, restore map[string][]byte) map[string][]byte {
	t.Helper()
	if tg.DSN != "" {
		if restore != nil {
			db, err := sqldb.OpenPostgres(context.Background(), tg.DSN, tg.Schema)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := ledgertest.RollBack(context.Background(), db, 1); err != nil {
				t.Fatal(err)
			}
		}
		return map[string][]byte{}
	}
	files, _ := filepath.Glob(filepath.Join(data, "trustbank.db*"))
	if restore == nil {
		saved := map[string][]byte{}
		for _, f := range files {
			saved[f], _ = os.ReadFile(f)
		}
		return saved
	}
	for _, f := range files {
		os.Remove(f)
	}
	for f, b := range restore {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return nil
}

// An audit file that cannot be read is an error, and stays as it is; only
// a file that does not exist starts a first audit.
func TestLedgerAuditCorruptFile(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	alice, bob := filepath.Join(dir, "alice.json"), filepath.Join(dir, "bob.json")
	mustRun(t, "ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "500", "--admin-token", tok)
	mustRun(t, "ledger", "init", "--state", bob, "--server", base, "--name", "bob", "--admin-token", tok)
	notice := mustRun(t, "ledger", "request", "--state", bob, "--amount", "5", "--purpose", "x")
	mustRun(t, "ledger", "submit", "--state", bob, "--money", mustRun(t, "ledger", "pay", "--state", alice, "--notice", notice))
	audit := filepath.Join(dir, "audit.json")
	mustRun(t, "ledger", "audit", "--server", base, "--checkpoint", audit)
	good, _ := os.ReadFile(audit)
	if !bytes.Contains(good, []byte(`ledger\n1\n`)) {
		t.Fatalf("audit file holds no checkpoint note: %s", good)
	}
	for name, bad := range map[string][]byte{
		"truncated":     good[:len(good)/2],
		"empty":         {},
		"no-checkpoint": []byte(`{"bank_key":null}`),
		"bad-note":      bytes.Replace(good, []byte(`ledger\n1\n`), []byte(`ledger\n9\n`), 1),
	} {
		if err := os.WriteFile(audit, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, _, err := runCLI(t, "ledger", "audit", "--server", base, "--checkpoint", audit); err == nil || strings.Contains(out, "first audit") {
			t.Errorf("%s audit file: %v %s", name, err, out)
		}
		if now, _ := os.ReadFile(audit); !bytes.Equal(now, bad) {
			t.Errorf("%s audit file overwritten", name)
		}
	}
	// A holder's state whose saved checkpoint is corrupt: an error, not a first use.
	var f ledgerFile
	if err := loadJSON(bob, &f); err != nil || f.Checkpoint == "" {
		t.Fatalf("bob's state: %v", err)
	}
	f.Checkpoint = strings.Replace(f.Checkpoint, "\n1\n", "\n9\n", 1)
	saveJSON(bob, f)
	if _, _, err := runCLI(t, "ledger", "sync", "--state", bob); !errors.Is(err, ledger.ErrBadSignature) {
		t.Fatalf("sync on a corrupt saved checkpoint: %v", err)
	}
}
