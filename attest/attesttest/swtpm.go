// Package attesttest starts independent software TPMs for tests that need
// more than the one go-tpm-tools simulator a process can have (an owner's
// device and a thief's), some manufactured with EK certificates, and gives
// a stand-in manufacturer CA for TPMs without one. It runs Debian's swtpm
// and swtpm_setup (package swtpm-tools); CI installs them.
package attesttest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"trustbank/attest"
	"trustbank/internal/testtool"
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
	return startSWTPM(t, testtool.Need(t, "swtpm", "swtpm"), t.TempDir())
}

// ManufacturedSWTPM is SWTPMPath for a TPM as it leaves a factory:
// swtpm_setup creates its EKs and stores their certificates (and a platform
// certificate) in NV, issued by a local CA made for t by swtpm_localca. It
// returns the TPM's path and that CA (root and issuing certificate, PEM):
// the trust file of a registry that accepts this "manufacturer".
func ManufacturedSWTPM(t testing.TB) (path string, caPEM []byte) {
	t.Helper()
	bin := testtool.Need(t, "swtpm", "swtpm")
	setup := testtool.Need(t, "swtpm_setup", "swtpm-tools")
	localca := testtool.Need(t, "swtpm_localca", "swtpm-tools")
	dir := t.TempDir()
	state, ca := filepath.Join(dir, "state"), filepath.Join(dir, "ca")
	for _, d := range []string{state, ca} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"localca.conf": "statedir = " + ca + "\nsigningkey = " + ca + "/signkey.pem\nissuercert = " + ca +
			"/issuercert.pem\ncertserial = " + ca + "/certserial\n",
		"localca.options": "--platform-manufacturer trustbank-test\n--platform-version 2.1\n--platform-model swtpm\n",
		"setup.conf": "create_certs_tool = " + localca + "\ncreate_certs_tool_config = " + filepath.Join(dir, "localca.conf") +
			"\ncreate_certs_tool_options = " + filepath.Join(dir, "localca.options") + "\nactive_pcr_banks = sha256\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(setup, "--tpm2", "--tpmstate", state,
		"--create-ek-cert", "--create-platform-cert", "--config", filepath.Join(dir, "setup.conf")).CombinedOutput()
	if err != nil {
		t.Fatalf("swtpm_setup: %v\n%s", err, out)
	}
	for _, f := range []string{"swtpm-localca-rootca-cert.pem", "issuercert.pem"} {
		b, err := os.ReadFile(filepath.Join(ca, f))
		if err != nil {
			t.Fatal(err)
		}
		caPEM = append(caPEM, b...)
	}
	return startSWTPM(t, bin, state), caPEM
}

// startSWTPM runs swtpm on the state in dir for t's life and returns its path.
func startSWTPM(t testing.TB, bin, dir string) string {
	t.Helper()
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
		// The socket file appears at bind, before swtpm listens: wait until
		// a connection is accepted, or the first real one may be refused.
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return "unix://" + sock
		}
		if time.Now().After(deadline) {
			t.Fatal("swtpm did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
