package attest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/go-tpm/tpm2"
)

// ErrEndorsement is returned when an EK certificate does not chain to a
// trusted manufacturer CA, or certifies a key that is not a TPM EK.
var ErrEndorsement = errors.New("attest: endorsement key certificate refused")

// Endorser is the user registry's side of AIK enrolment: it checks a
// device's EK certificate against trusted manufacturer CAs and the AIK's
// public area, and makes a credential (TPM2_MakeCredential, done in
// software) that only the TPM holding that EK, with that AIK loaded, can
// activate.
type Endorser struct {
	roots, intermediates *x509.CertPool
	now                  func() time.Time
}

// NewEndorser trusts the manufacturer CAs in caPEM (PEM certificates):
// self-signed ones are roots, the others intermediates that chains may use.
// now is the clock for certificate validity (nil: time.Now).
func NewEndorser(caPEM []byte, now func() time.Time) (*Endorser, error) {
	e := &Endorser{roots: x509.NewCertPool(), intermediates: x509.NewCertPool(), now: now}
	if e.now == nil {
		e.now = time.Now
	}
	n := 0
	for block, rest := pem.Decode(caPEM); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("attest: manufacturer CA: %w", err)
		}
		if isSelfSigned(c) {
			e.roots.AddCert(c)
			n++
		} else {
			e.intermediates.AddCert(c)
		}
	}
	if n == 0 {
		return nil, errors.New("attest: no self-signed manufacturer CA certificate in the trust file")
	}
	return e, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// MakeCredential checks ekCert (DER) and aik (encoded TPMT_PUBLIC) and
// returns a credential protecting secret: the seed is encrypted to the
// certified EK, the secret is encrypted and MACed under keys derived from
// the seed and the AIK's Name (TPM 2.0 Part 1, "Credential Protection").
func (e *Endorser) MakeCredential(ekCert, aik, secret []byte) ([]byte, error) {
	ek, err := e.checkEKCert(ekCert)
	if err != nil {
		return nil, err
	}
	name, err := AIKName(aik)
	if err != nil {
		return nil, err
	}
	return makeCredential(ek, name, secret)
}

// makeCredential is TPM2_MakeCredential in software for the EK certified
// by ek and the object named name.
func makeCredential(ek *x509.Certificate, name, secret []byte) ([]byte, error) {
	kind, pub, err := ekPublic(ek)
	if err != nil {
		return nil, err
	}
	key, err := tpm2.ImportEncapsulationKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEndorsement, err)
	}
	idObject, encSecret, err := tpm2.CreateCredential(rand.Reader, key, name, secret)
	if err != nil {
		return nil, fmt.Errorf("attest: making credential: %w", err)
	}
	c := credential{kind: kind, idObject: idObject, encSecret: encSecret}
	return c.marshal(), nil
}

// oidSAN is subjectAltName: EK certificates carry the TPM's manufacturer,
// model and version there as a critical directoryName, which crypto/x509
// does not parse and so reports as an unhandled critical extension.
var oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}

// checkEKCert parses ekCert and verifies its chain to a trusted root.
func (e *Endorser) checkEKCert(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEndorsement, err)
	}
	if c.IsCA || c.KeyUsage&x509.KeyUsageCertSign != 0 {
		return nil, fmt.Errorf("%w: a CA certificate is not an EK certificate", ErrEndorsement)
	}
	c.UnhandledCriticalExtensions = slices.DeleteFunc(c.UnhandledCriticalExtensions, oidSAN.Equal)
	_, err = c.Verify(x509.VerifyOptions{Roots: e.roots, Intermediates: e.intermediates,
		CurrentTime: e.now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEndorsement, err)
	}
	return c, nil
}

// ekPublic returns the public area of the EK that c certifies: the TCG
// default EK template (RSA 2048 or ECC NIST P-256) with c's key as unique.
func ekPublic(c *x509.Certificate) (EKType, *tpm2.TPMTPublic, error) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() != 2048 || k.E != 65537 {
			return 0, nil, fmt.Errorf("%w: RSA EK is not 2048 bits with exponent 65537", ErrEndorsement)
		}
		pub := tpm2.RSAEKTemplate
		pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: k.N.FillBytes(make([]byte, 256))})
		return EKRSA2048, &pub, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return 0, nil, fmt.Errorf("%w: ECC EK is not on NIST P-256", ErrEndorsement)
		}
		pub := tpm2.ECCEKTemplate
		pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
			X: tpm2.TPM2BECCParameter{Buffer: k.X.FillBytes(make([]byte, 32))},
			Y: tpm2.TPM2BECCParameter{Buffer: k.Y.FillBytes(make([]byte, 32))},
		})
		return EKECCP256, &pub, nil
	default:
		return 0, nil, fmt.Errorf("%w: EK of type %T", ErrEndorsement, c.PublicKey)
	}
}

// AIKName checks that aik (an encoded TPMT_PUBLIC, nothing after it) is an
// attestation key a TPM made and cannot let go of — ECDSA P-256, restricted
// signing only, fixedTPM, fixedParent, sensitiveDataOrigin, SHA-256 Name —
// and returns its Name, which the TPM computes the same way.
func AIKName(aik []byte) ([]byte, error) {
	pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](aik)
	if err != nil || !bytes.Equal(tpm2.Marshal(pub), aik) {
		return nil, fmt.Errorf("%w: AIK public area is malformed", ErrEvidence)
	}
	a := pub.ObjectAttributes
	if pub.Type != tpm2.TPMAlgECC || pub.NameAlg != tpm2.TPMAlgSHA256 || !a.Restricted || !a.SignEncrypt || a.Decrypt ||
		!a.FixedTPM || !a.FixedParent || !a.SensitiveDataOrigin {
		return nil, fmt.Errorf("%w: AIK is not a restricted, fixedTPM, fixedParent, TPM-generated signing key", ErrEvidence)
	}
	if p, err := pub.Parameters.ECCDetail(); err != nil || p.CurveID != tpm2.TPMECCNistP256 {
		return nil, fmt.Errorf("%w: AIK is not on NIST P-256", ErrEvidence)
	}
	if _, err := aikKey(aik); err != nil {
		return nil, err
	}
	name, err := tpm2.ObjectName(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: AIK name: %v", ErrEvidence, err)
	}
	return name.Buffer, nil
}
