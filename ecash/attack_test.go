package ecash

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"trustbank/groupsig"
)

// user is a second registered user with an account at bank-a and a wallet.
func (s *system) user(id string, balance Amount) (party, *Wallet) {
	p := newParty(id)
	p.bank = "bank-a"
	s.open("bank-a", p, balance)
	mk, err := s.users.Register(ctx, id)
	must(s.t, err)
	w := s.wallet(nil)
	w.members = map[uint64]*groupsig.MemberKey{mk.Epoch: mk}
	return p, w
}

func (s *system) withdrawAs(p party, w *Wallet, amount Amount) {
	s.t.Helper()
	pw, err := w.Withdraw(p.account, p.key, amount, s.epoch())
	must(s.t, err)
	resp, err := s.banks[p.bank].Withdraw(ctx, pw.Request)
	must(s.t, err)
	must(s.t, w.Finish(pw, resp))
}

// Hole 1 of issue 9: a double spender with an accomplice. alice pays the
// shop; bob, holding a copy of the coin, pays the cafe with his own group
// signature. Every transcript of a coin must prove the escrow the coin
// commits to (alice's credential), so bob's payment is refused by the
// merchant and by the bank; the only way to spend the coin again is for
// alice to prove her escrow again, and then the double spend names her.
func TestColludingDoubleSpendTracedToWithdrawer(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		_, bobW := s.user("bob", 0)
		w := s.wallet(nil)
		s.withdraw(w, 64)
		copyOfCoins := w.Coins()
		shop, cafe := s.merchant(s.shop), s.merchant(s.cafe)
		p1 := s.pay(w, shop, 64)
		_, err := s.deposit("bank-b", shop, s.shop, p1)
		must(t, err)

		// bob's wallet cannot prove alice's escrow...
		bobW.Add(copyOfCoins...)
		ch, _ := cafe.Challenge(64)
		if _, err := bobW.Pay(ch); !errors.Is(err, groupsig.ErrEscrowMismatch) {
			t.Fatalf("bob paid with alice's coin: %v", err)
		}
		// ...and a transcript bob signs in his own name is refused.
		forged := &Payment{Challenge: *ch, Coins: copyOfCoins, KeySigs: [][]byte{nil}}
		d := forged.Digest()
		gs, err := bobW.Member().Sign(rand.Reader, s.users.CurrentKey(), d[:])
		must(t, err)
		forged.GroupSigs = []groupsig.Signature{*gs}
		if err := cafe.Accept(forged); !errors.Is(err, ErrNotMember) {
			t.Fatalf("merchant took bob's transcript: %v", err)
		}
		if _, err := s.deposit("bank-a", cafe, s.cafe, forged); !errors.Is(err, ErrNotMember) {
			t.Fatalf("bank took bob's transcript: %v", err)
		}
		// Grafting alice's escrow from the first transcript onto bob's proof fails too.
		forged.GroupSigs[0].T1, forged.GroupSigs[0].T2, forged.GroupSigs[0].T3 = p1.GroupSigs[0].T1, p1.GroupSigs[0].T2, p1.GroupSigs[0].T3
		if _, err := s.deposit("bank-a", cafe, s.cafe, forged); !errors.Is(err, ErrNotMember) {
			t.Fatalf("bank took a grafted escrow: %v", err)
		}

		// alice helps bob by proving her escrow for the cafe: caught and named.
		helper := s.twin(w, nil)
		helper.Add(copyOfCoins...)
		p2 := s.pay(helper, cafe, 64)
		_, err = s.deposit("bank-a", cafe, s.cafe, p2)
		var dse *DoubleSpendError
		if !errors.As(err, &dse) {
			t.Fatalf("second deposit: %v", err)
		}
		name, err := s.users.Trace(ctx, s.evidence(t, dse.EvidenceID))
		if err != nil || name != "alice" {
			t.Fatalf("traced to %q, %v; want alice", name, err)
		}
	})
}

func (s *system) evidence(t *testing.T, id int64) DoubleSpend {
	t.Helper()
	all, err := s.store.DoubleSpends(ctx)
	must(t, err)
	for _, ds := range all {
		if ds.ID == id {
			return ds
		}
	}
	t.Fatalf("no evidence #%d", id)
	return DoubleSpend{}
}

