package ecash

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/fuzzcorpus"
	"trustbank/internal/sqldb"
)

// seeds makes one valid instance of every message from a real deployment.
func seeds(f *testing.F) (coin, payment, wreq, wresp, dreq, keyset []byte, module ed25519.PublicKey) {
	coin, payment, wreq, wresp, dreq, keyset, module, _ = allSeeds(f)
	return
}

// allSeeds also makes a swap request.
func allSeeds(f *testing.F) (coin, payment, wreq, wresp, dreq, keyset []byte, module ed25519.PublicKey, swap []byte) {
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(f))
	must(f, err)
	f.Cleanup(func() { db.Close() })
	s := newSystem(f, db)
	w := s.wallet(nil)
	pw, err := w.Withdraw(s.alice.account, s.alice.key, 5, s.epoch())
	must(f, err)
	resp, err := s.banks["bank-a"].Withdraw(ctx, pw.Request)
	must(f, err)
	must(f, w.Finish(pw, resp))
	shop := s.merchant(s.shop)
	p := s.pay(w, shop, 5)
	q, err := shop.DepositRequest(p, s.shop.key)
	must(f, err)
	coin, _ = p.Coins[0].MarshalBinary()
	payment, _ = p.MarshalBinary()
	wreq, _ = pw.Request.MarshalBinary()
	wresp, _ = resp.MarshalBinary()
	dreq, _ = q.MarshalBinary()
	keyset, _ = s.module.KeySet().MarshalBinary()
	s.withdraw(w, 16)
	ps, err := w.Change(3, s.epoch(), s.clock.Now())
	must(f, err)
	swap, _ = ps.Request.MarshalBinary()
	return coin, payment, wreq, wresp, dreq, keyset, s.module.IdentityKey(), swap
}

func FuzzSwapRequest(f *testing.F) {
	_, _, _, _, _, _, _, sw := allSeeds(f)
	fuzzCodec(f, sw, func() codec { return new(SwapRequest) })
}

type codec = fuzzcorpus.Codec

// fuzzCodec: decoding never panics, and whatever decodes re-encodes to
// exactly the input.
func fuzzCodec(f *testing.F, seed []byte, fresh func() codec) {
	fuzzcorpus.RoundTrip(f, fresh, seed)
}

func FuzzCoin(f *testing.F) {
	c, _, _, _, _, _, _ := seeds(f)
	fuzzCodec(f, c, func() codec { return new(Coin) })
}

func FuzzPayment(f *testing.F) {
	_, p, _, _, _, _, _ := seeds(f)
	fuzzCodec(f, p, func() codec { return new(Payment) })
}

func FuzzWithdrawRequest(f *testing.F) {
	_, _, q, _, _, _, _ := seeds(f)
	fuzzCodec(f, q, func() codec { return new(WithdrawRequest) })
}

func FuzzWithdrawResponse(f *testing.F) {
	_, _, _, r, _, _, _ := seeds(f)
	fuzzCodec(f, r, func() codec { return new(WithdrawResponse) })
}

func FuzzDepositRequest(f *testing.F) {
	_, _, _, _, d, _, _ := seeds(f)
	fuzzCodec(f, d, func() codec { return new(DepositRequest) })
}

func FuzzKeySet(f *testing.F) {
	_, _, _, _, _, ks, id := seeds(f)
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(ks)...)
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKeySet(b, id)
		if err != nil {
			return
		}
		again, _ := k.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatal("accepted key set does not re-encode to itself")
		}
	})
}
