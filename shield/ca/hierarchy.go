package ca

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Hierarchy is the two-level SM2 hierarchy: a self-signed root, kept
// offline, that certifies one issuing CA, which signs end-entity
// certificates and CRLs.
type Hierarchy struct {
	Root, Issuing       *smx509.Certificate
	RootKey, IssuingKey *sm2.PrivateKey
}

// Lifetimes of the CA certificates.
const (
	RootValidity    = 20 * 365 * 24 * time.Hour
	IssuingValidity = 10 * 365 * 24 * time.Hour
)

// NewHierarchy generates both keys and certificates for organization org.
//
//	root     CA:TRUE pathLen 1 (critical), keyCertSign|cRLSign (critical)
//	issuing  CA:TRUE pathLen 0 (critical), keyCertSign|cRLSign|digitalSignature (critical)
func NewHierarchy(org string, now time.Time) (*Hierarchy, error) {
	h := &Hierarchy{}
	var err error
	if h.RootKey, err = sm2.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	if h.IssuingKey, err = sm2.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	rootTmpl := caTemplate(pkix.Name{Country: []string{"CN"}, Organization: []string{org}, CommonName: org + " SM2 Root CA"}, now, RootValidity, 1)
	if h.Root, err = sign(rootTmpl, rootTmpl, &h.RootKey.PublicKey, h.RootKey); err != nil {
		return nil, err
	}
	issTmpl := caTemplate(pkix.Name{Country: []string{"CN"}, Organization: []string{org}, CommonName: org + " SM2 Issuing CA"}, now, IssuingValidity, 0)
	issTmpl.KeyUsage |= smx509.KeyUsageDigitalSignature
	if h.Issuing, err = sign(issTmpl, h.Root, &h.IssuingKey.PublicKey, h.RootKey); err != nil {
		return nil, err
	}
	return h, nil
}

func caTemplate(name pkix.Name, now time.Time, life time.Duration, pathLen int) *smx509.Certificate {
	serial, _ := randomSerial(rand.Reader)
	return &smx509.Certificate{
		SerialNumber: serial, Subject: name,
		NotBefore: now.Add(-clockSkew), NotAfter: now.Add(life),
		BasicConstraintsValid: true, IsCA: true, MaxPathLen: pathLen, MaxPathLenZero: pathLen == 0,
		KeyUsage: smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
	}
}

// clockSkew backdates notBefore so a card whose clock is a little behind
// accepts a fresh certificate.
const clockSkew = 5 * time.Minute

// sign issues tmpl under parent and returns the parsed certificate.
// smx509 signs SM2 with the default user ID and checks the signature.
func sign(tmpl, parent *smx509.Certificate, pub any, key *sm2.PrivateKey) (*smx509.Certificate, error) {
	tmpl.SignatureAlgorithm = smx509.SM2WithSM3
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("ca: signing certificate: %w", err)
	}
	return smx509.ParseCertificate(der)
}

// randomSerial returns a positive 16-octet serial with 126 random bits (RFC 5280
// §4.1.2.2: at most 20 octets; CA/B Forum asks for 64 bits of entropy).
func randomSerial(r io.Reader) (*big.Int, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // always 16 octets, never zero
	return new(big.Int).SetBytes(b[:]), nil
}

// Zeroize clears both private keys.
func (h *Hierarchy) Zeroize() {
	for _, k := range []*sm2.PrivateKey{h.RootKey, h.IssuingKey} {
		if k != nil {
			clear(k.D.Bits())
		}
	}
}
