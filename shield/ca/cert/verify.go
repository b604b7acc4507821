package cert

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// Verify is the card's check of a certificate bundle before it stores the
// certificate. root is the pinned trust anchor, bundle a certs-only PKCS#7
// message (leaf and issuing CA), crl the issuing CA's DER CRL or nil.
//
// In order: the bundle parses strictly (ParseBundle); it holds exactly one
// end-entity certificate; the chain leaf → issuing CA → root verifies at
// now (SM2 signatures under the default user ID, validity of every
// certificate, CA basic constraints, path length, keyCertSign on each
// issuer); it is exactly three long (a leaf signed by the root itself is
// refused: the root stays offline); the leaf allows digitalSignature; if a
// CRL is given, it is the issuing CA's, current, and does not list the
// leaf. It returns the leaf, whose holder IdentityOf reads.
func Verify(root *smx509.Certificate, bundle, crl []byte, now time.Time) (*smx509.Certificate, error) {
	certs, err := ParseBundle(bundle)
	if err != nil {
		return nil, err
	}
	leaf, inter, err := splitLeaf(certs, root)
	if err != nil {
		return nil, err
	}
	chain, err := verifyChain(root, leaf, inter, now)
	if err != nil {
		return nil, err
	}
	if leaf.KeyUsage&smx509.KeyUsageDigitalSignature == 0 {
		return nil, fmt.Errorf("%w: leaf lacks digitalSignature", ErrKeyUsage)
	}
	if crl == nil {
		return leaf, nil
	}
	list, err := ParseCRL(crl, chain[1], now)
	if err != nil {
		return nil, err
	}
	if e, ok := Revoked(list, leaf.SerialNumber); ok {
		return nil, fmt.Errorf("%w: serial %x since %s (reason %d)", ErrRevoked, leaf.SerialNumber,
			e.RevocationTime.Format(time.RFC3339), e.ReasonCode)
	}
	return leaf, nil
}

// splitLeaf takes the bundle's first certificate as the leaf (Bundle
// puts it first) and checks the shape of its chain before any signature
// is: not issued by the root itself, an issuer in the bundle, and that
// issuer a CA allowed to sign certificates.
func splitLeaf(certs []*smx509.Certificate, root *smx509.Certificate) (*smx509.Certificate, []*smx509.Certificate, error) {
	leaf, rest := certs[0], certs[1:]
	if leaf.IsCA {
		return nil, nil, fmt.Errorf("%w: the first certificate, %s, is a CA", ErrBundle, leaf.Subject)
	}
	if bytes.Equal(leaf.RawIssuer, root.RawSubject) {
		return nil, nil, fmt.Errorf("%w: the leaf is issued by the root itself, not by an issuing CA", ErrChain)
	}
	for _, c := range rest {
		if !bytes.Equal(c.RawSubject, leaf.RawIssuer) {
			continue
		}
		if !c.BasicConstraintsValid || !c.IsCA {
			return nil, nil, fmt.Errorf("%w: %s has no CA basic constraints", ErrNotCA, c.Subject)
		}
		if c.KeyUsage&smx509.KeyUsageCertSign == 0 {
			return nil, nil, fmt.Errorf("%w: %s lacks keyCertSign", ErrNotCA, c.Subject)
		}
		return leaf, rest, nil
	}
	return nil, nil, fmt.Errorf("%w: the leaf's issuer %s is not in the bundle", ErrUntrusted, leaf.Issuer)
}

// verifyChain builds the chain with smx509 and adds what it leaves out:
// the chain's length and keyCertSign on the issuers.
func verifyChain(root, leaf *smx509.Certificate, inter []*smx509.Certificate, now time.Time) ([]*smx509.Certificate, error) {
	roots, pool := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(root)
	for _, c := range inter {
		pool.AddCert(c)
	}
	chains, err := leaf.Verify(smx509.VerifyOptions{Roots: roots, Intermediates: pool, CurrentTime: now,
		KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageClientAuth}})
	if err != nil {
		return nil, classify(err)
	}
	for _, chain := range chains {
		if len(chain) != 3 {
			continue
		}
		for _, ca := range chain[1:] {
			if ca.KeyUsage&smx509.KeyUsageCertSign == 0 {
				return nil, fmt.Errorf("%w: %s lacks keyCertSign", ErrNotCA, ca.Subject)
			}
		}
		return chain, nil
	}
	return nil, fmt.Errorf("%w: the leaf's chain has %d certificates", ErrChain, len(chains[0]))
}

// classify maps smx509's verification errors onto this package's.
func classify(err error) error {
	var inv smx509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case smx509.Expired:
			return fmt.Errorf("%w: %v", ErrValidity, err)
		case smx509.NotAuthorizedToSign:
			return fmt.Errorf("%w: %v", ErrNotCA, err)
		case smx509.TooManyIntermediates:
			return fmt.Errorf("%w: path length: %v", ErrChain, err)
		case smx509.IncompatibleUsage:
			return fmt.Errorf("%w: %v", ErrKeyUsage, err)
		}
	}
	var unknown smx509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	return fmt.Errorf("%w: %v", ErrUntrusted, err)
}
