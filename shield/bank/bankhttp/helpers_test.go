package bankhttp_test

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/dbtest"
	"trustbank/internal/node"
	"trustbank/internal/testkeys"
	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
	"trustbank/shield/bank/banktest"
	"trustbank/shield/ca/cert"
)

var ctx = context.Background()

const yuan = 100 // fen

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// env is a real node (its shield bank, CA and database) behind an
// httptest server, and a client.
type env struct {
	t     *testing.T
	cfg   node.Config
	clock *banktest.Clock
	node  *node.Node
	srv   *httptest.Server
	c     *bankhttp.Client
	anon  *bankhttp.Client // no admin token
}

func newEnv(t *testing.T, tg dbtest.Target) *env {
	s := node.DefaultSchedule()
	s.Denoms, s.Lookahead = s.Denoms[:2], 0
	e := &env{t: t, clock: banktest.NewClock()}
	e.cfg = node.Config{DataDir: t.TempDir(), PostgresDSN: tg.DSN, PostgresSchema: tg.Schema,
		Schedule: s, GenerateKey: testkeys.RSA, Now: e.clock.Now}
	e.open()
	return e
}

// open opens the node and serves it.
func (e *env) open() {
	n, err := node.Open(ctx, e.cfg)
	must(e.t, err)
	e.node = n
	e.srv = httptest.NewServer(bankhttp.NewHandler(bankhttp.Deps{Server: n.Shield.Server, Authority: n.Shield.Authority,
		Cert: n.Shield.Cert, AdminToken: n.AdminToken}))
	e.c = &bankhttp.Client{Base: e.srv.URL, AdminToken: n.AdminToken}
	e.anon = &bankhttp.Client{Base: e.srv.URL}
	e.t.Cleanup(e.close)
}

func (e *env) close() {
	if e.node != nil {
		e.srv.Close()
		e.node.Close()
		e.node = nil
	}
}

// reopen stops the server and the node and starts them again on the same
// data directory and database.
func (e *env) reopen() {
	e.close()
	e.open()
}

// device is a customer's phone: a soft card, and the CA root and server
// certificate fetched from the server (a real device pins them).
func device(t testing.TB, c *bankhttp.Client) (*bank.Device, *banktest.SoftCard) {
	root, issuing, srvCert, err := c.PKI(ctx)
	must(t, err)
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(root)
	mids.AddCert(issuing)
	card := banktest.NewSoftCard()
	return &bank.Device{Card: card, Trust: bank.Trust{Roots: roots, Intermediates: mids}, Server: srvCert, Now: time.Now}, card
}

const idCard = banktest.IDCard

// customer opens account id (a bank account number) with balance and
// enrolls a soft card for it, everything over HTTP.
func customer(t testing.TB, c *bankhttp.Client, id string, balance uint64) *bank.Device {
	t.Helper()
	must(t, c.OpenAccount(ctx, id, "Owner "+id[len(id)-4:], idCard, "pw-"+id, balance))
	d, card := device(t, c)
	ses, err := c.PasswordLogin(ctx, &bank.PasswordLogin{Account: id, Password: "pw-" + id})
	must(t, err)
	code, err := c.IssueAuthCode(ctx, id)
	must(t, err)
	req, err := d.EnrollRequest(ses, code, pkix.Name{CommonName: id, SerialNumber: "IDCCN-" + idCard})
	must(t, err)
	resp, err := c.Enroll(ctx, req)
	must(t, err)
	conf, err := d.FinishEnrollment(ctx, card.Public(), resp)
	must(t, err)
	must(t, c.ConfirmEnrollment(ctx, conf))
	return d
}

// certLogin runs a certificate login over HTTP.
func certLogin(t testing.TB, c *bankhttp.Client, d *bank.Device, id string) (*bank.Session, *bank.LoginResponse) {
	t.Helper()
	ch, err := c.Challenge(ctx, id)
	must(t, err)
	resp, err := d.AnswerLogin(ch)
	must(t, err)
	ses, err := c.Login(ctx, resp)
	must(t, err)
	return ses, resp
}

// signedOrder pre-submits p and has the device open and sign the order.
func signedOrder(t testing.TB, c *bankhttp.Client, d *bank.Device, ses *bank.Session, p bank.Payment) (*bank.Order, *bank.Confirm) {
	t.Helper()
	pre := &bank.PreSubmit{Session: ses.Token, Payment: p}
	resp, err := c.PreSubmit(ctx, pre)
	must(t, err)
	o, err := d.OpenOrder(pre, resp)
	must(t, err)
	conf, err := d.SignOrder(o, []byte(banktest.PIN))
	must(t, err)
	return o, conf
}

// money returns the sum of balances and the money paid in, which must agree.
func (e *env) money() uint64 {
	bal, paid, err := e.node.Shield.Store.Totals(ctx)
	must(e.t, err)
	if bal != paid {
		e.t.Fatalf("balances %d, paid in %d", bal, paid)
	}
	return bal
}

func (e *env) balance(id string) uint64 {
	a, err := e.node.Shield.Store.Account(ctx, id)
	must(e.t, err)
	return a.Balance
}

// wantCode checks that err is the API error code with status, and that it
// unwraps to sentinel.
func wantCode(t testing.TB, err error, status int, code string, sentinel error) {
	t.Helper()
	var ae *bankhttp.APIError
	if !errors.As(err, &ae) || ae.Status != status || ae.Code != code {
		t.Fatalf("got %v, want HTTP %d %s", err, status, code)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("%v does not unwrap to %v", err, sentinel)
	}
}

// checkIssued checks that the account's bound certificate is the node
// CA's: in its issuance log, with the identity the bank holds.
func (e *env) checkIssued(id string) {
	e.t.Helper()
	a, err := e.node.Shield.Store.Account(ctx, id)
	must(e.t, err)
	c, err := smx509.ParseCertificate(a.Cert)
	must(e.t, err)
	if _, err := e.node.Shield.CAStore.Lookup(ctx, c.SerialNumber); err != nil {
		e.t.Fatalf("bound certificate not in the CA's log: %v", err)
	}
	got, err := cert.IdentityOf(c)
	must(e.t, err)
	if want := (cert.Identity{Name: a.Owner, IDCard: idCard, Account: id}); got != want {
		e.t.Fatalf("certificate identity %+v, want %+v", got, want)
	}
}