// A coin that commits to an escrow its withdrawer cannot prove — garbage,
// or another member's credential — is withdrawn (the bank sees nothing)
// but can never be spent: only the member inside the escrow can pay with it.
func TestCoinWithForeignEscrowIsUnspendable(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		_, bobW := s.user("bob", 0)
		bobEsc, _, err := bobW.escrow([SerialSize]byte{1}, 0)
		must(t, err)
		w := s.wallet(nil)
		for name, escrow := range map[string][CommitSize]byte{"garbage": {7, 7, 7}, "bob's credential": EscrowHash(bobEsc)} {
			c := s.withdrawWithEscrow(w, escrow)
			shop := s.merchant(s.shop)
			ch, _ := shop.Challenge(c.Value())
			w.Add(c)
			if _, err := w.Pay(ch); !errors.Is(err, groupsig.ErrEscrowMismatch) {
				t.Fatalf("%s: alice paid: %v", name, err)
			}
			// Her plain signature over the transcript is refused as well.
			p := &Payment{Challenge: *ch, Coins: []Coin{c}, KeySigs: [][]byte{nil}}
			d := p.Digest()
			gs, err := s.member.Sign(rand.Reader, s.users.CurrentKey(), d[:])
			must(t, err)
			p.GroupSigs = []groupsig.Signature{*gs}
			if err := shop.Accept(p); !errors.Is(err, ErrNotMember) {
				t.Fatalf("%s: merchant accepted: %v", name, err)
			}
			w.coins = nil
		}
	})
}

// withdrawWithEscrow withdraws one 4-unit coin for alice whose message
// commits to escrow, bypassing the wallet's own escrow.
func (s *system) withdrawWithEscrow(w *Wallet, escrow [CommitSize]byte) Coin {
	s.t.Helper()
	e := s.epoch()
	m := CoinMessage{Denom: 2, Epoch: e, Users: w.userEpoch(), Escrow: escrow}
	rand.Read(m.Serial[:])
	pk, err := w.keys.Key(m.Key())
	must(s.t, err)
	client, _ := blindrsa.NewClient(variant, pk)
	blinded, state, err := client.Blind(rand.Reader, m.Encode())
	must(s.t, err)
	q := &WithdrawRequest{Account: s.alice.account, Epoch: e, Users: m.Users, Items: []BlindItem{{Denom: 2, Blinded: blinded}}}
	rand.Read(q.ID[:])
	q.SignWith(s.alice.key)
	resp, err := s.banks["bank-a"].Withdraw(ctx, q)
	must(s.t, err)
	sig, err := client.Finalize(state, resp.BlindSigs[0])
	must(s.t, err)
	return Coin{Message: m, Sig: sig}
}

