package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The enrollment confirmation never reaches the bank (a proxy in front of
// a real `trustbank serve` drops it) after the card stored the
// certificate and switched keys: `mobile enroll` says so, saves the state
// with the confirmation, and the next `mobile login` (whose resend is
// dropped too) completes the enrollment with the new key's signature.
func TestMobileCLILostConfirm(t *testing.T) {
	const alice = "6222020000000001"
	base, _, code := mobileBank(t, alice, "100")
	target, err := url.Parse(base)
	must(t, err)
	forward := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/shield/v1/enroll/confirm" {
			http.Error(w, "connection lost", http.StatusBadGateway)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	dir := t.TempDir()
	cardState, host := cardFiles(t, dir, "card")
	state := filepath.Join(dir, "mobile.json")
	_, _, err = runCLI(t, "mobile", "enroll", "--state", state, "--server", proxy.URL, "--account", alice, "--password", "pw-a",
		"--card", cardState, "--host", host, "--sandbox", filepath.Join(dir, "sandbox.bin"), "--pin", "123456", "--code", code)
	if err == nil || !strings.Contains(err.Error(), "now signs with its new key") || !strings.Contains(err.Error(), "mobile login --state "+state) {
		t.Fatalf("enroll with a lost confirmation: %v", err)
	}
	if b, err := os.ReadFile(state); err != nil || !strings.Contains(string(b), "pending_confirm") {
		t.Fatalf("state after a lost confirmation: %s, %v", b, err)
	}
	out := mustRun(t, "mobile", "login", "--state", state, "--pin", "123456")
	if !strings.Contains(out, "completed the enrollment") || !strings.Contains(out, "logged in to "+alice+": session level certificate") {
		t.Fatalf("login after a lost confirmation: %s", out)
	}
	if b, err := os.ReadFile(state); err != nil || strings.Contains(string(b), "pending_confirm") {
		t.Fatalf("state after the completing login: %s, %v", b, err)
	}
	if out := mustRun(t, "mobile", "login", "--state", state, "--pin", "123456"); strings.Contains(out, "completed") {
		t.Fatalf("second login: %s", out)
	}
}
