package invoice

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"fmt"
	"slices"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// Signer is the tax system's invoice-signing key: an SM2 private key and
// its certificate chain from shield/ca (the document-signing leaf first,
// then the issuing CA).
type Signer struct {
	key   *sm2.PrivateKey
	chain []*smx509.Certificate
}

// NewSigner checks that chain[0] certifies key for document signing
// (digitalSignature, nonRepudiation, id-kp-documentSigning) and that each
// certificate is signed by the next.
func NewSigner(key *sm2.PrivateKey, chain ...*smx509.Certificate) (*Signer, error) {
	if key == nil || len(chain) == 0 {
		return nil, fmt.Errorf("%w: needs a key and its certificate chain", ErrSigner)
	}
	leaf := chain[0]
	if !key.PublicKey.Equal(leaf.PublicKey) {
		return nil, fmt.Errorf("%w: the key is not the certificate's", ErrSigner)
	}
	if err := signingUsage(leaf); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSigner, err)
	}
	for i := 1; i < len(chain); i++ {
		if err := chain[i-1].CheckSignatureFrom(chain[i]); err != nil {
			return nil, fmt.Errorf("%w: certificate %d is not signed by certificate %d: %v", ErrSigner, i-1, i, err)
		}
	}
	return &Signer{key: key, chain: slices.Clone(chain)}, nil
}

// IssueSigner generates an SM2 key and has authority a certify it as the
// invoice-signing key of org (ca.Authority.IssueSigning, recorded in the
// CA's issuance log).
func IssueSigner(ctx context.Context, a *ca.Authority, org cert.Organization) (*Signer, error) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	csr, err := smx509.CreateCertificateRequest(rand.Reader, &smx509.CertificateRequest{
		Subject: pkix.Name{CommonName: org.Name}, SignatureAlgorithm: smx509.SM2WithSM3}, key)
	if err != nil {
		return nil, err
	}
	is, err := a.IssueSigning(ctx, ca.SigningRequest{CSR: csr, Organization: org})
	if err != nil {
		return nil, err
	}
	return NewSigner(key, is.Certificate, a.Issuing())
}

// Certificate returns the signing certificate (the chain's leaf).
func (s *Signer) Certificate() *smx509.Certificate { return s.chain[0] }

// Chain returns the certificate chain, leaf first.
func (s *Signer) Chain() []*smx509.Certificate { return slices.Clone(s.chain) }

// Zeroize clears the private key.
func (s *Signer) Zeroize() { clear(s.key.D.Bits()) }

// signingUsage wants a document-signing end-entity certificate.
func signingUsage(c *smx509.Certificate) error {
	if c.IsCA {
		return fmt.Errorf("%w: %s is a CA certificate", cert.ErrKeyUsage, c.Subject)
	}
	want := smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
	if c.KeyUsage&want != want {
		return fmt.Errorf("%w: %s lacks digitalSignature or nonRepudiation", cert.ErrKeyUsage, c.Subject)
	}
	if !slices.ContainsFunc(c.UnknownExtKeyUsage, cert.OIDDocumentSigning.Equal) {
		return fmt.Errorf("%w: %s lacks id-kp-documentSigning", cert.ErrKeyUsage, c.Subject)
	}
	return nil
}

// Signed is a signed invoice: the invoice, the SM2 signature (DER) over
// its canonical encoding under the default user ID, and the signer's
// certificate chain, leaf first.
type Signed struct {
	Invoice   Invoice
	Signature []byte
	Chain     []*smx509.Certificate
}

// Sign computes the invoice's amounts (Compute), checks that the signing
// certificate is valid on the issue date, and signs. inv is not changed;
// the returned Signed holds a computed copy.
func Sign(s *Signer, inv *Invoice) (*Signed, error) {
	c, err := inv.computed()
	if err != nil {
		return nil, err
	}
	if _, err := verifyTime(c, s.chain[0]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSigner, err)
	}
	msg, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	sig, err := s.key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, err
	}
	return &Signed{Invoice: *c, Signature: sig, Chain: slices.Clone(s.chain)}, nil
}

// Verify checks a signed invoice offline against the pinned root:
//
//  1. the chain is leaf → issuing CA → root, exactly (SM2-with-SM3
//     signatures, CA constraints, path length), every certificate valid
//     at the issue date (verifyTime), the leaf a document-signing one;
//  2. the SM2 signature verifies over the canonical encoding under the
//     default user ID 1234567812345678;
//  3. the fields are valid and every stated amount equals the recomputed
//     one (Check).
func (sd *Signed) Verify(root *smx509.Certificate) error {
	if len(sd.Chain) == 0 {
		return fmt.Errorf("%w: no certificate", ErrCertificate)
	}
	if err := sd.Invoice.Validate(); err != nil {
		return err
	}
	if err := verifyChain(&sd.Invoice, sd.Chain, root); err != nil {
		return err
	}
	msg, err := sd.Invoice.MarshalBinary()
	if err != nil {
		return err
	}
	pub := publicKey(sd.Chain[0])
	if pub == nil {
		return fmt.Errorf("%w: the signing certificate's key is not SM2", ErrCertificate)
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, sd.Signature) {
		return ErrSignature
	}
	return sd.Invoice.Check()
}

// Verify parses a signed invoice exported by JSON and verifies it offline
// against root ((*Signed).Verify).
func Verify(data []byte, root *smx509.Certificate) (*Signed, error) {
	sd, err := ParseJSON(data)
	if err != nil {
		return nil, err
	}
	if err := sd.Verify(root); err != nil {
		return nil, err
	}
	return sd, nil
}

// Signer returns the organization named in the signing certificate.
func (sd *Signed) Signer() (cert.Organization, error) {
	if len(sd.Chain) == 0 {
		return cert.Organization{}, fmt.Errorf("%w: no certificate", ErrCertificate)
	}
	return cert.OrganizationOf(sd.Chain[0])
}

func verifyChain(inv *Invoice, chain []*smx509.Certificate, root *smx509.Certificate) error {
	leaf := chain[0]
	if err := signingUsage(leaf); err != nil {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if bytes.Equal(leaf.RawIssuer, root.RawSubject) {
		return fmt.Errorf("%w: the leaf is issued by the root itself", ErrCertificate)
	}
	at, err := verifyTime(inv, leaf)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	roots, inter := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(root)
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(smx509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	for _, c := range chains {
		if len(c) == 3 {
			return nil
		}
	}
	return fmt.Errorf("%w: the chain is not leaf → issuing CA → root", ErrCertificate)
}

// verifyTime is the moment the chain is checked at: the start of the
// issue date (China Standard Time), or the leaf's notBefore if that falls
// later on the same day. An invoice dated outside the leaf's validity is
// refused.
func verifyTime(inv *Invoice, leaf *smx509.Certificate) (time.Time, error) {
	day, err := inv.Date()
	if err != nil {
		return time.Time{}, err
	}
	at := day
	if leaf.NotBefore.After(at) {
		at = leaf.NotBefore
	}
	if !at.Before(day.AddDate(0, 0, 1)) || at.After(leaf.NotAfter) {
		return time.Time{}, fmt.Errorf("%w: issue date %s outside the signing certificate's validity %s to %s",
			cert.ErrValidity, inv.IssueDate, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	return at, nil
}
