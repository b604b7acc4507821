package main

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
	"trustbank/shield/bank/banktest"
)

// shieldCustomer opens account acct with balance and enrolls a soft card
// for it through the server's CA, everything over HTTP.
func shieldCustomer(t *testing.T, c *bankhttp.Client, acct string, balance uint64) *bank.Device {
	t.Helper()
	ctx := context.Background()
	must(t, c.OpenAccount(ctx, acct, "Owner "+acct, banktest.IDCard, "pw", balance))
	root, issuing, srvCert, err := c.PKI(ctx)
	must(t, err)
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(root)
	mids.AddCert(issuing)
	card := banktest.NewSoftCard()
	d := &bank.Device{Card: card, Trust: bank.Trust{Roots: roots, Intermediates: mids}, Server: srvCert, Now: time.Now}
	ses, err := c.PasswordLogin(ctx, &bank.PasswordLogin{Account: acct, Password: "pw"})
	must(t, err)
	code, err := c.IssueAuthCode(ctx, acct)
	must(t, err)
	req, err := d.EnrollRequest(ses, code, pkix.Name{CommonName: acct, SerialNumber: "IDCCN-" + banktest.IDCard})
	must(t, err)
	resp, err := c.Enroll(ctx, req)
	must(t, err)
	conf, err := d.FinishEnrollment(ctx, card.Public(), resp)
	must(t, err)
	must(t, c.ConfirmEnrollment(ctx, conf))
	return d
}

// shieldLogin runs a certificate login and returns the session and the
// card's answer (to replay).
func shieldLogin(t *testing.T, c *bankhttp.Client, d *bank.Device, acct string) (*bank.Session, *bank.LoginResponse) {
	t.Helper()
	ch, err := c.Challenge(context.Background(), acct)
	must(t, err)
	lr, err := d.AnswerLogin(ch)
	must(t, err)
	ses, err := c.Login(context.Background(), lr)
	must(t, err)
	return ses, lr
}

// A real `trustbank serve` mounts the shield bank under /shield/v1/: a
// customer enrolls a card through the node's CA and logs in with it.
func TestServeShieldEnrollAndLogin(t *testing.T) {
	args := []string{"--data", t.TempDir()}
	base, _ := startServer(t, args...)
	c := &bankhttp.Client{Base: base, AdminToken: adminToken(t, args)}
	const acct = "6222020000000001"
	d := shieldCustomer(t, c, acct, 1000_00)
	strong, lr := shieldLogin(t, c, d, acct)
	if strong.Level != bank.LevelCertificate {
		t.Fatalf("certificate login: level %v", strong.Level)
	}
	if _, err := c.Login(context.Background(), lr); !errors.Is(err, bank.ErrChallengeUsed) {
		t.Fatalf("replayed login response: %v", err)
	}
}
