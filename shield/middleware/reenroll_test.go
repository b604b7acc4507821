package middleware_test

import (
	"crypto/x509/pkix"
	"errors"
	"testing"

	"trustbank/shield/bank"
	"trustbank/shield/card"
	"trustbank/shield/middleware"
	"trustbank/shield/middleware/middlewaretest"
)

// works checks that alice logs in with the card and pays bob 1 fen.
func works(t *testing.T, s *middlewaretest.System, d *bank.Device) {
	t.Helper()
	ses, err := s.Login(ctx, d, alice)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := s.Pay(ctx, d, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: 1}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
}

// oldKeyRefused checks that a copy of the card as it was (snapshot, taken
// before a completed re-enrollment) no longer logs in.
func oldKeyRefused(t *testing.T, s *middlewaretest.System, c *middlewaretest.Card, snapshot *card.State) {
	t.Helper()
	clone := &card.MemStore{}
	must(t, clone.Save(snapshot))
	oc, err := card.Open(clone)
	must(t, err)
	omw, err := s.Middleware(oc, c.Sandbox)
	must(t, err)
	defer omw.Close()
	must(t, omw.VerifyPIN([]byte(middlewaretest.PIN)))
	if _, err := s.Login(ctx, s.Device(omw), alice); !errors.Is(err, bank.ErrBadSignature) {
		t.Fatalf("login with the old key: %v", err)
	}
}

// The enrollment flaw, end to end: re-enrolling an enrolled card with a
// wrong code, or abandoning it before the certificate arrives (a lost
// network, a killed app), or being handed a certificate for another key
// leaves alice's card logging in and paying with its enrolled key. A
// re-enrollment that completes switches keys, and the old key no longer
// logs in.
func TestFailedReenrollmentKeepsTheEnrolledKey(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	mw, d := enrolled(t, s, c)
	old := mw.PublicKey()
	snapshot, err := c.Store.Load() // the card as enrolled, kept to try the old key later
	must(t, err)
	works(t, s, d)

	// A wrong authorization code: the bank refuses after the card made its key.
	ses, err := s.Server.PasswordLogin(ctx, &bank.PasswordLogin{Account: alice, Password: "pw-" + alice})
	must(t, err)
	req, err := d.EnrollRequest(ses, "000000000000", pkix.Name{CommonName: alice})
	must(t, err)
	if _, err := s.Server.Enroll(ctx, req); !errors.Is(err, bank.ErrCodeInvalid) {
		t.Fatalf("wrong code: %v", err)
	}
	works(t, s, d)

	// Abandoned after the bank issued: the P7 never reaches the card; the
	// app restarts (a new middleware over the same card).
	code, err := s.Server.IssueAuthCode(ctx, alice)
	must(t, err)
	req, err = d.EnrollRequest(ses, code, pkix.Name{CommonName: alice})
	must(t, err)
	resp, err := s.Server.Enroll(ctx, req)
	must(t, err)
	mw.Close()
	mw, d = opened(t, s, c)
	works(t, s, d)
	if !mw.PublicKey().Equal(old) {
		t.Fatal("the card's active key changed")
	}

	// A certificate for another key (the bank server's own, which chains
	// to the root): refused, by the middleware and by the card itself.
	pending, err := mw.PendingKey()
	must(t, err)
	if _, err := d.FinishEnrollment(ctx, pending, &bank.EnrollResponse{ID: resp.ID, P7: s.Cert.Raw}); err == nil {
		t.Fatal("a certificate for another key was stored")
	}
	works(t, s, d)

	// The abandoned P7 arrives late and completes: keys switch.
	conf, err := d.FinishEnrollment(ctx, pending, resp)
	must(t, err)
	must(t, s.Server.ConfirmEnrollment(ctx, conf))
	if mw.PublicKey().Equal(old) || !mw.PublicKey().Equal(pending) {
		t.Fatal("the card did not switch to the new key")
	}
	works(t, s, d)

	// The old key (a copy of the card as it was) no longer logs in.
	oldKeyRefused(t, s, c, snapshot)
}

// The card itself refuses a chain the host let through: a middleware whose
// pinned root is another CA's (a compromised or misconfigured app) checks
// the chain against that root, and the card, which trusts the real root
// only, answers 6300 and keeps its key.
func TestCardRefusesChainOfAnotherRoot(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	mw, d := enrolled(t, s, c)
	other, err := middlewaretest.New(ctx, t.TempDir())
	must(t, err)
	defer other.Close()
	must(t, other.Customer(ctx, alice, 0))
	hostile, err := other.Middleware(c.Card, c.Sandbox) // pins the other CA's root
	must(t, err)
	defer hostile.Close()
	must(t, hostile.VerifyPIN([]byte(middlewaretest.PIN)))
	hd := other.Device(hostile)
	ses, err := other.Server.PasswordLogin(ctx, &bank.PasswordLogin{Account: alice, Password: "pw-" + alice})
	must(t, err)
	code, err := other.Server.IssueAuthCode(ctx, alice)
	must(t, err)
	req, err := hd.EnrollRequest(ses, code, pkix.Name{CommonName: alice})
	must(t, err)
	resp, err := other.Server.Enroll(ctx, req)
	must(t, err)
	pending, err := hostile.PendingKey()
	must(t, err)
	_, err = hd.FinishEnrollment(ctx, pending, resp)
	if !errors.Is(err, middleware.ErrCertificate) || !errors.Is(err, card.ErrVerifyFailed) {
		t.Fatalf("a chain to another root: %v", err)
	}
	hostile.Close()
	must(t, mw.VerifyPIN([]byte(middlewaretest.PIN))) // the hostile app's session replaced ours
	works(t, s, d)
}

// A re-enrollment whose confirmation is lost after the card activated
// its new key (the app killed after ACTIVATE): the app restarts, and its
// next login, signed by the new key, completes the enrollment at the
// bank; payments work; the card as it was before (a clone keeping the
// old key) no longer logs in; the lost confirmation, sent late, is a
// harmless retry.
func TestLostConfirmationCompletesAtLogin(t *testing.T) {
	s := newSystem(t)
	c := newCard(t, s)
	mw, d := enrolled(t, s, c)
	old := mw.PublicKey()
	snapshot, err := c.Store.Load()
	must(t, err)
	conf, err := s.EnrollUnconfirmed(ctx, d, alice)
	must(t, err)
	if mw.PublicKey().Equal(old) {
		t.Fatal("the card did not switch keys")
	}
	mw.Close() // the app dies before the confirmation reaches the bank
	mw, d = opened(t, s, c)
	works(t, s, d)
	stored, err := mw.Certificate()
	must(t, err)
	bound, err := s.Server.Certificate(ctx, alice)
	must(t, err)
	if string(bound) != string(stored) {
		t.Fatal("the login did not bind the card's new certificate")
	}
	works(t, s, d)

	oldKeyRefused(t, s, c, snapshot)
	must(t, s.Server.ConfirmEnrollment(ctx, conf))
	works(t, s, d)
}
