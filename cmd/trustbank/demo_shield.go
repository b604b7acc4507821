package main

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/node"
	"trustbank/shield/bank"
	"trustbank/shield/card"
	"trustbank/shield/middleware"
)

// The demo card's PIN and PUK.
const demoPIN, demoPUK = "246810", "13572468"

// shieldStory is the secure-element mobile banking of seed 002 on the
// node's shield bank: a card personalised and its host keys dispersed,
// enrollment through the node's CA, certificate login, a transfer the
// card signs after the PIN, a replayed confirmation refused, the PBOC
// 50,000 CNY rule, and a wrong PIN with the tries left.
func (d *demo) shieldStory(ctx context.Context, n *node.Node) error {
	d.section("Secure-element mobile banking (seed 002): packages shield/card, shield/ca, shield/middleware, shield/bank")
	srv := n.Shield.Server
	const alice, bob = "6222020000000101", "6222020000000102"
	if err := errors.Join(srv.OpenAccount(ctx, alice, "Alice", "11010519491231002X", "pw-alice", 12_000_000),
		srv.OpenAccount(ctx, bob, "Bob", "310115198001010024", "pw-bob", 0)); err != nil {
		return err
	}
	mw, err := demoCard(n)
	if err != nil {
		return err
	}
	defer mw.Close()
	d.say("issuer", "personalised a virtual secure element (PIN, PUK, SM2 key, SM4 channel key) and dispersed its host keys 3 of 4 between the card and the phone's sandbox file",
		"neither the phone's file nor the card alone rebuilds the channel keys")
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(n.Shield.Authority.Root())
	mids.AddCert(n.Shield.Authority.Issuing())
	dev := &bank.Device{Card: mw, Trust: bank.Trust{Roots: roots, Intermediates: mids}, Server: n.Shield.Cert, Now: time.Now}
	if err := mw.VerifyPIN([]byte(demoPIN)); err != nil {
		return err
	}
	leaf, err := demoEnroll(ctx, srv, dev, mw, alice)
	if err != nil {
		return err
	}
	d.say("alice", "enrolled with her password and the operator's code: the card made the key and the PKCS#10, the CA issued certificate serial %s to %q, the card checked the chain and stored it",
		"the CA issues alice's certificate through enrollment; the bank binds it only after the card proves it holds the key", leaf.SerialNumber, leaf.Subject.CommonName)
	ses, err := demoLogin(ctx, srv, dev, alice)
	if err != nil {
		return err
	}
	d.say("alice", "logged in with the certificate: the card checked the server's signed challenge and signed it", "session level "+ses.Level.String())
	return d.shieldTransfers(ctx, srv, dev, mw, ses, bob)
}

// shieldTransfers: a card-signed transfer, its confirmation replayed,
// the daily rule, a wrong PIN.
func (d *demo) shieldTransfers(ctx context.Context, srv *bank.Server, dev *bank.Device, mw *middleware.Middleware, ses *bank.Session, bob string) error {
	p := bank.Payment{Account: ses.Account, Payee: bob, PayeeName: "Bob", Amount: 100_000}
	conf, r, err := demoPay(ctx, srv, dev, ses, p)
	if err != nil {
		return err
	}
	d.say("alice", "paid bob %s: the bank sealed the order to her card's key, the card opened it, she entered the PIN, the card signed; receipt level %s, balance %s",
		"a transfer signed on the card after the PIN", cny2(r.Amount), r.Level, cny2(r.Balance))
	o := &bank.Order{}
	if err := o.UnmarshalBinary(conf.Order); err != nil {
		return err
	}
	again, err := dev.SignOrder(o, []byte(demoPIN))
	if err != nil {
		return err
	}
	_, err = srv.Confirm(ctx, again)
	d.say("thief", "replayed the used order with a fresh card signature: %v", "a replayed confirm is refused: every order nonce is single-use", err)
	if !errors.Is(err, bank.ErrNonceUsed) {
		return fmt.Errorf("replayed confirm: %v", err)
	}
	big := bank.Payment{Account: ses.Account, Payee: bob, PayeeName: "Bob", Amount: 4_950_000}
	st := &bank.SessionTransfer{Session: ses.Token, Payment: big}
	rand.Read(st.ID[:])
	_, err = srv.Transfer(ctx, st)
	d.say("alice", "tried %s more on the session alone (day total would be %s): %v", "", cny2(big.Amount), cny2(r.DayTotal+big.Amount), err)
	if !errors.Is(err, bank.ErrCertificateRequired) {
		return fmt.Errorf("session transfer over the limit: %v", err)
	}
	_, r, err = demoPay(ctx, srv, dev, ses, big)
	if err != nil {
		return err
	}
	d.say("alice", "sent the same %s signed on the card: accepted, day total %s", "the 50,000 CNY rule: over the day's limit only card-signed transfers pass", cny2(r.Amount), cny2(r.DayTotal))
	err = mw.VerifyPIN([]byte("000000"))
	pe, ok := errors.AsType[*middleware.PINError](err)
	if !ok {
		return fmt.Errorf("wrong PIN: %v", err)
	}
	d.say("mallory", "entered a wrong PIN on alice's card: %v", fmt.Sprintf("the card counts wrong PINs: %d tries left", pe.TriesLeft), err)
	return nil
}

