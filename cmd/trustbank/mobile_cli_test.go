package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"trustbank/shield/bank"
	"trustbank/shield/ca"
	"trustbank/shield/card"
	"trustbank/shield/card/pcsctest"
	"trustbank/shield/middleware"
)

// mobileBank starts a real `trustbank serve`, opens account (balance in
// yuan) for Alice and issues her an enrollment code; it returns the
// server, the operator's flags and the code.
func mobileBank(t *testing.T, account, balance string) (base string, admin []string, code string) {
	t.Helper()
	args := []string{"--data", t.TempDir()}
	base, _ = startServer(t, args...)
	admin = []string{"--server", base, "--admin-token", adminToken(t, args)}
	mustRun(t, append([]string{"mobile", "admin", "open", "--account", account, "--owner", "Alice", "--id-card", "11010519491231002X", "--password", "pw-a", "--balance", balance}, admin...)...)
	code = mustRun(t, append([]string{"mobile", "admin", "code", "--account", account}, admin...)...)
	return base, admin, code
}

// cardFiles personalises a new card (PIN 123456, PUK 11223344) and returns
// its state and host files, dir/name.json and dir/name-host.json.
func cardFiles(t *testing.T, dir, name string) (state, host string) {
	t.Helper()
	state, host = filepath.Join(dir, name+".json"), filepath.Join(dir, name+"-host.json")
	mustRun(t, "card", "init", "--state", state, "--host", host, "--pin", "123456", "--puk", "11223344")
	return state, host
}

// The banking app against a real `trustbank serve`: the operator opens
// two accounts and issues a code; alice's card is personalised, enrolled
// (the node's CA issues her certificate into the card), logs in with it
// and signs a transfer after the PIN; a used code, a wrong PIN (with the
// tries left) and a transfer beyond the balance are refused.
func TestMobileCLI(t *testing.T) {
	const alice, bob = "6222020000000001", "6222020000000002"
	base, admin, code := mobileBank(t, alice, "10000000")
	mustRun(t, append([]string{"mobile", "admin", "open", "--account", bob, "--owner", "Bob", "--id-card", "310115198001010024", "--password", "pw-b"}, admin...)...)

	dir := t.TempDir()
	cardState, host := cardFiles(t, dir, "card")
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
	// Enrolling the enrolled card again with a used code fails at the bank
	// after the card made a new (pending) key: alice's card still logs in.
	if _, _, err := runCLI(t, append(enroll, "--state", filepath.Join(dir, "again.json"), "--code", code)...); !errors.Is(err, bank.ErrCodeInvalid) {
		t.Fatalf("enrolling an enrolled card again with a used code: %v", err)
	}
	if status := mustRun(t, "card", "status", "--state", cardState); !strings.Contains(status, "pending key pair true") {
		t.Fatalf("card after a refused re-enrollment: %s", status)
	}
	if out := mustRun(t, "mobile", "login", "--state", state, "--pin", "123456"); !strings.Contains(out, "logged in to "+alice) {
		t.Fatalf("login after a refused re-enrollment: %s", out)
	}
	card2, host2 := cardFiles(t, dir, "card2")
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

// The app and the card CLI through a real PC/SC reader: `card serve`
// plugs the card into pcscd through vpcd; `mobile enroll --reader`
// enrolls it, `mobile login` (the state file remembers the reader) logs
// in, and `card status|pin --reader` read and change it through pcscd.
func TestMobileAndCardCLIOverPCSC(t *testing.T) {
	slot := pcsctest.VPCD(t, 1)
	const alice = "6222020000000001"
	base, _, code := mobileBank(t, alice, "100")
	dir := t.TempDir()
	cardState, host := cardFiles(t, dir, "card")
	cmd := exec.Command(os.Args[0], "card", "serve", "--state", cardState, "--vpcd", slot.Addr)
	cmd.Env = append(os.Environ(), "TRUSTBANK_RUN_MAIN=1")
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	state := filepath.Join(dir, "mobile.json")
	out := mustRun(t, "mobile", "enroll", "--state", state, "--server", base, "--account", alice, "--password", "pw-a",
		"--id-card", "11010519491231002X", "--reader", slot.Reader, "--host", host, "--sandbox", filepath.Join(dir, "sandbox.bin"),
		"--pin", "123456", "--code", strings.TrimSpace(code))
	if !strings.Contains(out, "enrolled "+alice) {
		t.Fatalf("enroll over PC/SC: %s", out)
	}
	if out := mustRun(t, "mobile", "login", "--state", state, "--pin", "123456"); !strings.Contains(out, "logged in to "+alice) {
		t.Fatalf("login over PC/SC: %s", out)
	}
	status := mustRun(t, "card", "status", "--reader", slot.Reader)
	for _, want := range []string{"PIN tries left 6 of 6", "key pair true\npending key pair false\nroot key true"} {
		if !strings.Contains(status, want) {
			t.Fatalf("card status --reader lacks %q:\n%s", want, status)
		}
	}
	if _, _, err := runCLI(t, "card", "pin", "--reader", slot.Reader, "--host", host, "--old", "000000", "--new", "2468"); !errors.Is(err, card.ErrWrongPIN) {
		t.Fatalf("card pin --reader with a wrong PIN: %v", err)
	}
	if out := mustRun(t, "card", "status", "--reader", slot.Reader); !strings.Contains(out, "PIN tries left 5 of 6") {
		t.Fatalf("card status --reader after a wrong PIN:\n%s", out)
	}
	mustRun(t, "card", "pin", "--reader", slot.Reader, "--host", host, "--old", "123456", "--new", "2468")
	if out := mustRun(t, "mobile", "login", "--state", state, "--pin", "2468"); !strings.Contains(out, "logged in to "+alice) {
		t.Fatalf("login with the new PIN: %s", out)
	}
}
