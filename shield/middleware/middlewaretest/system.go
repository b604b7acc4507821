// Package middlewaretest builds, in one process, everything the
// middleware talks to: a shield/ca hierarchy and authority, the
// shield/bank server on SQLite, and personalised virtual cards whose host
// keys are dispersed with middleware.Provision. Tests of
// shield/middleware and `trustbank bench shield` use it.
package middlewaretest

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/sqldb"
	"trustbank/shield/bank"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
	"trustbank/shield/card"
	"trustbank/shield/middleware"
)

// PIN and PUK of every card made here.
const (
	PIN = "246810"
	PUK = "13572468"
)

// idCard is a resident ID number with a valid check character.
const idCard = "11010519491231002X"

// System is a CA, a bank server on SQLite and the device's trust.
type System struct {
	H      *ca.Hierarchy
	CA     *ca.Authority
	Server *bank.Server
	Store  *bank.SQLStore
	Cert   *smx509.Certificate // the bank server's certificate
	Trust  bank.Trust          // the device's: root and issuing CA, no revocation
	dbs    []*sqldb.DB
}

// caAdapter is the bank.CA over shield/ca: the identity is the account
// the enrollment's session authenticated (the bank vouches for it).
type caAdapter struct{ a *ca.Authority }

func (c caAdapter) Issue(ctx context.Context, account string, csr []byte) ([]byte, error) {
	is, err := c.a.Issue(ctx, ca.IssueRequest{CSR: csr, Encipherment: true,
		Identity: cert.Identity{Name: "Customer " + account, IDCard: idCard, Account: account}})
	if err != nil {
		return nil, err
	}
	return is.Bundle, nil
}

// New builds the system with its databases in dir.
func New(ctx context.Context, dir string) (*System, error) {
	s := &System{}
	var err error
	if s.H, err = ca.NewHierarchy("Trustbank Test", time.Now()); err != nil {
		return nil, err
	}
	cadb, err := s.open(filepath.Join(dir, "ca.db"))
	if err != nil {
		return nil, err
	}
	castore, err := ca.NewSQLStore(ctx, cadb)
	if err != nil {
		return nil, s.fail(err)
	}
	s.CA, err = ca.New(ca.Config{Organization: "Trustbank Test", CRLURL: "http://ca.trustbank.test/issuing.crl"},
		s.H.Root, s.H.Issuing, s.H.IssuingKey, castore)
	if err != nil {
		return nil, s.fail(err)
	}
	return s, s.fail(s.startBank(ctx, filepath.Join(dir, "bank.db")))
}

func (s *System) open(path string) (*sqldb.DB, error) {
	db, err := sqldb.OpenSQLite(path)
	if err == nil {
		s.dbs = append(s.dbs, db)
	}
	return db, err
}

// fail closes the databases when err is not nil.
func (s *System) fail(err error) error {
	if err != nil {
		s.Close()
	}
	return err
}

// Close stops the bank store's group commit and closes the databases.
func (s *System) Close() {
	if s.Store != nil {
		s.Store.Close()
		s.Store = nil
	}
	for _, db := range s.dbs {
		db.Close()
	}
	s.dbs = nil
}

func (s *System) startBank(ctx context.Context, path string) error {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	csr, err := smx509.CreateCertificateRequest(rand.Reader, &smx509.CertificateRequest{Subject: pkix.Name{CommonName: "99990000"}}, key)
	if err != nil {
		return err
	}
	is, err := s.CA.Issue(ctx, ca.IssueRequest{CSR: csr, Identity: cert.Identity{Name: "Trustbank server", IDCard: idCard, Account: "99990000"}})
	if err != nil {
		return err
	}
	s.Cert = is.Certificate
	crl, err := s.CA.CRL(ctx)
	if err != nil {
		return err
	}
	rev, err := bank.NewCRL(crl, s.H.Issuing)
	if err != nil {
		return err
	}
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(s.H.Root)
	mids.AddCert(s.H.Issuing)
	s.Trust = bank.Trust{Roots: roots, Intermediates: mids}
	db, err := s.open(path)
	if err != nil {
		return err
	}
	if s.Store, err = bank.NewSQLStore(ctx, db); err != nil {
		return err
	}
	c := bank.DefaultConfig()
	c.Store, c.CA, c.Key = s.Store, caAdapter{s.CA}, key
	c.Trust = bank.Trust{Roots: roots, Intermediates: mids, Revocation: rev}
	s.Server, err = bank.NewServer(c)
	return err
}

// Card is a personalised virtual card and the sandbox file its host keys
// were dispersed into.
type Card struct {
	Card    *card.Card
	Store   *card.MemStore
	Sandbox *middleware.Sandbox
}

