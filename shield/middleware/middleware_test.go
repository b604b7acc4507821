package middleware_test

import (
	"context"
	"errors"
	"testing"

	"trustbank/shield/bank"
	"trustbank/shield/card"
	"trustbank/shield/middleware"
	"trustbank/shield/middleware/middlewaretest"
)

var ctx = context.Background()

const alice, bob = "6222020200112233445", "6222020200998877665"

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newSystem(t testing.TB) *middlewaretest.System {
	s, err := middlewaretest.New(ctx, t.TempDir())
	must(t, err)
	t.Cleanup(s.Close)
	must(t, s.Customer(ctx, alice, 10_000_00))
	must(t, s.Customer(ctx, bob, 0))
	return s
}

func newCard(t testing.TB, s *middlewaretest.System) *middlewaretest.Card {
	c, err := middlewaretest.NewCard(s.H.Root)
	must(t, err)
	return c
}

// opened is alice's app opening card c over the in-process transport,
// the PIN verified (closed when the test ends).
func opened(t testing.TB, s *middlewaretest.System, c *middlewaretest.Card) (*middleware.Middleware, *bank.Device) {
	mw, err := s.Middleware(c.Card, c.Sandbox)
	must(t, err)
	t.Cleanup(func() { mw.Close() })
	must(t, mw.VerifyPIN([]byte(middlewaretest.PIN)))
	return mw, s.Device(mw)
}

// enrolled is alice's device over the in-process transport, enrolled.
func enrolled(t testing.TB, s *middlewaretest.System, c *middlewaretest.Card) (*middleware.Middleware, *bank.Device) {
	mw, d := opened(t, s, c)
	must(t, s.Enroll(ctx, d, alice))
	return mw, d
}

func TestEnrollLoginTransaction(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	mw, d := enrolled(t, s, c)
	der, err := mw.Certificate()
	must(t, err)
	if len(der) == 0 {
		t.Fatal("no certificate stored in the card")
	}
	ses, err := s.Login(ctx, d, alice)
	must(t, err)
	if ses.Level != bank.LevelCertificate {
		t.Fatalf("session level %v", ses.Level)
	}
	rc, err := s.Pay(ctx, d, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: 123_45})
	must(t, err)
	if rc.Amount != 123_45 {
		t.Fatalf("receipt %+v", rc)
	}
	a, err := s.Store.Account(ctx, bob)
	must(t, err)
	if a.Balance != 123_45 {
		t.Fatalf("bob has %d", a.Balance)
	}
}

func TestWrongPINRefusedWithTriesLeft(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	mw, d := enrolled(t, s, c)
	err := mw.VerifyPIN([]byte("999999"))
	var pe *middleware.PINError
	if !errors.As(err, &pe) || pe.TriesLeft != card.PINTries-1 || !errors.Is(err, card.ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if mw.State() != middleware.Channel {
		t.Fatalf("state %v after a wrong PIN", mw.State())
	}
	ch, err := s.Server.Challenge(ctx, alice)
	must(t, err)
	if _, err := d.AnswerLogin(ch); !errors.Is(err, middleware.ErrPINRequired) {
		t.Fatalf("login without the PIN: %v", err)
	}
	must(t, mw.VerifyPIN([]byte(middlewaretest.PIN)))
	_, err = s.Login(ctx, d, alice)
	must(t, err)
}

func TestResetMidSessionReopensChannel(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	mw, d := enrolled(t, s, c)
	c.Card.Reset()
	// The PIN went with the reset: the middleware re-opens the channel
	// and says so rather than sending a command the card would refuse.
	_, err := s.Login(ctx, d, alice)
	if !errors.Is(err, middleware.ErrPINRequired) {
		t.Fatalf("login after reset: %v", err)
	}
	if n, _ := mw.Opens(); n != 2 {
		t.Fatalf("%d channels opened, want 2", n)
	}
	c.Card.Reset()
	must(t, mw.VerifyPIN([]byte(middlewaretest.PIN))) // re-opens and resends VERIFY
	if n, _ := mw.Opens(); n != 3 {
		t.Fatalf("%d channels opened, want 3", n)
	}
	_, err = s.Login(ctx, d, alice)
	must(t, err)
}

// tamper flips a bit of the next response's data.
type tamper struct {
	t    card.Transport
	flip bool
}

func (x *tamper) Transmit(b []byte) ([]byte, error) {
	out, err := x.t.Transmit(b)
	if x.flip && len(out) > 2 {
		out = append([]byte(nil), out...)
		out[0] ^= 1
		x.flip = false
	}
	return out, err
}

func TestTamperedResponseRefused(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	tr := &tamper{t: c.Card}
	mw, err := s.Middleware(tr, c.Sandbox)
	must(t, err)
	defer mw.Close()
	must(t, mw.VerifyPIN([]byte(middlewaretest.PIN)))
	tr.flip = true
	if _, err := mw.Sign([]byte("pay 1 fen")); !errors.Is(err, middleware.ErrTampered) {
		t.Fatalf("tampered signature: %v", err)
	}
	if mw.State() != middleware.Closed {
		t.Fatalf("state %v after a tampered response", mw.State())
	}
	// The next call re-opens; the PIN must be entered again.
	if _, err := mw.Sign([]byte("pay 1 fen")); !errors.Is(err, middleware.ErrPINRequired) {
		t.Fatalf("sign after tamper: %v", err)
	}
}

func TestStoreCertificateChecksChain(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	mw, _ := enrolled(t, s, c)
	if err := mw.StoreCertificate(s.Cert.Raw); !errors.Is(err, middleware.ErrNoPendingKey) {
		t.Fatalf("nothing pending: %v", err)
	}
	_, err := mw.GenerateKey()
	must(t, err)
	// The bank server's own certificate chains to the root but is not for
	// the card's key; a self-made bundle of the issuing CA alone is no leaf.
	if err := mw.StoreCertificate(s.Cert.Raw); !errors.Is(err, middleware.ErrCertificate) {
		t.Fatalf("foreign leaf: %v", err)
	}
	if err := mw.StoreCertificate([]byte("not a certificate")); !errors.Is(err, middleware.ErrCertificate) {
		t.Fatalf("garbage: %v", err)
	}
	other, err := middlewaretest.New(ctx, t.TempDir())
	must(t, err)
	defer other.Close()
	if err := mw.StoreCertificate(other.H.Issuing.Raw); !errors.Is(err, middleware.ErrCertificate) {
		t.Fatalf("foreign CA: %v", err)
	}
}

func TestSandboxFromTheWrongCardOrBeyondRepair(t *testing.T) {
	s := newSystem(t)
	c, other := newCard(t, s), newCard(t, s)
	if _, err := s.Middleware(c.Card, other.Sandbox); !errors.Is(err, middleware.ErrSandbox) {
		t.Fatalf("another card's sandbox: %v", err)
	}
	// Corrupt every slot: the file's shares are somewhere among them.
	for _, v := range c.Sandbox.Slots {
		v[31] ^= 1
	}
	if _, err := s.Middleware(c.Card, c.Sandbox); !errors.Is(err, middleware.ErrSandbox) {
		t.Fatalf("all file shares corrupted: %v", err)
	}
	// One corrupted file share is tolerated (3 of 4), and noticed.
	d := newCard(t, s)
	for i := range d.Sandbox.Slots {
		d.Sandbox.Slots[i][31] ^= 1
		mw, err := s.Middleware(d.Card, d.Sandbox)
		d.Sandbox.Slots[i][31] ^= 1
		if err != nil {
			t.Fatalf("slot %d corrupted: %v", i, err)
		}
		mw.Close()
	}
}