// Hole 2 of issue 9: revocation that holds. After bob is revoked, anyone
// holding the published update (bob's epoch-0 key) can sign at epoch 0 —
// but coins are issued only under keys of the current user epoch, so no
// new coin can escrow epoch 0 and nobody can pay or be framed with it.
// bob can neither withdraw nor move his key on; his coins from before stay
// spendable (he paid for them) and still name him if double-spent; alice
// updates and goes on, with old and new coins.
func TestUserRevocationHolds(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		bob, bobW := s.user("bob", 100)
		s.withdrawAs(bob, bobW, 16)
		aliceW := s.wallet(nil)
		s.withdraw(aliceW, 16)
		bobCoins := bobW.Coins()

		rev, err := s.users.Revoke(ctx, "bob")
		must(t, err)
		must(t, s.module.EnsureKeys(ctx))
		ks := s.module.KeySet()
		if got := ks.UserEpoch(s.epoch()); got != rev.Epoch {
			t.Fatalf("key set offers user epoch %d after the revocation, want %d", got, rev.Epoch)
		}

		// The outsider (carol, a customer of bank-a) with bob's published key.
		carol, carolW := s.user("carol", 100)
		carolW.keys = ks
		carolW.members = map[uint64]*groupsig.MemberKey{0: {Epoch: 0, A: rev.A, X: rev.X}}
		if _, err := carolW.Withdraw(carol.account, carol.key, 16, s.epoch()); !errors.Is(err, ErrUserEpoch) {
			t.Fatalf("wallet withdrew at a past user epoch: %v", err)
		}
		pw := &PendingWithdrawal{Request: &WithdrawRequest{Account: carol.account, Epoch: s.epoch(), Users: 0}}
		rand.Read(pw.Request.ID[:])
		must(t, carolW.blindOne(pw, 4, s.epoch(), 0))
		pw.Request.SignWith(carol.key)
		if _, err := s.banks["bank-a"].Withdraw(ctx, pw.Request); !errors.Is(err, ErrUserEpoch) {
			t.Fatalf("module issued a coin escrowing a revoked epoch: %v", err)
		}
		if s.balance("bank-a", carol) != 100 {
			t.Fatal("a refused withdrawal debited")
		}

		// bob: no withdrawal, no new key.
		bobW.keys = ks
		if _, err := bobW.Withdraw(bob.account, bob.key, 4, s.epoch()); !errors.Is(err, ErrUserEpoch) {
			t.Fatalf("bob's wallet prepared a withdrawal at the new epoch: %v", err)
		}
		pw = &PendingWithdrawal{Request: &WithdrawRequest{Account: bob.account, Epoch: s.epoch(), Users: rev.Epoch}}
		rand.Read(pw.Request.ID[:])
		bobW.members[rev.Epoch] = &groupsig.MemberKey{Epoch: rev.Epoch, A: rev.A, X: rev.X} // forced
		must(t, bobW.blindOne(pw, 4, s.epoch(), rev.Epoch))
		pw.Request.SignWith(bob.key)
		if _, err := s.banks["bank-a"].Withdraw(ctx, pw.Request); !errors.Is(err, ErrUserRevoked) {
			t.Fatalf("bank served a revoked user: %v", err)
		}
		delete(bobW.members, rev.Epoch)
		if err := bobW.UpdateMember(rev); !errors.Is(err, groupsig.ErrRevoked) {
			t.Fatalf("revoked user updated: %v", err)
		}

		// bob's old coin pays (money is not lost); spent twice, it names bob.
		shop, cafe := s.merchant(s.shop), s.merchant(s.cafe)
		p := s.pay(bobW, shop, 16)
		_, err = s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
		bobW.Add(bobCoins...)
		p = s.pay(bobW, cafe, 16)
		_, err = s.deposit("bank-a", cafe, s.cafe, p)
		var dse *DoubleSpendError
		if !errors.As(err, &dse) {
			t.Fatalf("double spend: %v", err)
		}
		if name, err := s.users.Trace(ctx, s.evidence(t, dse.EvidenceID)); name != "bob" {
			t.Fatalf("traced to %q, %v; want bob", name, err)
		}

		// alice updates; her old coin and a new one both pay.
		aliceW.keys = ks
		must(t, aliceW.UpdateMember(rev))
		s.withdraw(aliceW, 4)
		p = s.pay(aliceW, shop, 20)
		if p.GroupSigs[0].Epoch == p.GroupSigs[1].Epoch {
			t.Fatal("old and new coin signed at one epoch")
		}
		_, err = s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
	})
}

// Hole 6 of issue 9: a challenge names the merchant's bank and account, so
// a payment cannot be deposited into another account — not one whose owner
// has the same name at the same bank, nor the same account id at another bank.
func TestPaymentDepositsOnlyToItsPayee(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		w := s.wallet(nil)
		s.withdraw(w, 8)
		shop := s.merchant(s.shop)
		p := s.pay(w, shop, 8)
		twin := party{id: s.shop.id, account: "shop-second", bank: "bank-b", key: s.shop.key}
		s.open("bank-b", twin, 0)
		elsewhere := party{id: "shop", account: s.shop.account, bank: "bank-c", key: s.shop.key}
		s.open("bank-c", elsewhere, 0)
		for _, to := range []party{twin, elsewhere} {
			q := &DepositRequest{Account: to.account}
			q.Payment, _ = p.MarshalBinary()
			rand.Read(q.ID[:])
			q.SignWith(to.key)
			if _, err := s.banks[to.bank].Deposit(ctx, q); !errors.Is(err, ErrChallenge) {
				t.Fatalf("deposit into %s@%s: %v", to.account, to.bank, err)
			}
		}
		_, err := s.deposit("bank-b", shop, s.shop, p)
		must(t, err)
	})
}

