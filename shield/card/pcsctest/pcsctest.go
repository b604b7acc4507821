// Package pcsctest gives tests a slot of a PC/SC reader backed by
// vsmartcard's vpcd driver in a running pcscd (Debian packages pcscd and
// vsmartcard-vpcd; .ci/run installs and starts them). vpcd offers two
// slots: "Virtual PCD 00 00" whose card connects to port 35963 and
// "Virtual PCD 00 01" on port 35964. A test holds its slot (an flock on
// a file in the temporary directory) until it ends, so test packages
// that `go test ./...` runs in parallel take turns on a slot. Without pcscd and vpcd a test fails under CI (CI set) and is
// skipped elsewhere.
package pcsctest

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"trustbank/internal/testtool"
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
			hold(t, n)
			return s
		}
	}
	testtool.Missing(t, fmt.Sprintf("pcscd with vsmartcard-vpcd (reader %q; readers %q, %v)", s.Reader, rs, err))
	return s
}

// Tool returns the path of a command-line tool from a Debian package.
func Tool(t testing.TB, name, pkg string) string {
	return testtool.Need(t, name, pkg)
}

// hold locks slot n for the rest of the test.
func hold(t testing.TB, n int) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("trustbank-vpcd-%d.lock", n)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}
