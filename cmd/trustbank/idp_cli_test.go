package main

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/trust"
)

// The trust story from the command line against a real server: a user
// registers (mediate), logs in, is rated down until its tier is bad, logs
// in again as bad (and is refused a feature without the attribute check),
// the operator opens its authentication and revokes it.
func TestIDPCLI(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	dir := t.TempDir()
	key, auth := filepath.Join(dir, "alice.key"), filepath.Join(dir, "alice.auth")
	run := func(args ...string) string { t.Helper(); return mustRun(t, args...) }
	common := []string{"--server", base, "--user", "alice"}
	idp := func(sub string, args ...string) []string {
		return append(append([]string{"idp", sub}, common...), args...)
	}

	if _, _, err := runCLI(t, idp("register", "--key", key)...); err == nil {
		t.Fatal("registered without the operator's token")
	}
	if out := run(idp("register", "--key", key, "--admin-token", tok)...); !strings.Contains(out, "tier mediate") {
		t.Fatalf("register: %s", out)
	}
	txnRE := regexp.MustCompile(`transaction ([0-9a-f]{64})`)
	for i := 0; ; i++ {
		out := run(idp("login", "--key", key, "--feature", "read")...)
		m := txnRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("login: %s", out)
		}
		run("idp", "feedback", "--server", base, "--admin-token", tok, "--txn", m[1], "--tc", "0.05")
		if strings.Contains(run(idp("status", "--admin-token", tok)...), "tier bad") {
			break
		}
		if i == 10 {
			t.Fatal("tier never became bad")
		}
	}
	out, _, err := runCLI(t, idp("login", "--key", key, "--feature", "read", "--out", auth)...)
	if !strings.Contains(out, "as tier bad") || !errors.Is(err, trust.ErrForbidden) {
		t.Fatalf("login as bad: %s, %v", out, err)
	}
	if out := run(idp("open", "--auth", auth, "--admin-token", tok)...); !strings.Contains(out, "made by alice") {
		t.Fatalf("open: %s", out)
	}
	run(idp("revoke", "--admin-token", tok)...)
	if _, _, err := runCLI(t, idp("login", "--key", key)...); !errors.Is(err, trust.ErrUserRevoked) {
		t.Fatalf("login after exit: %v", err)
	}
}

func TestBenchTrustJSON(t *testing.T) {
	out, _, err := runCLI(t, "bench", "trust", "--json", "--time", "5ms", "--rounds", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"name": "auth"`, `"name": "feedback"`, `"efficiency"`, `"bound_ns_per_op"`, `"feedback_rows_after"`} {
		if !strings.Contains(out, name) {
			t.Errorf("bench trust output lacks %s:\n%s", name, out)
		}
	}
}
