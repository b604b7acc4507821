package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// The ledger command lines against a running server: accounts opened by
// the operator, the six steps (request, pay, submit, notices, receipt), a
// replay and a thief refused, money through a QR code, and an audit.
func TestLedgerCLI(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	alice, bob, carol := filepath.Join(dir, "alice.json"), filepath.Join(dir, "bob.json"), filepath.Join(dir, "carol.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	if _, _, err := runCLI(t, "ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "10000"); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
		t.Fatalf("ledger init without the operator's token: %v", err)
	}
	if _, err := os.Stat(alice); err == nil {
		t.Fatal("a refused init left a state file")
	}
	run("ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "10000", "--admin-token", tok)
	run("ledger", "init", "--state", bob, "--server", base, "--name", "bob", "--admin-token", tok)
	run("ledger", "init", "--state", carol, "--server", base, "--name", "carol", "--admin-token", tok)

	notice := run("ledger", "request", "--state", bob, "--amount", "2500", "--purpose", "bicycle repair")
	qr := filepath.Join(dir, "money.png")
	money := run("ledger", "pay", "--state", alice, "--notice", notice, "--qr", qr)
	// The money travels as a QR code: decoded, it is the same bytes.
	if got := run("ledger", "qr", "--decode", qr); got != money {
		t.Fatal("money changed through its QR code")
	}
	// Carol has a copy; it is worthless to her.
	if _, _, err := runCLI(t, "ledger", "submit", "--state", carol, "--money", money); !errors.Is(err, ledger.ErrNotPayee) {
		t.Fatalf("carol submitting bob's money: %v", err)
	}
	settlement := run("ledger", "submit", "--state", bob, "--money", money)
	if _, _, err := runCLI(t, "ledger", "submit", "--state", bob, "--money", money); !errors.Is(err, ledger.ErrReplayed) {
		t.Fatalf("submitting twice: %v", err)
	}
	_, errOut, err := runCLI(t, "ledger", "notice", "--state", alice, "--index", "0", "--balance")
	if err != nil || !strings.Contains(errOut, "your balance after it: 7500") {
		t.Fatalf("balance notice: %v %s", err, errOut)
	}
	receipt := run("ledger", "receipt", "--state", bob, "--money", money, "--notice", settlement)
	if m, err := ledger.DecodeQRMessage(mustB64(t, receipt)); err != nil {
		t.Fatal(err)
	} else if rc := m.(*ledger.Receipt); rc.Amount != 2500 || rc.Payer != "alice" {
		t.Fatalf("receipt %+v", rc)
	}
	cp := filepath.Join(dir, "auditor.json")
	if out := run("ledger", "audit", "--server", base, "--checkpoint", cp); !strings.Contains(out, "first audit") {
		t.Fatalf("audit: %s", out)
	}
	notice = run("ledger", "request", "--state", carol, "--amount", "100", "--purpose", "tea")
	run("ledger", "submit", "--state", carol, "--money", run("ledger", "pay", "--state", bob, "--notice", notice))
	if out := run("ledger", "audit", "--server", base, "--checkpoint", cp); !strings.Contains(out, "log of 2 entries extends the audited one of 1") {
		t.Fatalf("audit: %s", out)
	}
	if out := run("ledger", "check", "--server", base, "--admin-token", tok); !strings.Contains(out, "2 entries, evidence chain whole") {
		t.Fatalf("check: %s", out)
	}
	if out := run("ledger", "check", "--deep", "--server", base, "--admin-token", tok); !strings.Contains(out, "2 entries deep-checked in") {
		t.Fatalf("deep check: %s", out)
	}
	if out := run("ledger", "close", "--server", base, "--admin-token", tok); !strings.Contains(out, "closed at 2 entries") {
		t.Fatalf("close: %s", out)
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64Arg("x", s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An SM9 deployment: the bank issues the account keys (identity-based),
// and the same six steps work from the command line.
func TestLedgerCLISM9(t *testing.T) {
	sargs := append(serverArgs(t, dbtest.Target{}), "--ledger-scheme", "sm9")
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	alice, bob := filepath.Join(dir, "alice.json"), filepath.Join(dir, "bob.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	if out := run("ledger", "init", "--state", alice, "--server", base, "--name", "alice", "--opening", "5000", "--admin-token", tok); !strings.Contains(out, "sm9") {
		t.Fatalf("init: %s", out)
	}
	run("ledger", "init", "--state", bob, "--server", base, "--name", "bob", "--admin-token", tok)
	notice := run("ledger", "request", "--state", bob, "--amount", "700", "--purpose", "sm9 lunch")
	money := run("ledger", "pay", "--state", alice, "--notice", notice)
	m, err := ledger.DecodeQRMessage(mustB64(t, money))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.(*ledger.Money).Sig4) != 97 {
		t.Fatalf("not an SM9 signature: %d bytes", len(m.(*ledger.Money).Sig4))
	}
	run("ledger", "submit", "--state", bob, "--money", money)
	if _, _, err := runCLI(t, "ledger", "notice", "--state", alice, "--index", "0", "--balance"); !errors.Is(err, ledger.ErrNoSM2Key) {
		t.Fatalf("balance notice in an SM9 deployment: %v", err)
	}
	if _, err := (&ledgerhttp.Client{Base: base}).BalanceNotice(context.Background(), 0); !errors.Is(err, ledger.ErrNoSM2Key) {
		t.Fatalf("balance notice over HTTP in an SM9 deployment: %v", err)
	}
	if out := run("ledger", "check", "--server", base, "--admin-token", tok); !strings.Contains(out, "1 entries, evidence chain whole") {
		t.Fatalf("check: %s", out)
	}
}
