package bank

import (
	"errors"
	"sync"
	"testing"

	"trustbank/internal/dbtest"
)

// A challenge is held in memory only: one issued before a restart is
// gone after it, and the card's answer is refused as unknown (no session);
// the device asks again.
func TestAttackChallengeLostInRestart(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _ := s.customer("alice", 0)
		ch, resp := s.answer(d, "alice")
		s.restart()
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrChallenge) || errors.Is(err, ErrChallengeUsed) {
			t.Fatalf("answer to a challenge issued before the restart: %v", err)
		}
		if _, err := s.store.Challenge(ctx, ch.ID); !errors.Is(err, ErrChallenge) {
			t.Fatalf("the refused answer recorded its challenge: %v", err)
		}
		s.certLogin(d, "alice") // asking again works
	})
}

// An order is held in memory only: a confirmation of one issued before a
// restart is refused cleanly (ErrOrder), moves no money and records
// nothing; the device submits again.
func TestAttackOrderLostInRestart(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _, ses := s.aliceAndBob(10_000 * yuan)
		conf := s.signedConfirm(d, ses, Payment{"alice", "bob", "Bob", 1_000 * yuan})
		s.restart()
		if _, err := s.srv.Confirm(ctx, conf); !errors.Is(err, ErrOrder) {
			t.Fatalf("confirmation of an order lost in the restart: %v", err)
		}
		if s.balance("alice") != 10_000*yuan || s.balance("bob") != 0 {
			t.Fatalf("money moved: alice %d, bob %d", s.balance("alice"), s.balance("bob"))
		}
		var o Order
		must(t, o.UnmarshalBinary(conf.Order))
		if _, err := s.store.Order(ctx, o.ID); !errors.Is(err, ErrOrder) {
			t.Fatalf("the refused confirmation recorded its order: %v", err)
		}
		again := s.signedConfirm(d, ses, Payment{"alice", "bob", "Bob", 1_000 * yuan})
		_, err := s.srv.Confirm(ctx, again)
		must(t, err)
		if s.balance("bob") != 1_000*yuan {
			t.Fatalf("bob has %d after the re-submitted order", s.balance("bob"))
		}
		s.checkMoney(10_000 * yuan)
	})
}

// The same login response sent many times at once (sharing group
// commits): exactly one session, every other answer ErrChallengeUsed,
// also after a restart.
func TestAttackConcurrentReplayedLogin(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _ := s.customer("alice", 0)
		_, resp := s.answer(d, "alice")
		errs := concurrently(8, func(int) error { _, err := s.srv.Login(ctx, resp); return err })
		if ok, used := count(errs, nil), count(errs, ErrChallengeUsed); ok != 1 || used != len(errs)-1 {
			t.Fatalf("%d logins accepted, %d refused as used, of %d: %v", ok, used, len(errs), errs)
		}
		s.restart()
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrChallengeUsed) {
			t.Fatalf("replay after restart: %v", err)
		}
	})
}

// Different card signatures over one order confirmed at once: one
// transfer, the others ErrNonceUsed; a later retry of the booked one
// returns its receipt.
func TestAttackConcurrentConfirmsOfOneOrder(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _, ses := s.aliceAndBob(10_000 * yuan)
		pre := &PreSubmit{Session: ses.Token, Payment: Payment{"alice", "bob", "Bob", 1_000 * yuan}}
		resp, err := s.srv.PreSubmit(ctx, pre)
		must(t, err)
		o, err := d.OpenOrder(pre, resp)
		must(t, err)
		confs := make([]*Confirm, 8)
		for i := range confs {
			confs[i], err = d.SignOrder(o, []byte("123456"))
			must(t, err)
		}
		receipts := make([]*Receipt, len(confs))
		errs := concurrently(len(confs), func(i int) (err error) { receipts[i], err = s.srv.Confirm(ctx, confs[i]); return err })
		if ok, used := count(errs, nil), count(errs, ErrNonceUsed); ok != 1 || used != len(errs)-1 {
			t.Fatalf("%d confirmations booked, %d refused as nonce used, of %d: %v", ok, used, len(errs), errs)
		}
		if s.balance("bob") != 1_000*yuan {
			t.Fatalf("bob has %d", s.balance("bob"))
		}
		s.restart()
		for i, err := range errs {
			if err == nil {
				again, err := s.srv.Confirm(ctx, confs[i])
				if err != nil || *again != *receipts[i] {
					t.Fatalf("retry of the booked confirmation after restart: %+v, %v", again, err)
				}
			}
		}
		s.checkMoney(10_000 * yuan)
	})
}

// concurrently runs f(0..n-1) at once and returns their errors.
func concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errs
}

// count is how many of errs are target (nil counts nils).
func count(errs []error, target error) int {
	n := 0
	for _, err := range errs {
		if (target == nil && err == nil) || (target != nil && errors.Is(err, target)) {
			n++
		}
	}
	return n
}
