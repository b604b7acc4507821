package ecash

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"trustbank/attest"
	"trustbank/attest/attesttest"
)

// tpmSystem is a system whose bank A requires platform evidence checked
// against the owner device's golden PCRs, and whose user alice enrolled
// that device's AIK (the simulator's EK certified by a test CA).
func tpmSystem(t *testing.T, s *system) *attest.Device {
	dev, err := attest.OpenPath("simulator")
	must(t, err)
	t.Cleanup(func() { dev.Close() })
	golden, err := dev.PCRDigest()
	must(t, err)
	en, cert := simEnroller(t, s, dev)
	mk := enroll(t, en, dev, "alice-tpm", cert)
	s.member = enroll(t, en, dev, "alice-tpm", cert) // idempotent: same key
	if mk.X.String() != s.member.X.String() {
		t.Fatal("enrolling again gave another member key")
	}
	s.open("bank-a", party{id: "alice-tpm", account: "alice-tpm-acct", key: s.alice.key}, 1000)
	s.alice = party{id: "alice-tpm", account: "alice-tpm-acct", key: s.alice.key}
	old := s.banks["bank-a"]
	b, err := NewBank(BankConfig{ID: "bank-a", Member: old.cfg.Member, GroupKey: s.module.BankGroupKey,
		Module: s.module, Users: s.users, Attest: attest.NewVerifier(golden), RequireTPM: true, Now: s.clock.Now}, s.store)
	must(t, err)
	s.banks["bank-a"] = b
	return dev
}

// Platform binding: coins withdrawn on a TPM in the attested state are
// bound to it. A copy in another wallet (another TPM, or none) cannot pay,
// a forged key signature is refused, and after the PCRs change the owner's
// own TPM refuses to sign and the bank refuses to issue.
func TestPlatformBinding(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		dev := tpmSystem(t, s)
		w := s.wallet(dev)
		s.withdraw(w, 20)
		for _, c := range w.Coins() {
			if !c.Message.Bound {
				t.Fatal("coin from a TPM wallet is not bound")
			}
		}
		shop := s.merchant(s.shop)
		p := s.pay(w, shop, 4)
		_, err := s.deposit("bank-b", shop, s.shop, p)
		must(t, err)

		stolen := w.Coins()
		thiefTPM := s.wallet(attesttest.SWTPM(t))
		thiefTPM.Add(stolen...)
		noTPM := s.wallet(nil)
		noTPM.Add(stolen...)
		for name, thief := range map[string]*Wallet{"fail/other-tpm": thiefTPM, "fail/no-tpm": noTPM} {
			ch, _ := shop.Challenge(16)
			if _, err := thief.Pay(ch); !errors.Is(err, ErrBinding) {
				t.Errorf("%s: thief paid: %v", name, err)
			}
		}
		// A thief who signs the challenge with a key of its own is refused.
		ch, _ := shop.Challenge(16)
		forged := forgePayment(t, w, ch, stolen)
		if err := shop.Accept(forged); !errors.Is(err, ErrBinding) {
			t.Fatalf("forged key signature: %v", err)
		}

		// The platform state changes: the TPM no longer signs, the bank no longer issues.
		must(t, dev.ExtendPCR(4, []byte("other boot loader")))
		ch, _ = shop.Challenge(16)
		if _, err := w.Pay(ch); !errors.Is(err, ErrBinding) || !errors.Is(err, attest.ErrPolicy) {
			t.Fatalf("paying after the PCRs changed: %v", err)
		}
		pw, err := w.Withdraw(s.alice.account, s.alice.key, 4, s.epoch())
		must(t, err)
		if _, err := s.banks["bank-a"].Withdraw(ctx, pw.Request); !errors.Is(err, ErrAttestation) {
			t.Fatalf("withdrawal from a changed platform: %v", err)
		}
	})
}

// The bank refuses a withdrawal without platform evidence, and evidence
// from a TPM other than the one the user registered.
func TestAttestationRequired(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		tpmSystem(t, s)
		plain := s.wallet(nil)
		pw, err := plain.Withdraw(s.alice.account, s.alice.key, 4, s.epoch())
		must(t, err)
		if _, err := s.banks["bank-a"].Withdraw(ctx, pw.Request); !errors.Is(err, ErrAttestation) {
			t.Fatalf("no evidence: %v", err)
		}
		other := s.wallet(attesttest.SWTPM(t))
		pw, err = other.Withdraw(s.alice.account, s.alice.key, 4, s.epoch())
		must(t, err)
		if _, err := s.banks["bank-a"].Withdraw(ctx, pw.Request); !errors.Is(err, ErrAttestation) {
			t.Fatalf("another TPM's quote: %v", err)
		}
		if s.balance("bank-a", s.alice) != 1000 {
			t.Fatal("a refused withdrawal debited")
		}
	})
}

// forgePayment answers ch with coins whose key signatures come from a
// software key (not the committed TPM key); the thief has even stolen the
// owner's seed and user key (w), so the identity escrows are proven.
func forgePayment(t *testing.T, w *Wallet, ch *Challenge, coins []Coin) *Payment {
	sk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	p := &Payment{Challenge: *ch}
	var sum Amount
	for _, c := range coins {
		if sum+c.Value() > ch.Amount {
			continue
		}
		d := ch.KeyDigest(c.Message.Serial)
		r, ss, err := ecdsa.Sign(rand.Reader, sk, d[:])
		must(t, err)
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		p.Coins, p.KeySigs, sum = append(p.Coins, c), append(p.KeySigs, sig), sum+c.Value()
	}
	if sum != ch.Amount {
		t.Fatalf("cannot make %d from the stolen coins", ch.Amount)
	}
	d := p.Digest()
	for i := range p.Coins {
		gs, err := w.signEscrow(&p.Coins[i].Message, d[:])
		must(t, err)
		p.GroupSigs = append(p.GroupSigs, *gs)
	}
	return p
}
