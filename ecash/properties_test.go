package ecash

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/blindsign/blindrsa"
)

// Unforgeability: only the module's keys make coins. A coin signed with
// another key, or a genuine coin with any field changed, is refused.
func TestUnforgeability(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 4)
		ks := s.module.KeySet()
		genuine := w.Coins()[0]
		must(t, ks.VerifyCoin(&genuine, s.clock.Now(), SpendWindow))

		forged := genuine
		sk, err := rsa.GenerateKey(rand.Reader, 2048)
		must(t, err)
		forged.Sig = selfSign(t, sk, forged.Message.Encode())
		cases := map[string]Coin{"fail/other-key": forged}
		worth := genuine
		worth.Message.Denom = 8 // claim 256 instead of 4
		cases["fail/denomination"] = worth
		serial := genuine
		serial.Message.Serial[0] ^= 1
		cases["fail/serial"] = serial
		epoch := genuine
		epoch.Message.Epoch++
		cases["fail/epoch"] = epoch
		for name, c := range cases {
			if err := ks.VerifyCoin(&c, s.clock.Now(), SpendWindow); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s: got %v", name, err)
			}
		}
		// A payment with the forged coin is refused by the merchant.
		w2 := s.twin(w, nil)
		w2.Add(forged)
		shop := s.merchant(s.shop)
		ch, _ := shop.Challenge(4)
		p, err := w2.Pay(ch)
		must(t, err)
		if err := shop.Accept(p); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("forged payment: %v", err)
		}
	})
}

// selfSign makes an RFC 9474 signature with a key that is not the module's.
func selfSign(t *testing.T, sk *rsa.PrivateKey, msg []byte) []byte {
	c, _ := blindrsa.NewClient(variant, &sk.PublicKey)
	blinded, state, err := c.Blind(rand.Reader, msg)
	must(t, err)
	bs, err := blindrsa.NewSigner(sk).BlindSign(blinded)
	must(t, err)
	sig, err := c.Finalize(state, bs)
	must(t, err)
	return sig
}

// User anonymity: what the banks and the module see at withdrawal and what
// they see at deposit share no value (no 16-byte run in common), so no bank,
// merchant or coalition of them links the two.
func TestUserAnonymity(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		p, err := w.Withdraw(s.alice.account, s.alice.key, 85, s.epoch())
		must(t, err)
		resp, err := s.banks["bank-a"].Withdraw(ctx, p.Request)
		must(t, err)
		must(t, w.Finish(p, resp))
		rec, err := s.store.Withdrawal(ctx, p.Request.ID)
		must(t, err)
		reqEnc, _ := p.Request.MarshalBinary()
		respEnc, _ := resp.MarshalBinary()
		withdrawView := [][]byte{reqEnc, respEnc, rec.BankSig, rec.Response}

		shop := s.merchant(s.shop)
		pay := s.pay(w, shop, 85)
		q, err := shop.DepositRequest(pay, s.shop.key)
		must(t, err)
		depEnc, _ := q.MarshalBinary()
		if run := commonRun(withdrawView, depEnc, 16); run != "" {
			t.Fatalf("withdrawal and deposit share the value %x", run)
		}
		_, err = s.banks["bank-b"].Deposit(ctx, q)
		must(t, err)
	})
}

// commonRun returns a run of n bytes that occurs both in one of views and
// in b, or "".
func commonRun(views [][]byte, b []byte, n int) string {
	seen := map[string]bool{}
	for _, v := range views {
		for i := 0; i+n <= len(v); i++ {
			seen[string(v[i:i+n])] = true
		}
	}
	for i := 0; i+n <= len(b); i++ {
		if seen[string(b[i:i+n])] {
			return string(b[i : i+n])
		}
	}
	return ""
}

// Bank anonymity and one key per module: a payment verifies with the
// module's one key set and the user group's one key, names no bank, and
// only the module can tell which bank issued (by opening the bank-group
// signature in the issuance log). Neither key changes as banks or users join.
func TestBankAnonymityAndOneKey(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		ksBefore, _ := s.module.KeySet().MarshalBinary()
		userBefore, _ := s.users.CurrentKey().MarshalBinary()
		_, err := s.module.RegisterBank(ctx, "bank-c")
		must(t, err)
		_, err = s.users.Register(ctx, "bob")
		must(t, err)
		ksAfter, _ := s.module.KeySet().MarshalBinary()
		userAfter, _ := s.users.CurrentKey().MarshalBinary()
		if string(ksBefore) != string(ksAfter) || string(userBefore) != string(userAfter) {
			t.Fatal("a joining bank or user changed the verification keys")
		}

		w := s.wallet(nil)
		p, err := w.Withdraw(s.alice.account, s.alice.key, 7, s.epoch())
		must(t, err)
		resp, err := s.banks["bank-a"].Withdraw(ctx, p.Request)
		must(t, err)
		must(t, w.Finish(p, resp))
		pay := s.pay(w, s.merchant(s.shop), 7)
		enc, _ := pay.MarshalBinary()
		if strings.Contains(string(enc), "bank-a") {
			t.Fatal("the payment names the issuing bank")
		}
		issuer, err := s.module.IssuingBank(ctx, p.Request.ID)
		must(t, err)
		if issuer != "bank-a" {
			t.Fatalf("module opened the issuer as %q", issuer)
		}
		_, err = s.deposit("bank-b", s.merchant(s.shop), s.shop, pay)
		must(t, err)
	})
}