// demoCard personalises a card in memory, disperses its host keys and
// opens the middleware over it.
func demoCard(n *node.Node) (*middleware.Middleware, error) {
	host, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	defer host.D.SetInt64(0)
	smKey := make([]byte, 16)
	rand.Read(smKey)
	defer clear(smKey)
	store := &card.MemStore{}
	hostPub := append([]byte{4}, append(host.X.FillBytes(make([]byte, 32)), host.Y.FillBytes(make([]byte, 32))...)...)
	cardPub, err := card.Personalise(store, card.Personalisation{PIN: []byte(demoPIN), PUK: []byte(demoPUK), HostKey: hostPub, SMKey: smKey})
	if err != nil {
		return nil, err
	}
	c, err := card.Open(store)
	if err != nil {
		return nil, err
	}
	pub, err := sm2.NewPublicKey(cardPub)
	if err != nil {
		return nil, err
	}
	sb, err := middleware.Provision(c, card.HostKeys{Host: host, SMKey: smKey}, pub, n.Shield.Authority.Root(), demoPIN, middleware.DefaultDispersal)
	if err != nil {
		return nil, err
	}
	return middleware.Open(middleware.Config{Transport: c, Sandbox: sb, Root: n.Shield.Authority.Root(),
		Issuing: []*smx509.Certificate{n.Shield.Authority.Issuing()}})
}

// demoEnroll: password session, operator's code, the card's PKCS#10, the
// CA's P7 checked and stored by the card, the confirmation.
func demoEnroll(ctx context.Context, srv *bank.Server, dev *bank.Device, mw *middleware.Middleware, acct string) (*smx509.Certificate, error) {
	ses, err := srv.PasswordLogin(ctx, &bank.PasswordLogin{Account: acct, Password: "pw-alice"})
	if err != nil {
		return nil, err
	}
	code, err := srv.IssueAuthCode(ctx, acct)
	if err != nil {
		return nil, err
	}
	req, err := dev.EnrollRequest(ses, code, pkix.Name{CommonName: acct, SerialNumber: "IDCCN-11010519491231002X"})
	if err != nil {
		return nil, err
	}
	resp, err := srv.Enroll(ctx, req)
	if err != nil {
		return nil, err
	}
	pending, err := mw.PendingKey()
	if err != nil {
		return nil, err
	}
	conf, err := dev.FinishEnrollment(ctx, pending, resp)
	if err != nil {
		return nil, err
	}
	if err := srv.ConfirmEnrollment(ctx, conf); err != nil {
		return nil, err
	}
	der, err := mw.Certificate()
	if err != nil {
		return nil, err
	}
	return smx509.ParseCertificate(der)
}

func demoLogin(ctx context.Context, srv *bank.Server, dev *bank.Device, acct string) (*bank.Session, error) {
	ch, err := srv.Challenge(ctx, acct)
	if err != nil {
		return nil, err
	}
	resp, err := dev.AnswerLogin(ch)
	if err != nil {
		return nil, err
	}
	return srv.Login(ctx, resp)
}

// demoPay runs a card-signed transfer and returns the confirmation too.
func demoPay(ctx context.Context, srv *bank.Server, dev *bank.Device, ses *bank.Session, p bank.Payment) (*bank.Confirm, *bank.Receipt, error) {
	pre := &bank.PreSubmit{Session: ses.Token, Payment: p}
	resp, err := srv.PreSubmit(ctx, pre)
	if err != nil {
		return nil, nil, err
	}
	o, err := dev.OpenOrder(pre, resp)
	if err != nil {
		return nil, nil, err
	}
	conf, err := dev.SignOrder(o, []byte(demoPIN))
	if err != nil {
		return nil, nil, err
	}
	r, err := srv.Confirm(ctx, conf)
	return conf, r, err
}
