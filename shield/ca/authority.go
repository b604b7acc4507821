package ca

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca/cert"
)

// Config configures an Authority.
type Config struct {
	// Organization is the subject O of issued certificates.
	Organization string
	// CRLURL is the CRL distribution point written into every certificate.
	CRLURL string
	// Validity of end-entity certificates; zero means DefaultValidity.
	Validity time.Duration
	// CRLValidity is the time from a CRL's thisUpdate to its nextUpdate;
	// zero means DefaultCRLValidity.
	CRLValidity time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Serials is the source of serial numbers; nil means crypto/rand.
	Serials io.Reader
}

// Defaults of Config.
const (
	DefaultValidity    = 2 * 365 * 24 * time.Hour
	DefaultCRLValidity = 7 * 24 * time.Hour
)

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	if c.Organization == "" || c.CRLURL == "" {
		return errors.New("ca: config needs an organization and a CRL URL")
	}
	if c.Validity == 0 {
		c.Validity = DefaultValidity
	}
	if c.CRLValidity == 0 {
		c.CRLValidity = DefaultCRLValidity
	}
	if c.Validity < 0 || c.CRLValidity < 0 {
		return errors.New("ca: negative validity")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Serials == nil {
		c.Serials = rand.Reader
	}
	return nil
}

// Authority is the online issuing CA: it turns checked requests into
// certificates, records them, revokes them and signs CRLs.
type Authority struct {
	cfg     Config
	root    *smx509.Certificate
	issuing *smx509.Certificate
	key     *sm2.PrivateKey
	store   Store
}

// New returns the authority of the issuing CA issuing (certified by root)
// with its private key.
func New(cfg Config, root, issuing *smx509.Certificate, key *sm2.PrivateKey, store Store) (*Authority, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(issuing.PublicKey) {
		return nil, errors.New("ca: the key is not the issuing CA's")
	}
	if err := issuing.CheckSignatureFrom(root); err != nil {
		return nil, fmt.Errorf("ca: issuing CA not certified by the root: %w", err)
	}
	return &Authority{cfg: cfg, root: root, issuing: issuing, key: key, store: store}, nil
}

// Root and Issuing return the CA certificates.
func (a *Authority) Root() *smx509.Certificate    { return a.root }
func (a *Authority) Issuing() *smx509.Certificate { return a.issuing }

// IssueRequest is what the bank server sends the CA (the paper's step 5):
// the card's PKCS#10 request and the identity the bank vouches for.
type IssueRequest struct {
	// CSR is the PKCS#10 request, PEM or DER.
	CSR []byte
	// UID is the SM2 user ID the card signed the request under; nil means
	// DefaultUID.
	UID []byte
	// Identity goes into the certificate; the request's own subject is
	// ignored, so a card cannot choose whose certificate it gets.
	Identity cert.Identity
	// Encipherment adds keyEncipherment|dataEncipherment, for a key that
	// also decrypts SM2 ciphertexts (the card's ENCRYPT/DECRYPT).
	Encipherment bool
}

// Issued is the CA's answer (step 6).
type Issued struct {
	Certificate *smx509.Certificate
	// Bundle is the PKCS#7 certs-only message: the leaf, then the issuing CA.
	Bundle []byte
}

// serialTries bounds how often Issue draws a new serial after a collision.
const serialTries = 3

// Issue checks the request and the identity, certifies the request's key
// and records the certificate in the issuance log before returning it.
func (a *Authority) Issue(ctx context.Context, req IssueRequest) (*Issued, error) {
	r, err := ParseRequest(req.CSR, req.UID)
	if err != nil {
		return nil, err
	}
	if err := req.Identity.Validate(); err != nil {
		return nil, err
	}
	tmpl, err := a.template(req)
	if err != nil {
		return nil, err
	}
	return a.issue(ctx, tmpl, r.PublicKey)
}

