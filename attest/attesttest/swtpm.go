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
		d, err := attest.OpenPath("unix://" + sock)
		if err == nil {
			t.Cleanup(func() { d.Close() })
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("swtpm did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