// NewCard personalises a card and disperses its host keys (DefaultDispersal);
// the card trusts root.
func NewCard(root *smx509.Certificate) (*Card, error) {
	host, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	smKey := make([]byte, 16)
	rand.Read(smKey)
	c := &Card{Store: &card.MemStore{}}
	pubBytes, err := card.Personalise(c.Store, card.Personalisation{PIN: []byte(PIN), PUK: []byte(PUK),
		HostKey: publicBytes(host), SMKey: smKey})
	if err != nil {
		return nil, err
	}
	if c.Card, err = card.Open(c.Store); err != nil {
		return nil, err
	}
	pub, err := sm2.NewPublicKey(pubBytes)
	if err != nil {
		return nil, err
	}
	c.Sandbox, err = middleware.Provision(c.Card, card.HostKeys{Host: host, SMKey: smKey}, pub, root, PIN, middleware.DefaultDispersal)
	host.D.SetInt64(0)
	clear(smKey)
	return c, err
}

func publicBytes(k *sm2.PrivateKey) []byte {
	return append([]byte{4}, append(k.X.FillBytes(make([]byte, 32)), k.Y.FillBytes(make([]byte, 32))...)...)
}

// Middleware opens the middleware for a card over t (the card itself, or
// a PC/SC reader in front of it).
func (s *System) Middleware(t card.Transport, sb *middleware.Sandbox) (*middleware.Middleware, error) {
	return middleware.Open(middleware.Config{Transport: t, Sandbox: sb, Root: s.H.Root, Issuing: []*smx509.Certificate{s.H.Issuing}})
}

// Device is the banking app's bank.Device over the middleware.
func (s *System) Device(mw *middleware.Middleware) *bank.Device {
	return &bank.Device{Card: mw, Trust: s.Trust, Server: s.Cert, Now: time.Now}
}

// Customer opens account id with a password and balance.
func (s *System) Customer(ctx context.Context, id string, balance uint64) error {
	return s.Server.OpenAccount(ctx, id, "owner of "+id, idCard, "pw-"+id, balance)
}

// Enroll runs enrollment end to end: password login, code, the card's
// key and PKCS#10, the CA, the card's chain check and store, the
// confirmation. The PIN must have been verified.
func (s *System) Enroll(ctx context.Context, d *bank.Device, id string) error {
	conf, err := s.EnrollUnconfirmed(ctx, d, id)
	if err != nil {
		return err
	}
	return s.Server.ConfirmEnrollment(ctx, conf)
}

// EnrollUnconfirmed is Enroll up to the card storing the certificate (it
// signs with the new key from then on); it returns the confirmation
// without sending it to the bank, as when the confirmation is lost.
func (s *System) EnrollUnconfirmed(ctx context.Context, d *bank.Device, id string) (*bank.EnrollConfirm, error) {
	ses, err := s.Server.PasswordLogin(ctx, &bank.PasswordLogin{Account: id, Password: "pw-" + id})
	if err != nil {
		return nil, err
	}
	code, err := s.Server.IssueAuthCode(ctx, id)
	if err != nil {
		return nil, err
	}
	req, err := d.EnrollRequest(ses, code, pkix.Name{CommonName: id})
	if err != nil {
		return nil, err
	}
	resp, err := s.Server.Enroll(ctx, req)
	if err != nil {
		return nil, err
	}
	mw, ok := d.Card.(*middleware.Middleware)
	if !ok {
		return nil, errors.New("middlewaretest: the device's card is not the middleware")
	}
	pending, err := mw.PendingKey()
	if err != nil {
		return nil, err
	}
	return d.FinishEnrollment(ctx, pending, resp)
}

// Login runs certificate login: challenge, the card's answer, session.
func (s *System) Login(ctx context.Context, d *bank.Device, id string) (*bank.Session, error) {
	ch, err := s.Server.Challenge(ctx, id)
	if err != nil {
		return nil, err
	}
	resp, err := d.AnswerLogin(ch)
	if err != nil {
		return nil, err
	}
	return s.Server.Login(ctx, resp)
}

// Pay runs a card-signed transfer: pre-submit, the card opens the order,
// PIN, signature, confirmation.
func (s *System) Pay(ctx context.Context, d *bank.Device, ses *bank.Session, p bank.Payment) (*bank.Receipt, error) {
	pre := &bank.PreSubmit{Session: ses.Token, Payment: p}
	resp, err := s.Server.PreSubmit(ctx, pre)
	if err != nil {
		return nil, err
	}
	o, err := d.OpenOrder(pre, resp)
	if err != nil {
		return nil, err
	}
	conf, err := d.SignOrder(o, []byte(PIN))
	if err != nil {
		return nil, err
	}
	return s.Server.Confirm(ctx, conf)
}
