package bank

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank/banktest"
)

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testCA is a real two-level SM2 CA made with smx509: a root and an
// issuing CA that signs leaf certificates and CRLs.
type testCA struct {
	root, issuer       *smx509.Certificate
	rootKey, issuerKey *sm2.PrivateKey
	serial             int64
	mu                 sync.Mutex
	revoked            []smx509.RevocationListEntry
}

func newTestCA(t testing.TB, name string) *testCA {
	ca := &testCA{serial: 100}
	var err error
	ca.rootKey, err = sm2.GenerateKey(rand.Reader)
	must(t, err)
	ca.issuerKey, err = sm2.GenerateKey(rand.Reader)
	must(t, err)
	now := time.Now()
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &ca.rootKey.PublicKey, ca.rootKey)
	must(t, err)
	ca.root, err = smx509.ParseCertificate(der)
	must(t, err)
	tmpl.SerialNumber, tmpl.Subject = big.NewInt(2), pkix.Name{CommonName: name + " issuing CA"}
	der, err = smx509.CreateCertificate(rand.Reader, tmpl, ca.root, &ca.issuerKey.PublicKey, ca.rootKey)
	must(t, err)
	ca.issuer, err = smx509.ParseCertificate(der)
	must(t, err)
	return ca
}

func (ca *testCA) sign(pub *ecdsa.PublicKey, cn string) ([]byte, error) {
	ca.mu.Lock()
	ca.serial++
	serial := ca.serial
	ca.mu.Unlock()
	now := time.Now()
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour), KeyUsage: smx509.KeyUsageDigitalSignature}
	return smx509.CreateCertificate(rand.Reader, tmpl, ca.issuer, pub, ca.issuerKey)
}

// Issue implements CA: the leaf (named after the account) then the issuing
// CA, as a PKCS#7 bundle.
func (ca *testCA) Issue(_ context.Context, account string, csrDER []byte) ([]byte, error) {
	csr, err := smx509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, err
	}
	pub, ok := csr.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not SM2")
	}
	leaf, err := ca.sign(pub, account)
	if err != nil {
		return nil, err
	}
	return pkcs7.DegenerateCertificate(append(leaf, ca.issuer.Raw...))
}

func (ca *testCA) trust() Trust {
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(ca.root)
	mids.AddCert(ca.issuer)
	return Trust{Roots: roots, Intermediates: mids, Revocation: ca}
}

// Revoked implements Revocation through a freshly signed and parsed CRL.
func (ca *testCA) Revoked(ctx context.Context, cert *smx509.Certificate) (bool, error) {
	ca.mu.Lock()
	entries := append([]smx509.RevocationListEntry(nil), ca.revoked...)
	ca.mu.Unlock()
	der, err := smx509.CreateRevocationList(rand.Reader, &smx509.RevocationList{Number: big.NewInt(1),
		ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour), RevokedCertificateEntries: entries}, ca.issuer, ca.issuerKey)
	if err != nil {
		return false, err
	}
	crl, err := NewCRL(der, ca.issuer)
	if err != nil {
		return false, err
	}
	return crl.Revoked(ctx, cert)
}

func (ca *testCA) revoke(cert []byte) {
	c, _ := smx509.ParseCertificate(cert)
	ca.mu.Lock()
	ca.revoked = append(ca.revoked, smx509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: time.Now()})
	ca.mu.Unlock()
}

// system is a bank server on a real store with a real CA, and helpers to
// play the customer's device.
type system struct {
	t     testing.TB
	ca    *testCA
	clock *banktest.Clock
	tg    dbtest.Target
	store *SQLStore
	srv   *Server
	key   *sm2.PrivateKey
	cert  *smx509.Certificate
}

func newSystem(t testing.TB, tg dbtest.Target) *system {
	s := &system{t: t, ca: newTestCA(t, "test"), clock: banktest.NewClock(), tg: tg}
	var err error
	s.key, err = sm2.GenerateKey(rand.Reader)
	must(t, err)
	der, err := s.ca.sign(&s.key.PublicKey, "bank server")
	must(t, err)
	s.cert, err = smx509.ParseCertificate(der)
	must(t, err)
	s.restart()
	return s
}

