package einvoice_test

import (
	"fmt"
	"testing"

	"trustbank/einvoice"
)

// BenchmarkSession is one whole session in process (SQLite, durable
// commits): app request (face match, Rep), system messages 1–4 with the
// seller's 2–3, app check of 4 (invoice signature), confirmation 5 with
// notice 6.
func BenchmarkSession(b *testing.B) {
	w := newWorld(b)
	i := 0
	for b.Loop() {
		i++
		w.session(b, w.addOrder(b, fmt.Sprintf("B-%d", i)))
	}
}

// BenchmarkAppRequest is the app's side of message 1 (face match, fuzzy
// extractor Rep, wallet, two encryptions, S_i).
func BenchmarkAppRequest(b *testing.B) {
	w := newWorld(b)
	face := w.alice.Face()
	for b.Loop() {
		if _, _, err := w.alice.App.Request(w.alice.EID, face, w.seller.SID(), w.order); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdentity is the system's recovery of (eID_i, b_i, K_i) from an
// anonymous identity.
func BenchmarkIdentity(b *testing.B) {
	ke := einvoice.NewMasterKey()
	eID, err := einvoice.ParseEID("11010519491231002X")
	if err != nil {
		b.Fatal(err)
	}
	var bio einvoice.BioKey
	id := ke.NewIdentity(eID, &bio)
	for b.Loop() {
		e, k, err := ke.Open(&id)
		if err != nil {
			b.Fatal(err)
		}
		ke.BuyerKey(e, k)
	}
}
