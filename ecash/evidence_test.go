package ecash

import (
	"errors"
	"testing"
)

// Evidence kept once (issue 9, hole 7): one refused deposit (a double
// spend at another bank) replayed 200 times, with the same body and with
// fresh request ids, keeps exactly one evidence row, and every replay is
// answered with the same double-spend error and evidence id. A different
// transcript of the same coin is new evidence, kept once too.
func TestReplayedRefusedDepositKeepsEvidenceOnce(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 64)
		coins := w.Coins()
		shop, cafe := s.merchant(s.shop), s.merchant(s.cafe)
		_, err := s.deposit("bank-b", shop, s.shop, s.pay(w, shop, 64))
		must(t, err)
		w.Add(coins...)
		cheat := s.pay(w, cafe, 64)
		q, err := cafe.DepositRequest(cheat, s.cafe.key)
		must(t, err)
		_, first := s.banks["bank-a"].Deposit(ctx, q)
		var want *DoubleSpendError
		if !errors.As(first, &want) {
			t.Fatalf("double spend: %v", first)
		}
		before, err := s.store.Totals(ctx)
		must(t, err)
		for i := range 200 {
			r := q
			if i%2 == 1 { // the same transcript under a fresh request id
				r, err = cafe.DepositRequest(cheat, s.cafe.key)
				must(t, err)
			}
			_, err := s.banks["bank-a"].Deposit(ctx, r)
			var got *DoubleSpendError
			if !errors.As(err, &got) || *got != *want || err.Error() != first.Error() {
				t.Fatalf("replay %d: %v, first answer %v", i, err, first)
			}
		}
		ev, err := s.store.DoubleSpends(ctx)
		must(t, err)
		if len(ev) != 1 || ev[0].ID != want.EvidenceID {
			t.Fatalf("%d evidence rows after 200 replays, want 1 (#%d)", len(ev), want.EvidenceID)
		}
		if after, _ := s.store.Totals(ctx); after != before || s.balance("bank-a", s.cafe) != 0 {
			t.Fatalf("replays changed the money: %+v → %+v", before, after)
		}

		w.Add(coins...) // the same coin in another transcript: new evidence, once
		other := s.pay(w, cafe, 64)
		for range 3 {
			_, err := s.deposit("bank-a", cafe, s.cafe, other)
			var got *DoubleSpendError
			if !errors.As(err, &got) || got.EvidenceID == want.EvidenceID {
				t.Fatalf("another transcript of the coin: %v", err)
			}
		}
		if ev, _ := s.store.DoubleSpends(ctx); len(ev) != 2 {
			t.Fatalf("%d evidence rows for two transcripts", len(ev))
		}
	})
}
