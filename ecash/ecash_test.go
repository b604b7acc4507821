package ecash

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// eachSystem runs fn on a fresh deployment per backend, then checks the
// money invariant.
func eachSystem(t *testing.T, fn func(t *testing.T, s *system)) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		s := newSystem(t, open())
		fn(t, s)
		s.checkInvariant()
	})
}

func TestWithdrawPayDepositAcrossBanks(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 300)
		if w.Balance() != 300 || s.balance("bank-a", s.alice) != opening-300 {
			t.Fatalf("wallet %d, account %d", w.Balance(), s.balance("bank-a", s.alice))
		}
		s.checkInvariant()
		shop := s.merchant(s.shop)
		p := s.pay(w, shop, 260)
		r, err := s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
		if r.Amount != 260 || s.balance("bank-b", s.shop) != 260 || w.Balance() != 40 {
			t.Fatalf("receipt %+v, shop %d, wallet %d", r, s.balance("bank-b", s.shop), w.Balance())
		}
	})
}

func TestDoubleSpendIsCaughtAcrossBanksAndTraced(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 64)
		copyOfCoins := w.Coins()
		shop, cafe := s.merchant(s.shop), s.merchant(s.cafe)
		p1 := s.pay(w, shop, 64)
		_, err := s.deposit("bank-b", shop, s.shop, p1)
		must(t, err)

		w.Add(copyOfCoins...) // the cheat: the same coin again, at another merchant and bank
		p2 := s.pay(w, cafe, 64)
		_, err = s.deposit("bank-a", cafe, s.cafe, p2)
		var dse *DoubleSpendError
		if !errors.As(err, &dse) || !errors.Is(err, ErrDoubleSpend) {
			t.Fatalf("second deposit: %v", err)
		}
		if s.balance("bank-a", s.cafe) != 0 {
			t.Fatal("double-spent coin was credited")
		}
		evidence, err := s.store.DoubleSpends(ctx)
		must(t, err)
		if len(evidence) != 1 || evidence[0].SecondBank != "bank-a" {
			t.Fatalf("evidence: %+v", evidence)
		}
		who, err := s.users.Trace(ctx, evidence[0])
		must(t, err)
		if who != "alice" {
			t.Fatalf("traced %q", who)
		}
	})
}

func TestReplayedTranscriptBlamesNobody(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 16)
		shop := s.merchant(s.shop)
		p := s.pay(w, shop, 16)
		_, err := s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
		_, err = s.deposit("bank-b", shop, s.shop, p) // a new request id, the same payment
		if !errors.Is(err, ErrDoubleSpend) {
			t.Fatalf("replayed deposit: %v", err)
		}
		ev, _ := s.store.DoubleSpends(ctx)
		if _, err := s.users.Trace(ctx, ev[0]); !errors.Is(err, ErrReplayedTranscript) {
			t.Fatalf("trace of a replay: %v", err)
		}
		if s.balance("bank-b", s.shop) != 16 {
			t.Fatal("replay credited")
		}
	})
}

func TestRetriesAreIdempotent(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		p, err := w.Withdraw(s.alice.account, s.alice.key, 21, s.epoch())
		must(t, err)
		bank := s.banks["bank-a"]
		r1, err := bank.Withdraw(ctx, p.Request)
		must(t, err)
		s.clock.Add(25 * time.Hour) // even after the withdraw window, a retry is answered
		r2, err := bank.Withdraw(ctx, p.Request)
		must(t, err)
		for i := range r1.BlindSigs {
			if !bytes.Equal(r1.BlindSigs[i], r2.BlindSigs[i]) {
				t.Fatal("retry returned other signatures")
			}
		}
		if got := s.balance("bank-a", s.alice); got != opening-21 {
			t.Fatalf("debited twice: %d", got)
		}
		other := *p.Request
		other.Account = s.cafe.account
		if _, err := bank.Withdraw(ctx, &other); !errors.Is(err, ErrRequestReused) {
			t.Fatalf("reused id: %v", err)
		}
		must(t, w.Finish(p, r2))
		s.clock.Add(-25 * time.Hour)

		shop := s.merchant(s.shop)
		pay := s.pay(w, shop, 21)
		q, err := shop.DepositRequest(pay, s.shop.key)
		must(t, err)
		for range 3 {
			if _, err := s.banks["bank-b"].Deposit(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if s.balance("bank-b", s.shop) != 21 {
			t.Fatalf("credited %d", s.balance("bank-b", s.shop))
		}
	})
}

