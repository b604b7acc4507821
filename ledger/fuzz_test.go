package ledger

import (
	"testing"

	"trustbank/internal/fuzzcorpus"
)

// ledgerSeeds makes one valid instance of every message from a real book.
func ledgerSeeds(f *testing.F) map[string][]byte {
	bk := newBook(f, sqliteOpen(f), SM2)
	for range 5 {
		bk.mustPay("carol", "alice", 1, "warm-up")
	}
	coll, m, st, err := bk.payWithNotice("alice", "bob", 12345, "seed")
	if err != nil {
		f.Fatal(err)
	}
	bn, err := bk.bank.BalanceNotice(bk.ctx, st.Entry.Index)
	if err != nil {
		f.Fatal(err)
	}
	rc, _ := bk.accts["bob"].Receipt(m, st, bk.now)
	sub, _ := bk.accts["bob"].Submit(m)
	pay := bk.accts["alice"].Hand(m)
	out := map[string][]byte{}
	for name, msg := range map[string]codec{"template": bk.accts["alice"].Template, "money": m, "settlement": st,
		"balance": bn, "receipt": rc, "collection": coll, "submission": sub, "entry": &st.Entry, "checkpoint": &st.Checkpoint, "payment": pay} {
		b, err := msg.MarshalBinary()
		if err != nil {
			f.Fatal(name, err)
		}
		out[name] = b
	}
	return out
}

type codec = fuzzcorpus.Codec

// fuzzCodec: decoding never panics, and whatever decodes re-encodes to
// exactly the input (one encoding per message).
func fuzzCodec(f *testing.F, seeds [][]byte, fresh func() codec) {
	fuzzcorpus.RoundTrip(f, fresh, seeds...)
}

func FuzzTemplate(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["template"]}, func() codec { return new(Template) })
}

func FuzzMoney(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["money"]}, func() codec { return new(Money) })
}

func FuzzSettlement(f *testing.F) {
	s := ledgerSeeds(f)
	fuzzCodec(f, [][]byte{s["settlement"], s["balance"]}, func() codec { return new(Settlement) })
}

func FuzzReceipt(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["receipt"]}, func() codec { return new(Receipt) })
}

func FuzzCollectionNotice(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["collection"]}, func() codec { return new(CollectionNotice) })
}

func FuzzSubmission(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["submission"]}, func() codec { return new(Submission) })
}

func FuzzEntry(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["entry"]}, func() codec { return new(Entry) })
}

func FuzzCheckpoint(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["checkpoint"]}, func() codec { return new(Checkpoint) })
}

func FuzzPayment(f *testing.F) {
	fuzzCodec(f, [][]byte{ledgerSeeds(f)["payment"]}, func() codec { return new(Payment) })
}

// FuzzQRMessage: whatever a scanned code holds, DecodeQRMessage answers
// with a message or an error, never a panic.
func FuzzQRMessage(f *testing.F) {
	var inputs [][][]byte
	for _, b := range ledgerSeeds(f) {
		inputs = append(inputs, [][]byte{b})
	}
	fuzzcorpus.Seed(f, inputs...)
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeQRMessage(b)
	})
}
