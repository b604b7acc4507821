package node

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"path/filepath"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/invoice"
	"trustbank/internal/atomicfile"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// Einvoice is the tax authority's e-invoice system of seed 003 (package
// einvoice) on the node's database. Its invoice-signing certificate is
// issued by the node's CA (the shield CA), so invoices verify offline
// against that CA's root, which the node also writes to
// <data>/einvoice-root.pem for buyers to pin.
type Einvoice struct {
	System *einvoice.System
	Store  *einvoice.SQLStore
	Root   *smx509.Certificate
}

// EinvoiceRootFile is the PEM file of the root invoices chain to, in the
// data directory.
const EinvoiceRootFile = "einvoice-root.pem"

// DefaultTaxBureau is the organization the node's invoice-signing
// certificate names.
var DefaultTaxBureau = cert.Organization{Name: "Trustbank 电子发票服务平台", TaxID: "11100000000013127D"}

// einvoiceSecrets are the tax system's keys in secrets.json: its SM2
// registration key and invoice-signing key sealed like the shield CA's
// keys (under a key derived from the node's master key), and the
// signing certificate (DER). Ke is not stored: it is derived from the
// node's master key (HKDF-SM3, its own label), so it is as safe as the
// master key and the same on every start.
type einvoiceSecrets struct {
	RegistrationKey []byte `json:"registration_key"`
	SignerKey       []byte `json:"signer_key"`
	SignerCert      []byte `json:"signer_cert"`
}

// einvoiceKe derives Ke from the node's master key.
func einvoiceKe(master []byte) (*einvoice.MasterKey, error) {
	k, err := sealingKey(master, "einvoice-Ke")
	if err != nil {
		return nil, err
	}
	defer k.Zeroize()
	ke := einvoice.MasterKey(*k)
	return &ke, nil
}

// einvoiceKeys returns the tax system's secrets, making the registration
// key and the signing key, certified by auth, on first use and saving
// them in path before anything uses them.
func (s *secrets) einvoiceKeys(ctx context.Context, path string, m *ca.MasterKey, auth *ca.Authority, org cert.Organization) (*einvoiceSecrets, error) {
	if s.Einvoice != nil {
		return s.Einvoice, nil
	}
	reg, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signKey, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	csr, err := smx509.CreateCertificateRequest(rand.Reader, &smx509.CertificateRequest{
		Subject: pkix.Name{CommonName: org.Name}, SignatureAlgorithm: smx509.SM2WithSM3}, signKey)
	if err != nil {
		return nil, err
	}
	is, err := auth.IssueSigning(ctx, ca.SigningRequest{CSR: csr, Organization: org})
	if err != nil {
		return nil, err
	}
	e := &einvoiceSecrets{SignerCert: is.Certificate.Raw}
	if e.RegistrationKey, err = m.SealKey("einvoice-registration", reg); err != nil {
		return nil, err
	}
	if e.SignerKey, err = m.SealKey("einvoice-signer", signKey); err != nil {
		return nil, err
	}
	// A crash before this write leaves an orphan certificate in the CA's
	// issuance log (its key never saved); the next start makes another.
	s.Einvoice = e
	return e, atomicfile.WriteJSON(path, s)
}

// openEinvoice opens the tax e-invoice system: its keys, its signer
// (certified by the shield CA, which must be open), its store, and the
// link to sellers' invoicing servers (HTTP unless cfg.EinvoiceLink).
func (n *Node) openEinvoice(ctx context.Context, sec *secrets, path string) error {
	m, err := sealingKey(sec.MasterKey, "einvoice-master")
	if err != nil {
		return err
	}
	defer m.Zeroize()
	org := n.cfg.TaxBureau
	if org == (cert.Organization{}) {
		org = DefaultTaxBureau
	}
	es, err := sec.einvoiceKeys(ctx, path, m, n.Shield.Authority, org)
	if err != nil {
		return fmt.Errorf("node: e-invoice keys: %w", err)
	}
	signer, err := n.einvoiceSigner(m, es)
	if err != nil {
		return err
	}
	reg, err := m.OpenKey("einvoice-registration", es.RegistrationKey)
	if err != nil {
		return err
	}
	ke, err := einvoiceKe(sec.MasterKey)
	if err != nil {
		return err
	}
	store, err := einvoice.NewSQLStore(ctx, n.DB)
	if err != nil {
		return err
	}
	link := n.cfg.EinvoiceLink
	if link == nil {
		link = &einvoicehttp.SellerLink{}
	}
	sys, err := einvoice.NewSystem(einvoice.SystemConfig{Master: ke, Key: reg, Store: store, Signer: signer, Sellers: link, Now: n.cfg.Now})
	if err != nil {
		store.Close()
		return err
	}
	root := n.Shield.Authority.Root()
	n.Einvoice = &Einvoice{System: sys, Store: store, Root: root}
	return atomicfile.Write(filepath.Join(n.cfg.DataDir, EinvoiceRootFile),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}))
}

// einvoiceSigner opens the invoice-signing key and its chain (leaf, the
// shield CA's issuing certificate).
func (n *Node) einvoiceSigner(m *ca.MasterKey, es *einvoiceSecrets) (*invoice.Signer, error) {
	leaf, err := smx509.ParseCertificate(es.SignerCert)
	if err != nil {
		return nil, fmt.Errorf("node: e-invoice signing certificate: %w", err)
	}
	key, err := m.OpenKey("einvoice-signer", es.SignerKey)
	if err != nil {
		return nil, err
	}
	return invoice.NewSigner(key, leaf, n.Shield.Authority.Issuing())
}
