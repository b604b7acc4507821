package bank

import (
	"errors"
	"sync"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank/banktest"
)

// reenroll enrolls card again under a fresh code and stores the new
// certificate in it — the card now signs with the new key — and returns
// the confirmation without sending it: the lost confirmation.
func (s *system) reenroll(d *Device, card *banktest.SoftCard, id string) *EnrollConfirm {
	s.t.Helper()
	code, err := s.srv.IssueAuthCode(ctx, id)
	must(s.t, err)
	req, err := d.EnrollRequest(s.passwordLogin(id), code, pkixName(id))
	must(s.t, err)
	resp, err := s.srv.Enroll(ctx, req)
	must(s.t, err)
	conf, err := d.FinishEnrollment(ctx, card.Public(), resp)
	must(s.t, err)
	return conf
}

// oldCard is a copy of card as it is now: a clone that keeps the key.
func oldCard(card *banktest.SoftCard) *banktest.SoftCard { c := *card; return &c }

func (s *system) wantState(id [IDSize]byte, want EnrollState) {
	s.t.Helper()
	e, err := s.store.Enrollment(ctx, id)
	must(s.t, err)
	if e.State != want {
		s.t.Fatalf("enrollment state %d, want %d", e.State, want)
	}
}

func (s *system) wantCert(account string, want []byte) {
	s.t.Helper()
	a, err := s.store.Account(ctx, account)
	must(s.t, err)
	if string(a.Cert) != string(want) {
		s.t.Fatal("the account's bound certificate is not the one expected")
	}
}

// A confirmation sent again after it bound (its answer was lost) is
// answered success and changes nothing, also once a later enrollment
// replaced the certificate; a failure report or a forged signature for
// a bound enrollment is still refused.
func TestConfirmRetryIsIdempotent(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card := s.customer("alice", 0)
		conf := s.reenroll(d, card, "alice")
		must(t, s.srv.ConfirmEnrollment(ctx, conf))
		s.restart()
		must(t, s.srv.ConfirmEnrollment(ctx, conf))
		s.wantState(conf.ID, StateBound)
		s.wantCert("alice", card.Cert)
		forged := *conf
		forged.Sig = append([]byte(nil), conf.Sig...)
		forged.Sig[len(forged.Sig)-1] ^= 1
		if err := s.srv.ConfirmEnrollment(ctx, &forged); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("a forged retry: %v", err)
		}
		if err := s.srv.ConfirmEnrollment(ctx, &EnrollConfirm{ID: conf.ID, Status: EnrollFailed}); !errors.Is(err, ErrEnrollment) {
			t.Fatalf("a failure report for a bound enrollment: %v", err)
		}
		second := s.reenroll(d, card, "alice")
		must(t, s.srv.ConfirmEnrollment(ctx, second))
		must(t, s.srv.ConfirmEnrollment(ctx, conf)) // the first one's late retry
		s.wantCert("alice", card.Cert)              // still the second certificate
		s.certLogin(d, "alice")
	})
}

// Concurrent retries of one confirmation all succeed and bind once.
func TestConfirmConcurrentRetries(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card := s.customer("alice", 0)
		conf := s.reenroll(d, card, "alice")
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() { errs <- s.srv.ConfirmEnrollment(ctx, conf) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		s.wantCert("alice", card.Cert)
		s.certLogin(d, "alice")
	})
}

// The flaw: the card switched keys, the confirmation was lost. The next
// login, signed by the new key, binds the pending enrollment (after a
// restart too: the enrollment is durable); the old key stops working;
// the lost confirmation, arriving late, is a harmless retry.
func TestLostConfirmLoginBinds(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card := s.customer("alice", 0)
		clone := oldCard(card)
		conf := s.reenroll(d, card, "alice")
		s.restart()
		if ses := s.certLogin(d, "alice"); ses.Level != LevelCertificate || ses.Account != "alice" {
			t.Fatalf("session %+v", ses)
		}
		s.wantState(conf.ID, StateBound)
		s.wantCert("alice", card.Cert)
		s.certLogin(d, "alice") // an ordinary login now
		_, resp := s.answer(s.device(clone), "alice")
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("login with the replaced key: %v", err)
		}
		must(t, s.srv.ConfirmEnrollment(ctx, conf))
		s.wantCert("alice", card.Cert)
	})
}

