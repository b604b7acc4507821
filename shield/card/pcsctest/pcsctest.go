// Package pcsctest gives tests a slot of a PC/SC reader backed by
// vsmartcard's vpcd driver in a running pcscd (Debian packages pcscd and
// vsmartcard-vpcd; .ci/run installs and starts them). vpcd offers two
// slots: "Virtual PCD 00 00" whose card connects to port 35963 and
// "Virtual PCD 00 01" on port 35964, so two test packages can each own
// one. Without pcscd and vpcd a test fails under CI (CI set) and is
// skipped elsewhere.
package pcsctest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"trustbank/shield/card/pcsc"
)

// Slot is one vpcd slot: where the card connects and the reader's name.
type Slot struct {
	Addr   string // host:port the virtual card dials
	Reader string // PC/SC reader name
}

// VPCD returns slot n (0 or 1) of the vpcd reader, after checking that
// pcscd lists it.
func VPCD(t testing.TB, n int) Slot {
	t.Helper()
	s := Slot{Addr: fmt.Sprintf("127.0.0.1:%d", 35963+n), Reader: fmt.Sprintf("Virtual PCD 00 %02d", n)}
	rs, err := pcsc.Readers()
	for _, r := range rs {
		if r == s.Reader {
			return s
		}
	}
	missing(t, fmt.Sprintf("pcscd with vsmartcard-vpcd (reader %q; readers %q, %v)", s.Reader, rs, err))
	return s
}

// Tool returns the path of a command-line tool from a Debian package.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" (package "+pkg+")")
	}
	return p
}

func missing(t testing.TB, what string) {
	t.Helper()
	if ci := os.Getenv("CI"); ci != "" && !strings.EqualFold(ci, "false") && ci != "0" {
		t.Fatalf("%s is not available; CI must provide it (.ci/run)", what)
	}
	t.Skipf("%s is not available", what)
}
