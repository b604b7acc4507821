// Package attesttest starts independent software TPMs for tests that need
// more than the one go-tpm-tools simulator a process can have (an owner's
// device and a thief's). It runs Debian's swtpm; CI installs it.
package attesttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"trustbank/attest"
)

// SWTPM starts a fresh swtpm for t and returns a Device on it. Without
// swtpm installed the test fails under CI and is skipped elsewhere.
func SWTPM(t testing.TB) *attest.Device {
	t.Helper()
	path := SWTPMPath(t)
	d, err := attest.OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// SWTPMPath starts a fresh swtpm for t (its state kept in a temporary
// directory for the test's life) and returns its path for attest.OpenPath;
// it can be opened again and again, one connection at a time.
func SWTPMPath(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("swtpm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("swtpm is not installed (apt-get install swtpm); .ci/run installs it")
		}
		t.Skip("swtpm is not installed (apt-get install swtpm); CI runs this test")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "tpm.sock")
	cmd := exec.Command(bin, "socket", "--tpm2",
		"--tpmstate", "dir="+dir,
		"--server", "type=unixio,path="+sock,
		"--ctrl", "type=unixio,path="+filepath.Join(dir, "ctrl.sock"),
		"--flags", "not-need-init,startup-clear")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting swtpm: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			return "unix://" + sock
		}
		if time.Now().After(deadline) {
			t.Fatal("swtpm did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
