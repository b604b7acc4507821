package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/atomicfile"
	"trustbank/shield/bank"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// Shield is the secure-element ("film shield") bank of seed 002: its CA,
// the server's own certificate, and the bank server on the node's database.
type Shield struct {
	Server    *bank.Server
	Store     *bank.SQLStore
	Authority *ca.Authority
	CAStore   ca.Store // the CA's issuance log and revocations
	// Cert is the bank server's certificate (issued by the issuing CA):
	// devices pin it and check login challenges and orders with it.
	Cert *smx509.Certificate
}

// shieldSecrets are the shield bank's keys and certificates in
// secrets.json: the CA root and issuing certificates (DER), their keys and
// the server's key sealed (package ca's SealKey, PEM) under a key derived
// from the node's master key, and the server's certificate (DER).
type shieldSecrets struct {
	Root       []byte `json:"root"`
	Issuing    []byte `json:"issuing"`
	RootKey    []byte `json:"root_key"`
	IssuingKey []byte `json:"issuing_key"`
	ServerKey  []byte `json:"server_key"`
	ServerCert []byte `json:"server_cert"`
}

// shieldOrg is the organization of the shield CA's certificates.
const shieldOrg = "Trustbank"

// ShieldCRLPath is where the shield CA's CRL is published (the
// cRLDistributionPoints of every certificate it issues, relative to the
// node's address).
const ShieldCRLPath = "/shield/v1/crl"

// shieldMaster derives the key that seals the shield CA's keys from the
// node's master key (HKDF-SM3), so neither key seals the other's data.
func shieldMaster(master []byte) (*ca.MasterKey, error) {
	return sealingKey(master, "shield-ca-master")
}

// sealingKey derives the key that seals one part's keys (use names the
// part) from the node's master key with HKDF-SM3.
func sealingKey(master []byte, use string) (*ca.MasterKey, error) {
	k, err := hkdf.Key(sm3.New, master, nil, "trustbank/node/v1/"+use, 32)
	if err != nil {
		return nil, err
	}
	var m ca.MasterKey
	copy(m[:], k)
	clear(k)
	return &m, nil
}

// shieldKeys returns the shield bank's secrets, creating the CA hierarchy
// and the server's key and certificate on first use and saving them in
// path before anything uses them.
func (s *secrets) shieldKeys(path string, m *ca.MasterKey, now time.Time) (*shieldSecrets, error) {
	if s.Shield != nil {
		return s.Shield, nil
	}
	h, err := ca.NewHierarchy(shieldOrg, now)
	if err != nil {
		return nil, err
	}
	defer h.Zeroize()
	srvKey, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	srvCert, err := serverCertificate(h, &srvKey.PublicKey, now)
	if err != nil {
		return nil, err
	}
	sh := &shieldSecrets{Root: h.Root.Raw, Issuing: h.Issuing.Raw, ServerCert: srvCert.Raw}
	for _, k := range []struct {
		role string
		key  *sm2.PrivateKey
		out  *[]byte
	}{{"root", h.RootKey, &sh.RootKey}, {"issuing", h.IssuingKey, &sh.IssuingKey}, {"shield-server", srvKey, &sh.ServerKey}} {
		if *k.out, err = m.SealKey(k.role, k.key); err != nil {
			return nil, err
		}
	}
	s.Shield = sh
	return sh, atomicfile.WriteJSON(path, s)
}

// serverCertificate is the bank server's certificate, signed by the
// issuing CA: digitalSignature (challenges, orders), serverAuth, valid as
// long as the issuing CA.
func serverCertificate(h *ca.Hierarchy, pub *ecdsa.PublicKey, now time.Time) (*smx509.Certificate, error) {
	var b [16]byte
	rand.Read(b[:])
	b[0] = b[0]&0x7f | 0x40
	tmpl := &smx509.Certificate{SerialNumber: new(big.Int).SetBytes(b[:]), SignatureAlgorithm: smx509.SM2WithSM3,
		Subject:   pkix.Name{Country: []string{"CN"}, Organization: []string{shieldOrg}, CommonName: shieldOrg + " shield bank server"},
		NotBefore: now.Add(-5 * time.Minute), NotAfter: h.Issuing.NotAfter, BasicConstraintsValid: true,
		KeyUsage: smx509.KeyUsageDigitalSignature, ExtKeyUsage: []smx509.ExtKeyUsage{smx509.ExtKeyUsageServerAuth}}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, h.Issuing, pub, h.IssuingKey)
	if err != nil {
		return nil, err
	}
	return smx509.ParseCertificate(der)
}

