package ca

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/openssltest"
	"trustbank/shield/ca/cert"
)

// distid is the option OpenSSL 3.0 needs to verify SM2 signatures under
// the default user ID: without it, verify and req -verify fail.
const distid = "distid:" + DefaultUID

// OpenSSL 3 verifies our chain, reads our P7 and CRL, gets a certificate
// for a request it made, and verifies a card signature against our leaf.
func TestOpenSSLInterop(t *testing.T) {
	o := openssltest.New(t)
	tc := newTestCA(t)
	tc.now = time.Now()
	ctx := context.Background()
	card := cardKey(t)
	is := tc.issue(t, card)
	root, issuing, leaf := o.CertPEM("root.pem", tc.h.Root), o.CertPEM("issuing.pem", tc.h.Issuing), o.CertPEM("leaf.pem", is.Certificate)

	// OpenSSL 3.0 applies -vfyopt to the target certificate only and
	// verifies the others in the chain with no ID (openssl/openssl#23471),
	// so the one-command form fails at depth 1; each link verifies as the
	// target instead.
	if out, err := o.Run("verify", "-vfyopt", distid, "-CAfile", root, "-untrusted", issuing, leaf); err != nil {
		t.Logf("openssl verify -CAfile root -untrusted issuing leaf (OpenSSL #23471): %v\n%s", err, out)
	}
	chain := func(crl []string, leaf string) (string, error) {
		if out, err := o.Run("verify", "-vfyopt", distid, "-CAfile", root, issuing); err != nil {
			return out, err
		}
		return o.Run(append(append([]string{"verify", "-vfyopt", distid, "-partial_chain", "-CAfile", issuing}, crl...), leaf)...)
	}
	if out, err := chain(nil, leaf); err != nil {
		t.Fatalf("openssl refused our chain: %v\n%s", err, out)
	}
	if out, err := o.Run("verify", "-vfyopt", distid, "-CAfile", o.CertPEM("other.pem", newTestCA(t).h.Root), issuing); err == nil {
		t.Fatalf("openssl verified our issuing CA under another root:\n%s", out)
	}
	if out, err := o.Run("verify", "-vfyopt", distid, "-partial_chain", "-CAfile", o.CertPEM("other-iss.pem", newTestCA(t).h.Issuing), leaf); err == nil {
		t.Fatalf("openssl verified our leaf under another issuing CA:\n%s", out)
	}

	p7 := o.Must("pkcs7", "-print_certs", "-inform", "DER", "-in", o.File("bundle.p7b", is.Bundle))
	if !strings.Contains(p7, "serialNumber = IDCCN-"+alice.IDCard) || !strings.Contains(p7, "CN = Trustbank Test SM2 Issuing CA") {
		t.Fatalf("openssl pkcs7 -print_certs:\n%s", p7)
	}

	if err := tc.a.Revoke(ctx, is.Certificate.SerialNumber, KeyCompromise); err != nil {
		t.Fatal(err)
	}
	crl, err := tc.a.CRL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	text := o.Must("crl", "-inform", "DER", "-in", o.File("crl.der", crl), "-noout", "-text")
	if !strings.Contains(text, "Key Compromise") || !strings.Contains(text, "Next Update") {
		t.Fatalf("openssl crl -text:\n%s", text)
	}
	// OpenSSL 3.0 checks a CRL's SM2 signature with no ID too: "crl
	// -CAfile" prints "verify failure" (and exits 0), "verify -crl_check"
	// reports a CRL signature failure whether the leaf is listed or not, so
	// it proves nothing here. The signature itself verifies with pkeyutl
	// over the TBSCertList under the default ID, against the issuing CA's
	// key, and "crl -text" lists the serial with its reason.
	list, err := smx509.ParseRevocationList(crl)
	if err != nil {
		t.Fatal(err)
	}
	crlSig := func(tbs []byte) error { return o.VerifyCert(issuing, DefaultUID, tbs, list.Signature) }
	if err := crlSig(list.RawTBSRevocationList); err != nil {
		t.Fatalf("openssl pkeyutl refused our CRL's signature: %v", err)
	}
	if err := crlSig(append(bytes.Clone(list.RawTBSRevocationList[:len(list.RawTBSRevocationList)-1]), 0)); err == nil {
		t.Fatal("openssl pkeyutl accepted the CRL signature over changed contents")
	}
	if !strings.Contains(text, strings.ToUpper(is.Certificate.SerialNumber.Text(16))) {
		t.Fatalf("openssl crl -text does not list the revoked serial:\n%s", text)
	}
	// A request OpenSSL made: accepted under its ID, refused under another.
	key := o.File("sm2.pem", nil)
	o.Must("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", key)
	req := o.File("req.pem", nil)
	o.Must("req", "-new", "-key", key, "-sm3", "-sigopt", distid, "-subj", "/CN=card", "-out", req)
	reqPEM, _ := os.ReadFile(req)
	osslIssued, err := tc.a.Issue(ctx, IssueRequest{CSR: reqPEM, Identity: alice})
	if err != nil {
		t.Fatalf("our CA refused OpenSSL's request: %v", err)
	}
	if out, err := chain(nil, o.CertPEM("ossl-leaf.pem", osslIssued.Certificate)); err != nil {
		t.Fatalf("openssl refused the certificate we issued for its request: %v\n%s", err, out)
	}
	o.Must("req", "-new", "-key", key, "-sm3", "-sigopt", "distid:alice@card", "-subj", "/CN=card", "-out", req)
	reqPEM, _ = os.ReadFile(req)
	if _, err := tc.a.Issue(ctx, IssueRequest{CSR: reqPEM, Identity: alice}); !errors.Is(err, ErrRequestSig) {
		t.Fatalf("a request signed under another ID: %v", err)
	}
	if _, err := tc.a.Issue(ctx, IssueRequest{CSR: reqPEM, UID: []byte("alice@card"), Identity: alice}); err != nil {
		t.Fatalf("the same request under its agreed ID: %v", err)
	}

	// A card signature verifies against our certificate's key.
	msg := []byte("transfer 60000 CNY to 6222020200998877665, nonce 42")
	sig, err := card.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	pkeyutl := func(m []byte) error { return o.VerifyCert(leaf, DefaultUID, m, sig) }
	if err := pkeyutl(msg); err != nil {
		t.Fatalf("openssl pkeyutl refused the card's signature: %v", err)
	}
	if err := pkeyutl(append(msg, '0')); err == nil {
		t.Fatal("openssl pkeyutl accepted a signature over another message")
	}
	// And the card-side check agrees with OpenSSL on the same chain.
	if _, err := cert.Verify(tc.h.Root, osslIssued.Bundle, crl, time.Now()); err != nil {
		t.Fatal(err)
	}
}
