package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"trustbank/ecash"
	"trustbank/internal/dbtest"
)

// The wallet and merchant command lines against a running server: init,
// withdraw, challenge, pay, accept (offline check, online deposit), and a
// replayed payment refused.
func TestWalletAndMerchantCLI(t *testing.T) {
	base, _ := startServer(t, serverArgs(t, dbtest.Target{})...)
	dir := t.TempDir()
	wallet, merchant := filepath.Join(dir, "wallet.json"), filepath.Join(dir, "merchant.json")
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("trustbank %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return strings.TrimSpace(out)
	}
	run("wallet", "init", "--state", wallet, "--server", base, "--user", "alice", "--account", "alice-acct", "--balance", "1000")
	run("merchant", "init", "--state", merchant, "--server", base, "--id", "shop", "--account", "shop-acct")
	if out := run("wallet", "withdraw", "--state", wallet, "100"); !strings.Contains(out, "wallet holds 100") {
		t.Fatalf("withdraw: %s", out)
	}
	ch := run("merchant", "challenge", "--state", merchant, "36")
	pay := run("wallet", "pay", "--state", wallet, "--challenge", ch)
	if out := run("merchant", "accept", "--state", merchant, "--payment", pay); !strings.Contains(out, "deposited 36 at bank-b") {
		t.Fatalf("accept: %s", out)
	}
	if out := run("wallet", "balance", "--state", wallet); !strings.Contains(out, "wallet 64") || !strings.Contains(out, ": 900") {
		t.Fatalf("balance: %s", out)
	}
	_, _, err := runCLI(t, "merchant", "accept", "--state", merchant, "--payment", pay)
	if !errors.Is(err, ecash.ErrChallenge) {
		t.Fatalf("replayed payment: %v", err)
	}
	if _, _, err := runCLI(t, "wallet", "init", "--state", wallet, "--server", base, "--user", "x", "--account", "y"); err == nil {
		t.Fatal("init overwrote an existing wallet")
	}
}