// Expiry and pruning: coins are refused after their spend and deposit
// windows, and the spent registry drops whole epochs, so it stays bounded.
func TestExpiryAndPruning(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		shop := s.merchant(s.shop)
		w := s.wallet(nil)
		s.withdraw(w, 20)
		e0 := s.epoch()
		p := s.pay(w, shop, 16)
		_, err := s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
		late := s.pay(w, shop, 4) // accepted in time, deposited too late

		s.clock.Add(48 * time.Hour) // past the spend window of e0 (SpendEpochs = 1)
		must(t, s.module.EnsureKeys(ctx))
		ch, _ := shop.Challenge(4)
		w2 := s.twin(w, nil)
		w2.Add(late.Coins...)
		pay, err := w2.Pay(ch)
		must(t, err)
		if err := shop.Accept(pay); !errors.Is(err, ErrExpired) {
			t.Fatalf("spending an expired coin: %v", err)
		}
		if n, _ := s.store.SpentCount(ctx, e0); n != 1 { // the 16 is one coin
			t.Fatalf("spent count of epoch %d: %d", e0, n)
		}
		s.clock.Add(24 * time.Hour) // past the deposit window (DepositEpochs = 2)
		if _, err := s.deposit("bank-b", shop, s.shop, late); !errors.Is(err, ErrExpired) {
			t.Fatalf("late deposit: %v", err)
		}
		dropped, err := s.module.Prune(ctx)
		must(t, err)
		if len(dropped) != 1 || dropped[0] != e0 {
			t.Fatalf("pruned %v, want [%d]", dropped, e0)
		}
		live, _ := s.store.LiveEpochs(ctx)
		if len(live) != 0 {
			t.Fatalf("live partitions after prune: %v", live)
		}
		// Even the store refuses a pruned epoch outright.
		_, err = s.store.Deposit(ctx, Deposit{Bank: "bank-b", Account: s.shop.account, Amount: 4,
			Coins: []SpentCoin{{Epoch: e0, Serial: late.Coins[0].Message.Serial}}, Payment: []byte{1}, At: s.clock.Now()})
		if !errors.Is(err, ErrExpired) {
			t.Fatalf("store deposit into a pruned epoch: %v", err)
		}
		// The expired coin's value stays in the float (the module's
		// liability), so the invariant still holds.
	})
}

// Many concurrent deposits of one payment (each with its own request id):
// exactly one is credited.
func TestConcurrentDepositsOfOneCoin(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 64)
		shop := s.merchant(s.shop)
		p := s.pay(w, shop, 64)
		const n = 50
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			q, err := shop.DepositRequest(p, s.shop.key)
			must(t, err)
			wg.Go(func() {
				_, err := s.banks["bank-b"].Deposit(ctx, q)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrDoubleSpend):
				t.Errorf("unexpected: %v", err)
			}
		}
		if ok != 1 || s.balance("bank-b", s.shop) != 64 {
			t.Fatalf("%d deposits succeeded, shop balance %d", ok, s.balance("bank-b", s.shop))
		}
	})
}

// Revoking a bank from the bank group: its withdrawals fail from then on;
// the other banks move their keys to the new epoch and go on.
func TestRevokedBankCannotIssue(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		carol := newParty("carol")
		s.open("bank-c", carol, 100)
		must(t, s.module.RevokeBank(ctx, "bank-c"))
		w := s.wallet(nil)
		p, err := w.Withdraw(carol.account, carol.key, 10, s.epoch())
		must(t, err)
		if _, err := s.banks["bank-c"].Withdraw(ctx, p.Request); err == nil {
			t.Fatal("a revoked bank obtained coins")
		}
		if s.balance("bank-c", carol) != 100 {
			t.Fatal("a refused withdrawal debited")
		}
		s.withdraw(w, 10) // bank-a rekeys to the new epoch and issues
		if w.Balance() != 10 {
			t.Fatal("bank-a could not issue after another bank's revocation")
		}
	})
}
