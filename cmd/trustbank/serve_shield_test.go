package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
)

// shieldCard plays the secure element with an SM2 key held by the test;
// shield/card's virtual card replaces it once it is ready.
type shieldCard struct{ key *sm2.PrivateKey }

func (c *shieldCard) GenerateKey() (*ecdsa.PublicKey, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	c.key = k
	if err != nil {
		return nil, err
	}
	return &k.PublicKey, nil
}
func (c *shieldCard) VerifyPIN(pin []byte) error {
	if string(pin) != "1234" {
		return errors.New("wrong PIN")
	}
	return nil
}
func (c *shieldCard) Sign(msg []byte) ([]byte, error) {
	return c.key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
}
func (c *shieldCard) Decrypt(ct []byte) ([]byte, error) { return sm2.Decrypt(c.key, ct) }
func (c *shieldCard) StoreCertificate(der []byte) error { return nil }

// A real `trustbank serve` mounts the shield bank under /shield/v1/: a
// customer enrolls a card through the node's CA and logs in with it.
func TestServeShieldEnrollAndLogin(t *testing.T) {
	ctx := context.Background()
	args := []string{"--data", t.TempDir()}
	base, _ := startServer(t, args...)
	c := &bankhttp.Client{Base: base, AdminToken: adminToken(t, args)}
	const acct = "6222020000000001"
	if err := c.OpenAccount(ctx, acct, "Alice", "11010519491231002X", "pw", 1000_00); err != nil {
		t.Fatal(err)
	}
	root, issuing, srvCert, err := c.PKI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(root)
	mids.AddCert(issuing)
	card := &shieldCard{}
	d := &bank.Device{Card: card, Trust: bank.Trust{Roots: roots, Intermediates: mids}, Server: srvCert, Now: time.Now}
	ses, err := c.PasswordLogin(ctx, &bank.PasswordLogin{Account: acct, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := c.IssueAuthCode(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	req, err := d.EnrollRequest(ses, code, pkix.Name{CommonName: acct, SerialNumber: "IDCCN-11010519491231002X"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Enroll(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := d.FinishEnrollment(ctx, &card.key.PublicKey, resp)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ConfirmEnrollment(ctx, conf); err != nil {
		t.Fatal(err)
	}
	ch, err := c.Challenge(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := d.AnswerLogin(ch)
	if err != nil {
		t.Fatal(err)
	}
	strong, err := c.Login(ctx, lr)
	if err != nil || strong.Level != bank.LevelCertificate {
		t.Fatalf("certificate login: %v", err)
	}
	if _, err := c.Login(ctx, lr); !errors.Is(err, bank.ErrChallengeUsed) {
		t.Fatalf("replayed login response: %v", err)
	}
}
