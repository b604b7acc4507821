package bank

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Revocation says whether a certificate has been revoked. shield/ca
// provides it from its CRLs; CRL (below) is one from a single CRL.
type Revocation interface {
	Revoked(ctx context.Context, cert *smx509.Certificate) (bool, error)
}

// Trust is what the server (and the device) trust: the pinned CA root,
// the CA's intermediates, and revocation.
type Trust struct {
	Roots         *smx509.CertPool
	Intermediates *smx509.CertPool // may be nil
	Revocation    Revocation       // nil: the server refuses to start; devices may leave it nil
}

// Verify parses der and checks that it is an SM2 certificate valid at now,
// chaining to a pinned root, and not revoked. It returns the certificate
// and its public key.
func (t *Trust) Verify(ctx context.Context, der []byte, now time.Time) (*smx509.Certificate, *ecdsa.PublicKey, error) {
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != sm2.P256() {
		return nil, nil, fmt.Errorf("%w: not an SM2 key", ErrCertificate)
	}
	_, err = cert.Verify(smx509.VerifyOptions{Roots: t.Roots, Intermediates: t.Intermediates,
		CurrentTime: now, KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	if t.Revocation != nil {
		revoked, err := t.Revocation.Revoked(ctx, cert)
		if err != nil {
			return nil, nil, err
		}
		if revoked {
			return nil, nil, fmt.Errorf("%w: serial %s", ErrRevoked, cert.SerialNumber)
		}
	}
	return cert, pub, nil
}

// CRL is a Revocation from one certificate revocation list whose
// signature was checked against its issuer.
type CRL struct {
	issuer  []byte // raw subject of the issuer
	serials map[string]bool
}

// NewCRL parses a DER CRL and checks it is signed by issuer.
func NewCRL(der []byte, issuer *smx509.Certificate) (*CRL, error) {
	rl, err := smx509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("bank: CRL: %w", err)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("bank: CRL: %w", err)
	}
	c := &CRL{issuer: issuer.RawSubject, serials: map[string]bool{}}
	for _, e := range rl.RevokedCertificateEntries {
		c.serials[e.SerialNumber.String()] = true
	}
	return c, nil
}

// Revoked implements Revocation: a certificate of this CRL's issuer whose
// serial is listed.
func (c *CRL) Revoked(_ context.Context, cert *smx509.Certificate) (bool, error) {
	return string(cert.RawIssuer) == string(c.issuer) && c.serials[cert.SerialNumber.String()], nil
}

// ecdsaKey returns the certificate's SM2 public key, or nil.
func ecdsaKey(cert *smx509.Certificate) *ecdsa.PublicKey {
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); ok && pub.Curve == sm2.P256() {
		return pub
	}
	return nil
}