// openShield opens the shield bank: its CA (issuance log in the node's
// database), the server key and certificate, the bank's store.
func (n *Node) openShield(ctx context.Context, sec *secrets, path string) error {
	m, err := shieldMaster(sec.MasterKey)
	if err != nil {
		return err
	}
	defer m.Zeroize()
	sh, err := sec.shieldKeys(path, m, n.cfg.Now())
	if err != nil {
		return fmt.Errorf("node: shield keys: %w", err)
	}
	certs, err := parseCerts(sh.Root, sh.Issuing, sh.ServerCert)
	if err != nil {
		return fmt.Errorf("node: shield certificates: %w", err)
	}
	issuingKey, err := m.OpenKey("issuing", sh.IssuingKey)
	if err != nil {
		return err
	}
	srvKey, err := m.OpenKey("shield-server", sh.ServerKey)
	if err != nil {
		return err
	}
	caStore, err := ca.NewSQLStore(ctx, n.DB)
	if err != nil {
		return err
	}
	if err := recordOnce(ctx, caStore, certs[2], n.cfg.Now()); err != nil {
		return err
	}
	auth, err := ca.New(ca.Config{Organization: shieldOrg, CRLURL: n.cfg.ShieldCRLURL, Now: n.cfg.Now},
		certs[0], certs[1], issuingKey, caStore)
	if err != nil {
		return err
	}
	store, err := bank.NewSQLStore(ctx, n.DB)
	if err != nil {
		return err
	}
	c := bank.DefaultConfig()
	c.Store, c.Key, c.Now = store, srvKey, n.cfg.Now
	if n.cfg.ShieldPerClient != 0 {
		c.PerClient = n.cfg.ShieldPerClient
	}
	c.CA = &shieldCA{auth: auth, accounts: store}
	c.Trust = shieldTrust(certs[0], certs[1], caStore)
	srv, err := bank.NewServer(c)
	if err != nil {
		return err
	}
	n.Shield = &Shield{Server: srv, Store: store, Authority: auth, CAStore: caStore, Cert: certs[2]}
	return nil
}

func parseCerts(ders ...[]byte) ([]*smx509.Certificate, error) {
	out := make([]*smx509.Certificate, len(ders))
	for i, der := range ders {
		c, err := smx509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// recordOnce puts the server's certificate in the CA's issuance log (once:
// secrets.json is written before the log, so a crash between them is
// mended on the next start).
func recordOnce(ctx context.Context, s ca.Store, c *smx509.Certificate, now time.Time) error {
	_, err := s.Lookup(ctx, c.SerialNumber)
	if !errors.Is(err, ca.ErrUnknownSerial) {
		return err
	}
	return s.Record(ctx, ca.Record{Serial: c.SerialNumber, Subject: c.Subject.String(), IssuedAt: now, NotAfter: c.NotAfter, DER: c.Raw})
}

func shieldTrust(root, issuing *smx509.Certificate, s ca.Store) bank.Trust {
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(root)
	mids.AddCert(issuing)
	return bank.Trust{Roots: roots, Intermediates: mids, Revocation: revocations{issuing: issuing, store: s}}
}

// revocations is bank.Revocation from the CA's own revocation records
// (what its CRL lists), read at every check.
type revocations struct {
	issuing *smx509.Certificate
	store   ca.Store
}

func (r revocations) Revoked(ctx context.Context, c *smx509.Certificate) (bool, error) {
	if string(c.RawIssuer) != string(r.issuing.RawSubject) {
		return false, nil
	}
	revs, err := r.store.Revocations(ctx)
	if err != nil {
		return false, err
	}
	for _, rv := range revs {
		if rv.Serial.Cmp(c.SerialNumber) == 0 {
			return true, nil
		}
	}
	return false, nil
}

// shieldCA is bank.CA through shield/ca: the identity in the certificate
// is the account the enrollment's session authenticated (never one the
// request names), and its holder's name and resident ID number as the
// bank recorded them when the account was opened. A request whose
// subject serialNumber claims another ID number ("IDCCN-<number>") is
// refused; one without a claim gets the bank's. The key also decrypts
// (Encipherment): orders are SM2-encrypted to it.
type shieldCA struct {
	auth     *ca.Authority
	accounts bank.Store
}

func (s *shieldCA) Issue(ctx context.Context, account string, csr []byte) ([]byte, error) {
	r, err := ca.ParseRequest(csr, nil)
	if err != nil {
		return nil, err
	}
	a, err := s.accounts.Account(ctx, account)
	if err != nil {
		return nil, err
	}
	if a.IDCard == "" {
		return nil, fmt.Errorf("%w: account %s has no resident ID number on file (opened before they were kept)", cert.ErrIdentity, a.ID)
	}
	if claim := r.CSR.Subject.SerialNumber; claim != "" && claim != cert.SubjectSerial(a.IDCard) {
		return nil, fmt.Errorf("%w: the request's subject serialNumber %q is not the account holder's ID number", cert.ErrIdentity, claim)
	}
	is, err := s.auth.Issue(ctx, ca.IssueRequest{CSR: csr, Encipherment: true,
		Identity: cert.Identity{Name: a.Owner, IDCard: a.IDCard, Account: a.ID}})
	if err != nil {
		return nil, err
	}
	return is.Bundle, nil
}
