// Package qrtest cross-checks QR codes with an independent decoder,
// Debian's zbarimg (apt-get install zbar-tools), for tests.
package qrtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"trustbank/internal/testtool"
)

// Zbar decodes the QR code in a PNG with zbarimg in binary mode and
// returns its bytes exactly. If zbarimg is missing it fails the test
// under CI and otherwise logs and returns ok = false.
func Zbar(t testing.TB, name string, img []byte) (data []byte, ok bool) {
	t.Helper()
	zbar, found := testtool.Look(t, "zbarimg", "zbar-tools")
	if !found {
		return nil, false
	}
	path := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(zbar, "--raw", "-q", "-Sbinary", path).Output()
	if err != nil {
		t.Fatalf("%s: zbarimg: %v", name, err)
	}
	return got, true
}
