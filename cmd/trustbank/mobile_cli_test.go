package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"trustbank/shield/bank"
	"trustbank/shield/ca"
	"trustbank/shield/middleware"
)

// The banking app against a real `trustbank serve`: the operator opens
// two accounts and issues a code; alice's card is personalised, enrolled
// (the node's CA issues her certificate into the card), logs in with it
// and signs a transfer after the PIN; a used code, a wrong PIN (with the
// tries left) and a transfer beyond the balance are refused.
func TestMobileCLI(t *testing.T) {
	args := []string{"--data", t.TempDir()}
	base, _ := startServer(t, args...)
	admin := []string{"--server", base, "--admin-token", adminToken(t, args)}
	const alice, bob = "6222020000000001", "6222020000000002"
	mustRun(t, append([]string{"mobile", "admin", "open", "--account", alice, "--owner", "Alice", "--id-card", "11010519491231002X", "--password", "pw-a", "--balance", "10000000"}, admin...)...)
	mustRun(t, append([]string{"mobile", "admin", "open", "--account", bob, "--owner", "Bob", "--id-card", "310115198001010024", "--password", "pw-b"}, admin...)...)
	code := mustRun(t, append([]string{"mobile", "admin", "code", "--account", alice}, admin...)...)

	dir := t.TempDir()
	cardState, host := filepath.Join(dir, "card.json"), filepath.Join(dir, "card-host.json")
	mustRun(t, "card", "init", "--state", cardState, "--host", host, "--pin", "123456", "--puk", "11223344")
	state, sandbox := filepath.Join(dir, "mobile.json"), filepath.Join(dir, "sandbox.bin")
	enroll := []string{"mobile", "enroll", "--state", state, "--server", base, "--account", alice, "--password", "pw-a",
		"--id-card", "11010519491231002X", "--card", cardState, "--host", host, "--sandbox", sandbox, "--pin", "123456"}
	out := mustRun(t, append(enroll, "--code", code)...)
	if !strings.Contains(out, "enrolled "+alice) || !strings.Contains(out, "stored in the card") {
		t.Fatalf("enroll: %s", out)
	}
	for _, p := range []string{state, sandbox} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", p, fi, err)
		}
	}
	if _, _, err := runCLI(t, append(enroll, "--state", filepath.Join(dir, "again.json"), "--code", code)...); !errors.Is(err, errUsage) {
		t.Fatalf("enrolling an enrolled card again: %v", err)
	}
	card2, host2 := filepath.Join(dir, "card2.json"), filepath.Join(dir, "card2-host.json")
	mustRun(t, "card", "init", "--state", card2, "--host", host2, "--pin", "123456", "--puk", "11223344")
	again := append(enroll, "--state", filepath.Join(dir, "again.json"), "--card", card2, "--host", host2,
		"--sandbox", filepath.Join(dir, "sandbox2.bin"), "--code", code)
	if _, _, err := runCLI(t, again...); !errors.Is(err, bank.ErrCodeInvalid) {
		t.Fatalf("enrollment with a used code: %v", err)
	}
	if status := mustRun(t, "card", "status", "--state", cardState); !strings.Contains(status, "key pair true") {
		t.Fatalf("card after enrollment: %s", status)
	}

	out = mustRun(t, "mobile", "login", "--state", state, "--pin", "123456")
	if !strings.Contains(out, "logged in to "+alice+": session level certificate") {
		t.Fatalf("login: %s", out)
	}
	out = mustRun(t, "mobile", "transfer", "--state", state, "--to", bob, "--name", "Bob", "--amount", "1234567", "--pin", "123456")
	for _, want := range []string{alice + " → " + bob + " 12345.67 CNY", "level certificate", "balance 87654.33 CNY"} {
		if !strings.Contains(out, want) {
			t.Fatalf("transfer receipt lacks %q: %s", want, out)
		}
	}

	_, _, err := runCLI(t, "mobile", "transfer", "--state", state, "--to", bob, "--amount", "100", "--pin", "000000")
	if pe, ok := errors.AsType[*middleware.PINError](err); !ok || pe.TriesLeft != 5 || !strings.Contains(err.Error(), "5 tries left") {
		t.Fatalf("wrong PIN: %v", err)
	}
	if status := mustRun(t, "card", "status", "--state", cardState); !strings.Contains(status, "PIN tries left 5 of 6") {
		t.Fatalf("card after a wrong PIN: %s", status)
	}
	if _, _, err := runCLI(t, "mobile", "transfer", "--state", state, "--to", bob, "--amount", "9000000", "--pin", "123456"); !errors.Is(err, bank.ErrInsufficientFunds) {
		t.Fatalf("transfer beyond the balance: %v", err)
	}

	// The operator revokes alice's certificate at the online CA: her
	// login is refused from then on.
	if _, _, err := runCLI(t, append([]string{"mobile", "admin", "revoke", "--account", alice, "--reason", "bored"}, admin...)...); !errors.Is(err, ca.ErrReason) {
		t.Fatalf("revoke with a bad reason: %v", err)
	}
	if _, _, err := runCLI(t, append([]string{"mobile", "admin", "revoke"}, admin...)...); !errors.Is(err, errUsage) {
		t.Fatalf("revoke naming nothing: %v", err)
	}
	mustRun(t, "mobile", "login", "--state", state, "--pin", "123456")
	out = mustRun(t, append([]string{"mobile", "admin", "revoke", "--account", alice, "--reason", "keyCompromise"}, admin...)...)
	if !strings.Contains(out, "revoked certificate") || !strings.Contains(out, "(keyCompromise)") {
		t.Fatalf("revoke: %s", out)
	}
	serial := strings.Fields(out)[2]
	if _, _, err := runCLI(t, append([]string{"mobile", "admin", "revoke", "--serial", serial}, admin...)...); !errors.Is(err, ca.ErrAlreadyRevoked) {
		t.Fatalf("revoking again: %v", err)
	}
	if _, _, err := runCLI(t, "mobile", "login", "--state", state, "--pin", "123456"); !errors.Is(err, bank.ErrRevoked) {
		t.Fatalf("login with a revoked certificate: %v", err)
	}
}
