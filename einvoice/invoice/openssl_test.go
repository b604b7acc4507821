package invoice

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/smx509"
)

// OpenSSL 3 verifies the invoice signature over the canonical encoding
// with the signing certificate's key under the default user ID (pkeyutl
// and dgst), and the certificate chain; it refuses another ID and a
// changed invoice.
func TestSignatureVerifiesInOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing; .ci/run installs it")
		}
		t.Skip("openssl not installed; CI runs this test")
	}
	f := newFixture(t)
	sd := f.sign(t, sample())
	msg, err := sd.Invoice.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPEM := func(c *smx509.Certificate) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	leaf := write("leaf.pem", certPEM(sd.Chain[0]))
	sig := write("sig.der", sd.Signature)
	run := func(args ...string) error {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Logf("openssl %v: %s", args[0], out)
		}
		return err
	}
	pkeyutl := func(m []byte, id string) error {
		return run("pkeyutl", "-verify", "-certin", "-inkey", leaf, "-rawin", "-digest", "sm3",
			"-pkeyopt", "distid:"+id, "-in", write("invoice.bin", m), "-sigfile", sig)
	}
	if err := pkeyutl(msg, "1234567812345678"); err != nil {
		t.Fatalf("openssl pkeyutl refused the invoice signature: %v", err)
	}
	if err := pkeyutl(msg, "1234567812345679"); err == nil {
		t.Fatal("openssl accepted the signature under another user ID")
	}
	changed := sd.Invoice
	changed.Total++
	changedMsg, _ := changed.MarshalBinary()
	if err := pkeyutl(changedMsg, "1234567812345678"); err == nil {
		t.Fatal("openssl accepted the signature over a changed invoice")
	}
	pub := write("pub.pem", pemPublicKey(t, sd.Chain[0]))
	if err := run("dgst", "-sm3", "-verify", pub, "-sigopt", "distid:1234567812345678",
		"-signature", sig, write("invoice.bin", msg)); err != nil {
		t.Fatalf("openssl dgst refused the invoice signature: %v", err)
	}
	// The chain: OpenSSL 3.0 honours the ID only for the target
	// certificate (see shield/ca's package documentation), so the two
	// links are checked one at a time.
	if err := run("verify", "-vfyopt", "distid:1234567812345678", "-attime", "1772355600", "-CAfile", write("root.pem", certPEM(f.h.Root)),
		write("issuing.pem", certPEM(sd.Chain[1]))); err != nil {
		t.Fatalf("openssl verify refused the issuing CA: %v", err)
	}
	if err := run("verify", "-vfyopt", "distid:1234567812345678", "-partial_chain", "-attime", "1772355600",
		"-CAfile", write("issuing.pem", certPEM(sd.Chain[1])), leaf); err != nil {
		t.Fatalf("openssl verify refused the signing certificate: %v", err)
	}
}

func pemPublicKey(t *testing.T, c *smx509.Certificate) []byte {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(c.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
