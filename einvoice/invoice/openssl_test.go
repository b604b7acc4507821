package invoice

import (
	"testing"

	"trustbank/internal/openssltest"
)

// OpenSSL 3 verifies the invoice signature over the canonical encoding
// with the signing certificate's key under the default user ID (pkeyutl
// and dgst), and the certificate chain; it refuses another ID and a
// changed invoice.
func TestSignatureVerifiesInOpenSSL(t *testing.T) {
	o := openssltest.New(t)
	f := newFixture(t)
	sd := f.sign(t, sample())
	msg, err := sd.Invoice.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	leaf := o.CertPEM("leaf.pem", sd.Chain[0])
	if err := o.VerifyCert(leaf, openssltest.DefaultID, msg, sd.Signature); err != nil {
		t.Fatalf("openssl pkeyutl refused the invoice signature: %v", err)
	}
	if err := o.VerifyCert(leaf, "1234567812345679", msg, sd.Signature); err == nil {
		t.Fatal("openssl accepted the signature under another user ID")
	}
	changed := sd.Invoice
	changed.Total++
	changedMsg, _ := changed.MarshalBinary()
	if err := o.VerifyCert(leaf, openssltest.DefaultID, changedMsg, sd.Signature); err == nil {
		t.Fatal("openssl accepted the signature over a changed invoice")
	}
	pub := o.PublicKeyPEM("pub.pem", sd.Chain[0].PublicKey)
	if _, err := o.Run("dgst", "-sm3", "-verify", pub, "-sigopt", "distid:"+openssltest.DefaultID,
		"-signature", o.File("sig.der", sd.Signature), o.File("invoice.bin", msg)); err != nil {
		t.Fatalf("openssl dgst refused the invoice signature: %v", err)
	}
	// The chain: OpenSSL 3.0 honours the ID only for the target
	// certificate (see shield/ca's package documentation), so the two
	// links are checked one at a time.
	issuing := o.CertPEM("issuing.pem", sd.Chain[1])
	if _, err := o.Run("verify", "-vfyopt", "distid:"+openssltest.DefaultID, "-attime", "1772355600",
		"-CAfile", o.CertPEM("root.pem", f.h.Root), issuing); err != nil {
		t.Fatalf("openssl verify refused the issuing CA: %v", err)
	}
	if _, err := o.Run("verify", "-vfyopt", "distid:"+openssltest.DefaultID, "-partial_chain", "-attime", "1772355600",
		"-CAfile", issuing, leaf); err != nil {
		t.Fatalf("openssl verify refused the signing certificate: %v", err)
	}
}
