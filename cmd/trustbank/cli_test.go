package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"trustbank/attest"
	"trustbank/attest/attesttest"
	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/internal/dbtest"
)

// The wallet and merchant command lines against a running server: init,
// withdraw, challenge, pay, accept (offline check, online deposit), and a
// replayed payment refused.
func TestWalletAndMerchantCLI(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	wallet, merchant := filepath.Join(dir, "wallet.json"), filepath.Join(dir, "merchant.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	if _, _, err := runCLI(t, "wallet", "init", "--state", wallet, "--server", base, "--user", "alice", "--account", "alice-acct", "--balance", "1000"); !errors.Is(err, ecashhttp.ErrUnauthorized) {
		t.Fatalf("wallet init without the operator's token: %v", err)
	}
	run("wallet", "init", "--state", wallet, "--server", base, "--user", "alice", "--account", "alice-acct", "--balance", "1000", "--admin-token", tok)
	run("merchant", "init", "--state", merchant, "--server", base, "--id", "shop", "--account", "shop-acct", "--admin-token", tok)
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
	// 5 cannot be made from a 64: the wallet swaps for change, then pays.
	ch = run("merchant", "challenge", "--state", merchant, "5")
	pay = run("wallet", "pay", "--state", wallet, "--challenge", ch)
	if out := run("merchant", "accept", "--state", merchant, "--payment", pay); !strings.Contains(out, "deposited 5") {
		t.Fatalf("paying with change: %s", out)
	}
	if out := run("wallet", "balance", "--state", wallet); !strings.Contains(out, "wallet 59") {
		t.Fatalf("after change: %s", out)
	}
	// Lose the coins, keep the seed: restore gets back exactly the unspent 59.
	var f walletFile
	if err := loadJSON(wallet, &f); err != nil {
		t.Fatal(err)
	}
	f.Coins, f.Next = nil, 0
	if err := saveJSON(wallet, f); err != nil {
		t.Fatal(err)
	}
	if out := run("wallet", "restore", "--state", wallet, "--gap", "3"); !strings.Contains(out, "worth 59") {
		t.Fatalf("restore: %s", out)
	}
	ch = run("merchant", "challenge", "--state", merchant, "59")
	pay = run("wallet", "pay", "--state", wallet, "--challenge", ch)
	if out := run("merchant", "accept", "--state", merchant, "--payment", pay); !strings.Contains(out, "deposited 59") {
		t.Fatalf("paying with restored coins: %s", out)
	}
	if _, _, err := runCLI(t, "wallet", "init", "--state", wallet, "--server", base, "--user", "x", "--account", "y"); err == nil {
		t.Fatal("init overwrote an existing wallet")
	}
}