// restart opens a new database handle and a new server on it.
func (s *system) restart() {
	db, err := s.tg.Open(ctx)
	must(s.t, err)
	s.t.Cleanup(func() { db.Close() })
	s.store, err = NewSQLStore(ctx, db)
	must(s.t, err)
	s.t.Cleanup(s.store.Close)
	c := DefaultConfig()
	c.Store, c.CA, c.Trust, c.Key, c.Now = s.store, s.ca, s.ca.trust(), s.key, s.clock.Now
	s.srv, err = NewServer(c)
	must(s.t, err)
}

func (s *system) device(card Card) *Device {
	tr := s.ca.trust()
	tr.Revocation = nil
	return &Device{Card: card, Trust: tr, Server: s.cert, Now: s.clock.Now}
}

// customer opens an account and enrolls a soft card for it.
func (s *system) customer(id string, balance uint64) (*Device, *banktest.SoftCard) {
	must(s.t, s.srv.OpenAccount(ctx, id, "owner of "+id, banktest.IDCard, "pw-"+id, balance))
	card := banktest.NewSoftCard()
	d := s.device(card)
	ses := s.passwordLogin(id)
	code, err := s.srv.IssueAuthCode(ctx, id)
	must(s.t, err)
	req, err := d.EnrollRequest(ses, code, pkix.Name{CommonName: id})
	must(s.t, err)
	resp, err := s.srv.Enroll(ctx, req)
	must(s.t, err)
	conf, err := d.FinishEnrollment(ctx, card.Public(), resp)
	must(s.t, err)
	must(s.t, s.srv.ConfirmEnrollment(ctx, conf))
	return d, card
}

func (s *system) passwordLogin(id string) *Session {
	ses, err := s.srv.PasswordLogin(ctx, &PasswordLogin{Account: id, Password: "pw-" + id})
	must(s.t, err)
	return ses
}

// answer has the server issue a login challenge for id and the device
// answer it.
func (s *system) answer(d *Device, id string) (*LoginChallenge, *LoginResponse) {
	ch, err := s.srv.Challenge(ctx, id)
	must(s.t, err)
	resp, err := d.AnswerLogin(ch)
	must(s.t, err)
	return ch, resp
}

func (s *system) certLogin(d *Device, id string) *Session {
	_, resp := s.answer(d, id)
	ses, err := s.srv.Login(ctx, resp)
	must(s.t, err)
	return ses
}

// aliceAndBob enrolls alice with balance and bob with nothing, and logs
// alice in with her card.
func (s *system) aliceAndBob(balance uint64) (*Device, *banktest.SoftCard, *Session) {
	d, card := s.customer("alice", balance)
	s.customer("bob", 0)
	return d, card, s.certLogin(d, "alice")
}

// resign has the card sign the order of conf afresh: another confirmation
// of the same order.
func (s *system) resign(d *Device, conf *Confirm) *Confirm {
	var o Order
	must(s.t, o.UnmarshalBinary(conf.Order))
	again, err := d.SignOrder(&o, []byte(banktest.PIN))
	must(s.t, err)
	return again
}

// signedConfirm runs pre-submit and the device's side of a payment.
func (s *system) signedConfirm(d *Device, ses *Session, p Payment) *Confirm {
	pre := &PreSubmit{Session: ses.Token, Payment: p}
	resp, err := s.srv.PreSubmit(ctx, pre)
	must(s.t, err)
	o, err := d.OpenOrder(pre, resp)
	must(s.t, err)
	conf, err := d.SignOrder(o, []byte(banktest.PIN))
	must(s.t, err)
	return conf
}

func (s *system) checkMoney(want uint64) {
	s.t.Helper()
	bal, paid, err := s.store.Totals(ctx)
	must(s.t, err)
	if bal != paid || paid != want {
		s.t.Fatalf("money: balances %d, paid in %d, want both %d", bal, paid, want)
	}
}

func (s *system) balance(id string) uint64 {
	a, err := s.store.Account(ctx, id)
	must(s.t, err)
	return a.Balance
}

func pkixName(cn string) pkix.Name { return pkix.Name{CommonName: cn} }

// sealTo SM2-encrypts msg to the card's key, as the server does.
func (s *system) sealTo(card *banktest.SoftCard, msg []byte) []byte {
	ct, err := sm2.EncryptASN1(rand.Reader, card.Public(), msg)
	must(s.t, err)
	return ct
}
