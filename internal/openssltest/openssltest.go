// Package openssltest runs the OpenSSL 3 command line from tests, so that
// trustbank's SM2 signatures, certificates and CRLs are checked by an
// independent implementation. Without openssl a test fails when CI is set
// (.ci/run installs it) and is skipped elsewhere.
package openssltest

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/testtool"
)

// DefaultID is the SM2 user ID of GB/T 32918 that OpenSSL 3.0 must be
// told about (distid:) to verify under it.
const DefaultID = "1234567812345678"

// Tool runs openssl for one test, with files in the test's temporary
// directory.
type Tool struct {
	t   testing.TB
	bin string
	dir string
}

// New finds openssl; without it t fails under CI and is skipped elsewhere.
func New(t testing.TB) *Tool {
	t.Helper()
	bin := testtool.Need(t, "openssl", "openssl")
	return &Tool{t: t, bin: bin, dir: t.TempDir()}
}

// File writes b to the file name (replacing it) and returns its path.
func (o *Tool) File(name string, b []byte) string {
	o.t.Helper()
	p := filepath.Join(o.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		o.t.Fatal(err)
	}
	return p
}

// CertPEM writes c as a PEM certificate and returns its path.
func (o *Tool) CertPEM(name string, c *smx509.Certificate) string {
	return o.File(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// PublicKeyPEM writes pub (an SM2 key) as a PEM PKIX public key and
// returns its path.
func (o *Tool) PublicKeyPEM(name string, pub any) string {
	o.t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		o.t.Fatal(err)
	}
	return o.File(name, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Run runs openssl with args and returns its combined output; on failure
// the output is logged.
func (o *Tool) Run(args ...string) (string, error) {
	out, err := exec.Command(o.bin, args...).CombinedOutput()
	if err != nil {
		o.t.Logf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), err
}

// Must is Run that fails the test on error.
func (o *Tool) Must(args ...string) string {
	o.t.Helper()
	out, err := o.Run(args...)
	if err != nil {
		o.t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// VerifyCert checks sig (ASN.1 SM2) over msg under user ID id with the key
// of the PEM certificate at cert (pkeyutl -verify -rawin -digest sm3).
func (o *Tool) VerifyCert(cert, id string, msg, sig []byte) error {
	return o.pkeyutl("-certin", cert, id, msg, sig)
}

// VerifyKey is VerifyCert with the PEM public key at pub.
func (o *Tool) VerifyKey(pub, id string, msg, sig []byte) error {
	return o.pkeyutl("-pubin", pub, id, msg, sig)
}

func (o *Tool) pkeyutl(keyForm, key, id string, msg, sig []byte) error {
	_, err := o.Run("pkeyutl", "-verify", keyForm, "-inkey", key, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:"+id, "-in", o.File("pkeyutl.msg", msg), "-sigfile", o.File("pkeyutl.sig", sig))
	return err
}
