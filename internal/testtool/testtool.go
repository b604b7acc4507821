// Package testtool finds the command-line tools tests cross-check against
// (openssl, swtpm, zbarimg, pdftoppm, xmllint, pcscd, …) with one rule:
// under CI (CI set, and not "false" or "0") a missing tool fails the test,
// because .ci/run installs every one of them and a skipped check proves
// nothing; elsewhere the test is skipped, or the optional check left out.
package testtool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// CI reports whether the tests run under CI.
func CI() bool {
	ci := os.Getenv("CI")
	return ci != "" && !strings.EqualFold(ci, "false") && ci != "0"
}

// Missing fails t under CI and skips it elsewhere, naming what is missing.
func Missing(t testing.TB, what string) {
	t.Helper()
	if CI() {
		t.Fatalf("%s is not available; .ci/run must provide it", what)
	}
	t.Skipf("%s is not available; CI runs this test", what)
}

// Need returns the path of the tool name from the Debian package pkg; without
// it t fails under CI and is skipped elsewhere.
func Need(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" (apt-get install "+pkg+")")
	}
	return p
}

// Look is Need for a check the test can do without: without the tool t
// fails under CI, and elsewhere Look logs and reports false.
func Look(t testing.TB, name, pkg string) (string, bool) {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if CI() {
			t.Fatalf("%s is missing (apt-get install %s); .ci/run installs it", name, pkg)
		}
		t.Logf("%s not installed (apt-get install %s): its check is left out", name, pkg)
		return "", false
	}
	return p, true
}