// Hole 3 of issue 9: a restore reveals nothing that links a withdrawal to
// a deposit. The wallet sends blinded messages (which the module maps to
// withdrawals) and asks for spent-registry buckets of at least
// RestoreAnonymity coins; no serial, nor any 8 bytes of one, leaves it.
func TestRestoreDoesNotLinkWithdrawalsToDeposits(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		s.module.cfg.RestoreAnonymity = 2
		w := s.wallet(nil)
		shop := s.merchant(s.shop)
		for range 6 {
			s.withdraw(w, 21) // 16 + 4 + 1
			p := s.pay(w, shop, 16)
			_, err := s.deposit("bank-b", shop, s.shop, p)
			must(t, err)
		}
		kept := w.Balance()
		bits, err := s.module.SpentBucketBits(ctx, s.epoch())
		must(t, err)
		if n, _ := s.store.SpentCount(ctx, s.epoch()); bits == 0 || n>>bits < 2 {
			t.Fatalf("%d spent coins in buckets of %d bits", n, bits)
		}
		if _, err := s.module.SpentBucket(ctx, s.epoch(), bits+1, 0); !errors.Is(err, ErrMalformed) {
			t.Fatalf("a bucket narrower than allowed: %v", err)
		}

		log := &restoreLog{r: s.module}
		restored := NewWallet(w.seed, w.keys, s.member, s.users.Keys(ctx), nil)
		n, err := restored.Restore(ctx, log, 5)
		must(t, err)
		if n != 12 || restored.Balance() != kept {
			t.Fatalf("restored %d coins worth %d, want 12 worth %d", n, restored.Balance(), kept)
		}
		deposits, err := s.store.SpentBucket(ctx, s.epoch(), 0, 0)
		must(t, err)
		for _, head := range deposits {
			h := binary.BigEndian.AppendUint64(nil, head)
			for _, sent := range log.sent {
				for i := 0; i+8 <= len(sent); i++ {
					if string(sent[i:i+8]) == string(h) {
						t.Fatalf("the restore sent 8 bytes of a deposited serial")
					}
				}
			}
		}
		for _, q := range log.buckets {
			if q[0] > uint32(bits) {
				t.Fatalf("asked a bucket of %d bits, allowed %d", q[0], bits)
			}
		}
	})
}

// restoreLog is a Restorer that logs everything a restoring wallet sends
// the module: what the module's log of a restore can hold.
type restoreLog struct {
	r       Restorer
	sent    [][]byte
	buckets [][2]uint32
}

func (l *restoreLog) BlindSignatures(ctx context.Context, blinded [][]byte) ([][]byte, error) {
	l.sent = append(l.sent, blinded...)
	return l.r.BlindSignatures(ctx, blinded)
}

func (l *restoreLog) SpentBucketBits(ctx context.Context, e Epoch) (uint8, error) {
	return l.r.SpentBucketBits(ctx, e)
}

func (l *restoreLog) SpentBucket(ctx context.Context, e Epoch, bits uint8, prefix uint32) ([]uint64, error) {
	l.buckets = append(l.buckets, [2]uint32{uint32(bits), prefix})
	return l.r.SpentBucket(ctx, e, bits, prefix)
}

// The TPM-bound form of hole 1: alice's TPM signs the challenges of both
// payments (bob holds her phone), but the second transcript must still
// prove the escrow in each coin, which bob's group key cannot — and when
// alice proves it herself, the double spend names her.
func TestColludingDoubleSpendWithTPMBoundCoins(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		dev := tpmSystem(t, s)
		_, bobW := s.user("bob", 0)
		w := s.wallet(dev)
		s.withdraw(w, 16)
		coins := w.Coins()
		shop, cafe := s.merchant(s.shop), s.merchant(s.cafe)
		_, err := s.deposit("bank-b", shop, s.shop, s.pay(w, shop, 16))
		must(t, err)

		bobW.device = dev
		bobW.Add(coins...)
		ch, _ := cafe.Challenge(16)
		if _, err := bobW.Pay(ch); !errors.Is(err, groupsig.ErrEscrowMismatch) {
			t.Fatalf("bob paid with alice's TPM-bound coin: %v", err)
		}
		p := &Payment{Challenge: *ch, Coins: coins}
		for _, c := range coins {
			ks, err := dev.SignCoin(c.Key, ch.KeyDigest(c.Message.Serial))
			must(t, err)
			p.KeySigs = append(p.KeySigs, ks)
		}
		d := p.Digest()
		gs, err := bobW.Member().Sign(rand.Reader, s.users.CurrentKey(), d[:])
		must(t, err)
		p.GroupSigs = []groupsig.Signature{*gs}
		if _, err := s.deposit("bank-a", cafe, s.cafe, p); !errors.Is(err, ErrNotMember) {
			t.Fatalf("bank took alice's TPM signature with bob's group signature: %v", err)
		}

		helper := s.twin(w, dev)
		helper.Add(coins...)
		_, err = s.deposit("bank-a", cafe, s.cafe, s.pay(helper, cafe, 16))
		var dse *DoubleSpendError
		if !errors.As(err, &dse) {
			t.Fatalf("second deposit: %v", err)
		}
		if name, err := s.users.Trace(ctx, s.evidence(t, dse.EvidenceID)); name != "alice-tpm" {
			t.Fatalf("traced to %q, %v; want alice-tpm", name, err)
		}
	})
}