// issue signs tmpl for pub under a fresh serial and records the
// certificate in the issuance log before returning it.
func (a *Authority) issue(ctx context.Context, tmpl *smx509.Certificate, pub any) (*Issued, error) {
	var err error
	for try := 0; ; try++ {
		if tmpl.SerialNumber, err = randomSerial(a.cfg.Serials); err != nil {
			return nil, err
		}
		leaf, err := sign(tmpl, a.issuing, pub, a.key)
		if err != nil {
			return nil, err
		}
		err = a.store.Record(ctx, Record{Serial: leaf.SerialNumber, Subject: leaf.Subject.String(),
			IssuedAt: a.cfg.Now(), NotAfter: leaf.NotAfter, DER: leaf.Raw})
		if errors.Is(err, ErrSerialTaken) && try+1 < serialTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		bundle, err := cert.Bundle(leaf, a.issuing)
		if err != nil {
			return nil, err
		}
		return &Issued{Certificate: leaf, Bundle: bundle}, nil
	}
}

// template is the end-entity profile (see the package documentation).
func (a *Authority) template(req IssueRequest) (*smx509.Certificate, error) {
	san, err := cert.AccountExtension(req.Identity.Account)
	if err != nil {
		return nil, err
	}
	now, notAfter := a.validity()
	ku := smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
	if req.Encipherment {
		ku |= smx509.KeyUsageKeyEncipherment | smx509.KeyUsageDataEncipherment
	}
	return &smx509.Certificate{
		Subject: pkix.Name{Country: []string{"CN"}, Organization: []string{a.cfg.Organization},
			CommonName: req.Identity.Name, SerialNumber: cert.SubjectSerial(req.Identity.IDCard)},
		NotBefore: now.Add(-clockSkew), NotAfter: notAfter,
		BasicConstraintsValid: true, IsCA: false,
		KeyUsage:              ku,
		ExtKeyUsage:           []smx509.ExtKeyUsage{smx509.ExtKeyUsageClientAuth},
		CRLDistributionPoints: []string{a.cfg.CRLURL},
		ExtraExtensions:       []pkix.Extension{san},
	}, nil
}

// validity is an end-entity certificate's period: from now to Validity
// ahead, never past the issuing CA's own notAfter (notBefore is
// backdated by clockSkew where the template is filled).
func (a *Authority) validity() (now, notAfter time.Time) {
	now = a.cfg.Now()
	notAfter = now.Add(a.cfg.Validity)
	if notAfter.After(a.issuing.NotAfter) {
		notAfter = a.issuing.NotAfter
	}
	return now, notAfter
}

// Revoke revokes the certificate with serial for reason, durably.
func (a *Authority) Revoke(ctx context.Context, serial *big.Int, reason Reason) error {
	if !reason.valid() {
		return fmt.Errorf("%w: %d", ErrReason, int(reason))
	}
	return a.store.Revoke(ctx, Revocation{Serial: serial, Reason: reason, RevokedAt: a.cfg.Now()})
}

// CRL signs the current CRL (v2, with the next CRL number, a reason code
// on every entry, nextUpdate CRLValidity ahead) with the issuing CA's key.
func (a *Authority) CRL(ctx context.Context) ([]byte, error) {
	revs, err := a.store.Revocations(ctx)
	if err != nil {
		return nil, err
	}
	number, err := a.store.NextCRLNumber(ctx)
	if err != nil {
		return nil, err
	}
	now := a.cfg.Now()
	entries := make([]smx509.RevocationListEntry, len(revs))
	for i, r := range revs {
		entries[i] = smx509.RevocationListEntry{SerialNumber: r.Serial, RevocationTime: r.RevokedAt.UTC(), ReasonCode: int(r.Reason)}
	}
	return smx509.CreateRevocationList(rand.Reader, &smx509.RevocationList{
		SignatureAlgorithm: smx509.SM2WithSM3, Number: big.NewInt(number),
		ThisUpdate: now.Add(-clockSkew), NextUpdate: now.Add(a.cfg.CRLValidity),
		RevokedCertificateEntries: entries,
	}, a.issuing, a.key)
}