// A first enrollment whose confirmation was lost: the account has no
// certificate yet, the login binds the pending one.
func TestLostFirstConfirmLoginBinds(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		must(t, s.srv.OpenAccount(ctx, "alice", "Alice", banktest.IDCard, "pw-alice", 0))
		card := banktest.NewSoftCard()
		d := s.device(card)
		conf := s.reenroll(d, card, "alice")
		s.certLogin(d, "alice")
		s.wantState(conf.ID, StateBound)
		s.wantCert("alice", card.Cert)
	})
}

// What the implicit confirmation must not let through. Each case leaves
// the enrollment pending and the account's certificate as it was.
func TestAttackImplicitConfirmation(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card := s.customer("alice", 0)
		bound := card.Cert
		pendingDev := s.device(oldCard(card))
		conf := s.reenroll(pendingDev, pendingDev.Card.(*banktest.SoftCard), "alice") // alice's pending enrollment
		refused := func(name string, dev *Device, want error) {
			t.Helper()
			_, resp := s.answer(dev, "alice")
			if _, err := s.srv.Login(ctx, resp); !errors.Is(err, want) {
				t.Fatalf("%s: %v, want %v", name, err, want)
			}
			s.wantState(conf.ID, StatePending)
			s.wantCert("alice", bound)
		}
		// A key the bank never certified for anyone.
		stranger := banktest.NewSoftCard()
		_, err := stranger.GenerateKey()
		must(t, err)
		refused("uncertified key", s.device(stranger), ErrBadSignature)
		// Bob's card, switched to his own pending enrollment's key.
		bobDev, bobCard := s.customer("bob", 0)
		bobConf := s.reenroll(bobDev, bobCard, "bob")
		refused("another account's pending enrollment", bobDev, ErrBadSignature)
		s.wantState(bobConf.ID, StatePending)
		// A failed enrollment's key: the device reported failure.
		failDev := s.device(oldCard(card))
		failCard := failDev.Card.(*banktest.SoftCard)
		failConf := s.reenroll(failDev, failCard, "alice")
		must(t, s.srv.ConfirmEnrollment(ctx, &EnrollConfirm{ID: failConf.ID, Status: EnrollFailed}))
		refused("failed enrollment", failDev, ErrBadSignature)
		// The pending certificate revoked: refused, the old card still works.
		s.ca.revoke(pendingDev.Card.(*banktest.SoftCard).Cert)
		refused("revoked pending certificate", pendingDev, ErrRevoked)
		s.certLogin(d, "alice")
		// Bob's pending certificate expired (and bob's bound one with it).
		s.clock.Add(31 * 24 * time.Hour)
		_, resp := s.answer(bobDev, "bob")
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrCertificate) {
			t.Fatalf("expired pending certificate: %v", err)
		}
		s.wantState(bobConf.ID, StatePending)
	})
}

// The binding login's challenge is single-use like any other, after a
// restart too; concurrent logins by the new key all succeed and bind once.
func TestAttackImplicitConfirmationReplay(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card := s.customer("alice", 0)
		conf := s.reenroll(d, card, "alice")
		resps := make([]*LoginResponse, 8)
		for i := range resps {
			_, resps[i] = s.answer(d, "alice")
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(resps))
		for _, r := range resps {
			wg.Go(func() { _, err := s.srv.Login(ctx, r); errs <- err })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
		s.wantState(conf.ID, StateBound)
		s.wantCert("alice", card.Cert)
		if _, err := s.srv.Login(ctx, resps[0]); !errors.Is(err, ErrChallengeUsed) {
			t.Fatalf("replayed binding login: %v", err)
		}
		s.restart()
		if _, err := s.srv.Login(ctx, resps[1]); !errors.Is(err, ErrChallengeUsed) {
			t.Fatalf("replayed binding login after a restart: %v", err)
		}
	})
}