func TestBadWithdrawalsChangeNothing(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		bank := s.banks["bank-a"]
		rich, err := w.Withdraw(s.alice.account, s.alice.key, opening+1, s.epoch())
		if err == nil {
			_, err = bank.Withdraw(ctx, rich.Request)
		}
		cases := map[string]error{"fail/insufficient": err}
		p, _ := w.Withdraw(s.alice.account, s.alice.key, 5, s.epoch())
		forged := *p.Request
		forged.SignWith(s.cafe.key)
		_, cases["fail/wrong-key"] = bank.Withdraw(ctx, &forged)
		future, _ := w.Withdraw(s.alice.account, s.alice.key, 5, s.epoch()+1)
		_, cases["fail/future-epoch"] = bank.Withdraw(ctx, future.Request)
		nobody := *p.Request
		nobody.Account = "nobody"
		_, cases["fail/unknown-account"] = bank.Withdraw(ctx, &nobody)
		want := map[string]error{"fail/insufficient": ErrInsufficientFunds, "fail/wrong-key": ErrBadSignature,
			"fail/future-epoch": ErrExpired, "fail/unknown-account": ErrUnknownAccount}
		for name, err := range cases {
			if !errors.Is(err, want[name]) {
				t.Errorf("%s: got %v, want %v", name, err, want[name])
			}
		}
		if s.balance("bank-a", s.alice) != opening {
			t.Fatal("a refused withdrawal changed the balance")
		}
	})
}

// Change by swap: a wallet holding one 16 cannot pay 5 until it swaps the
// coin for fresh coins of 5 and 11; the swap spends the input in the shared
// registry (a second swap of it is a double spend), leaves the float alone,
// and the new coins pay.
func TestSwapForChange(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 16)
		before := w.Coins()
		shop := s.merchant(s.shop)
		ch, _ := shop.Challenge(5)
		if _, err := w.Pay(ch); !errors.Is(err, ErrNeedChange) {
			t.Fatalf("paying 5 with a 16: %v", err)
		}
		tot0, _ := s.store.Totals(ctx)
		ps, err := w.Change(5, s.epoch(), s.clock.Now())
		must(t, err)
		resp, err := s.module.Swap(ctx, ps.Request, s.users.Keys(ctx))
		must(t, err)
		again, err := s.module.Swap(ctx, ps.Request, s.users.Keys(ctx)) // retry: same answer
		must(t, err)
		if !bytes.Equal(again.BlindSigs[0], resp.BlindSigs[0]) {
			t.Fatal("swap retry answered differently")
		}
		must(t, w.FinishSwap(ps, resp))
		if w.Balance() != 16 || len(w.Coins()) < 2 {
			t.Fatalf("after swap: %d in %d coins", w.Balance(), len(w.Coins()))
		}
		tot1, _ := s.store.Totals(ctx)
		if tot0 != tot1 {
			t.Fatalf("swap moved money: %+v → %+v", tot0, tot1)
		}
		p := s.pay(w, shop, 5)
		_, err = s.deposit("bank-b", shop, s.shop, p)
		must(t, err)

		// Swapping the old coin again is a double spend; tampered requests fail.
		w2 := s.twin(w, nil)
		w2.Add(before...)
		ps2, err := w2.Change(3, s.epoch(), s.clock.Now())
		must(t, err)
		if _, err := s.module.Swap(ctx, ps2.Request, s.users.Keys(ctx)); !errors.Is(err, ErrDoubleSpend) {
			t.Fatalf("second swap of a spent coin: %v", err)
		}
		w3 := s.wallet(nil)
		s.withdraw(w3, 16)
		ps3, err := w3.Change(3, s.epoch(), s.clock.Now())
		must(t, err)
		greedy := *ps3.Request
		greedy.Outputs = append(greedy.Outputs, greedy.Outputs[0]) // ask for more than given
		if _, err := s.module.Swap(ctx, &greedy, s.users.Keys(ctx)); !errors.Is(err, ErrChallenge) {
			t.Fatalf("inflated swap: %v", err)
		}
		enc, _ := ps3.Request.MarshalBinary()
		var back SwapRequest
		must(t, back.UnmarshalBinary(enc))
		if _, err := s.module.Swap(ctx, &back, s.users.Keys(ctx)); err != nil {
			t.Fatalf("decoded swap: %v", err)
		}
	})
}

// A wallet restored from its seed alone gets back exactly its unspent
// unbound coins, and they pay.
func TestRestoreFromSeed(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 21) // 16 + 4 + 1
		s.withdraw(w, 64)
		shop := s.merchant(s.shop)
		p := s.pay(w, shop, 20) // spends the 16 and the 4
		_, err := s.deposit("bank-b", shop, s.shop, p)
		must(t, err)

		lost := w.Coins()
		restored := NewWallet(w.seed, w.keys, s.member, s.users.Keys(ctx), nil)
		n, err := restored.Restore(ctx, s.module, 5)
		must(t, err)
		if n != len(lost) || restored.Balance() != 65 {
			t.Fatalf("restored %d coins worth %d; wallet had %d worth %d", n, restored.Balance(), len(lost), w.Balance())
		}
		p = s.pay(restored, shop, 65)
		_, err = s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
		// A restored wallet continues after the last index used: new coins do not collide.
		s.withdraw(restored, 1)
		p = s.pay(restored, shop, 1)
		_, err = s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
	})
}