// The merchant's point of sale over HTTP: challenge, pay, replay refused;
// the same limits and strict decoding as trustbank serve.
func TestMerchantServe(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	wallet, merchant := filepath.Join(dir, "wallet.json"), filepath.Join(dir, "merchant.json")
	for _, args := range [][]string{
		{"wallet", "init", "--state", wallet, "--server", base, "--user", "bob", "--account", "bob-acct", "--balance", "500", "--admin-token", tok},
		{"merchant", "init", "--state", merchant, "--server", base, "--id", "kiosk", "--account", "kiosk-acct", "--admin-token", tok},
		{"wallet", "withdraw", "--state", wallet, "50"},
	} {
		if _, errOut, err := runCLI(t, args...); err != nil {
			t.Fatalf("%v: %v %s", args, err, errOut)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	go Run(ctx, []string{"merchant", "serve", "--state", merchant, "--addr", "127.0.0.1:0", "--idle-timeout", "1s", "--max-conns", "8"}, pw, io.Discard)
	line, _ := bufio.NewReader(pr).ReadString('\n')
	_, pos, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("merchant serve: %q", line)
	}
	go io.Copy(io.Discard, pr)
	post := func(path, body string) (int, map[string]any) {
		resp, err := http.Post(pos+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, out := post("/v1/challenge", `{"amount": 18}`)
	if status != 200 {
		t.Fatalf("challenge: %d %v", status, out)
	}
	payment, _, err := runCLI(t, "wallet", "pay", "--state", wallet, "--challenge", out["challenge"].(string))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"payment": "` + strings.TrimSpace(payment) + `"}`
	if status, out = post("/v1/pay", body); status != 200 || out["amount"].(float64) != 18 {
		t.Fatalf("pay: %d %v", status, out)
	}
	if status, out = post("/v1/pay", body); status != http.StatusUnprocessableEntity {
		t.Fatalf("replayed payment: %d %v", status, out)
	}
	if status, _ = post("/v1/pay", `{"payment": "AAAA"}`); status != http.StatusBadRequest {
		t.Fatalf("garbage payment: %d", status)
	}
	for name, tc := range map[string]struct {
		method, path, contentType, body string
		status                          int
		code                            string
	}{
		"fail/null":       {"POST", "/v1/challenge", "application/json", "null", 400, "malformed"},
		"fail/text-plain": {"POST", "/v1/challenge", "text/plain", `{"amount": 5}`, 415, "unsupported_media_type"},
		"fail/unknown":    {"POST", "/v1/challenge", "application/json", `{"amount": 5, "x": 1}`, 400, "malformed"},
		"fail/404":        {"GET", "/v1/nothing", "", "", 404, "not_found"},
		"fail/405":        {"GET", "/v1/pay", "", "", 405, "method_not_allowed"},
	} {
		if status, _, e := call(t, tc.method, pos+tc.path, tc.contentType, tc.body, nil); status != tc.status || e.Code != tc.code {
			t.Errorf("%s: HTTP %d %+v", name, status, e)
		}
	}
	idle := dialRaw(t, pos, 0)
	if _, err := roundTrip(idle, bufio.NewReader(idle), "/v1/nothing"); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(idle, 4*time.Second) {
		t.Fatal("the point of sale kept an idle connection past --idle-timeout 1s")
	}
}

// A TPM-bound CLI wallet on swtpm: the wallet enrols its AIK with the
// EK certificate swtpm_setup stored (the server trusts that CA through
// --ek-ca; TPMs without a certificate or from another CA are refused), the
// bank demands and checks a quote of the golden PCRs, coins are bound and
// pay across runs (key blobs reloaded), a copy of the wallet file without
// the TPM cannot pay, and a wallet without a TPM cannot withdraw.
func TestTPMBoundWalletCLI(t *testing.T) {
	tpm, caPEM := attesttest.ManufacturedSWTPM(t)
	caFile := filepath.Join(t.TempDir(), "ek-ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	dev, err := attest.OpenPath(tpm)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := dev.PCRDigest()
	dev.Close()
	if err != nil {
		t.Fatal(err)
	}
	sargs := append(serverArgs(t, dbtest.Target{}), "--golden", hex.EncodeToString(golden), "--require-tpm", "--ek-ca", caFile)
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	wallet, merchant, stolen, plain := filepath.Join(dir, "w.json"), filepath.Join(dir, "m.json"), filepath.Join(dir, "stolen.json"), filepath.Join(dir, "plain.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	initWith := func(tpm string) error {
		_, _, err := runCLI(t, "wallet", "init", "--state", filepath.Join(dir, "refused.json"), "--server", base, "--user", "mallory",
			"--account", "mallory-acct", "--admin-token", tok, "--tpm", tpm)
		return err
	}
	if err := initWith(attesttest.SWTPMPath(t)); !errors.Is(err, attest.ErrNoEKCertificate) {
		t.Fatalf("a TPM without an EK certificate enrolled: %v", err)
	}
	other, _ := attesttest.ManufacturedSWTPM(t)
	if err := initWith(other); !errors.Is(err, ecash.ErrAttestation) {
		t.Fatalf("a TPM of an untrusted manufacturer enrolled: %v", err)
	}
	run("wallet", "init", "--state", wallet, "--server", base, "--user", "tina", "--account", "tina-acct", "--balance", "1000", "--admin-token", tok, "--tpm", tpm)
	run("merchant", "init", "--state", merchant, "--server", base, "--id", "shop", "--account", "shop-acct", "--admin-token", tok)
	if out := run("wallet", "withdraw", "--state", wallet, "100"); !strings.Contains(out, "bound to the TPM") {
		t.Fatalf("withdraw: %s", out)
	}
	ch := run("merchant", "challenge", "--state", merchant, "36")
	pay := run("wallet", "pay", "--state", wallet, "--challenge", ch)
	if out := run("merchant", "accept", "--state", merchant, "--payment", pay); !strings.Contains(out, "deposited 36") {
		t.Fatalf("accept: %s", out)
	}

	var f walletFile
	if err := loadJSON(wallet, &f); err != nil {
		t.Fatal(err)
	}
	f.TPM, f.KeyBlobs = "", nil // the thief copies the file, not the TPM
	if err := saveJSON(stolen, f); err != nil {
		t.Fatal(err)
	}
	ch = run("merchant", "challenge", "--state", merchant, "64")
	if _, _, err := runCLI(t, "wallet", "pay", "--state", stolen, "--challenge", ch); !errors.Is(err, ecash.ErrBinding) {
		t.Fatalf("stolen wallet paid: %v", err)
	}
	pay = run("wallet", "pay", "--state", wallet, "--challenge", ch) // the owner still can
	run("merchant", "accept", "--state", merchant, "--payment", pay)

	run("wallet", "init", "--state", plain, "--server", base, "--user", "pat", "--account", "pat-acct", "--balance", "100", "--admin-token", tok)
	if _, _, err := runCLI(t, "wallet", "withdraw", "--state", plain, "10"); !errors.Is(err, ecash.ErrAttestation) {
		t.Fatalf("withdrawal without a TPM: %v", err)
	}
}

// mustRun runs the CLI in process and returns its trimmed output, failing
// the test on an error.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("trustbank %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return strings.TrimSpace(out)
}

// User revocation from the command line: the operator revokes bob; bob's
// wallet can no longer withdraw but still pays with the coins it holds;
// alice's wallet applies the published update on its next run, withdraws
// at the new epoch and pays with old and new coins.
func TestUserRevocationCLI(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	alice, bob, merchant := filepath.Join(dir, "alice.json"), filepath.Join(dir, "bob.json"), filepath.Join(dir, "merchant.json")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	run("wallet", "init", "--state", alice, "--server", base, "--user", "alice", "--account", "alice-acct", "--balance", "1000", "--admin-token", tok)
	run("wallet", "init", "--state", bob, "--server", base, "--user", "bob", "--account", "bob-acct", "--balance", "1000", "--admin-token", tok)
	run("merchant", "init", "--state", merchant, "--server", base, "--id", "shop", "--account", "shop-acct", "--admin-token", tok)
	run("wallet", "withdraw", "--state", alice, "16")
	run("wallet", "withdraw", "--state", bob, "16")

	if _, _, err := runCLI(t, "users", "revoke", "--server", base, "--user", "bob"); !errors.Is(err, ecashhttp.ErrUnauthorized) {
		t.Fatalf("revoke without the operator's token: %v", err)
	}
	if out := run("users", "revoke", "--server", base, "--user", "bob", "--admin-token", tok); !strings.Contains(out, "now at epoch 1") {
		t.Fatalf("revoke: %s", out)
	}
	if out := run("users", "updates", "--server", base); !strings.Contains(out, "epoch 1: 184-byte update") {
		t.Fatalf("updates: %s", out)
	}
	if _, _, err := runCLI(t, "wallet", "withdraw", "--state", bob, "4"); !errors.Is(err, ecash.ErrUserRevoked) {
		t.Fatalf("revoked user withdrew: %v", err)
	}
	pay := func(wallet string, amount string) string {
		ch := run("merchant", "challenge", "--state", merchant, amount)
		return run("merchant", "accept", "--state", merchant, "--payment", run("wallet", "pay", "--state", wallet, "--challenge", ch))
	}
	if out := pay(bob, "16"); !strings.Contains(out, "deposited 16") {
		t.Fatalf("bob's coin from before the revocation: %s", out)
	}
	run("wallet", "withdraw", "--state", alice, "4")
	var f walletFile
	if err := loadJSON(alice, &f); err != nil || len(f.Members) != 2 {
		t.Fatalf("alice keeps %d user keys (%v); want the old and the new", len(f.Members), err)
	}
	if out := pay(alice, "20"); !strings.Contains(out, "deposited 20") {
		t.Fatalf("alice's old and new coins: %s", out)
	}
}
