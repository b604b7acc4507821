package einvoice_test

import (
	"bytes"
	"testing"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicetest"
	"trustbank/internal/fuzzcorpus"
)

type codec = fuzzcorpus.Codec

// seedMessages runs registration and one whole session and returns one
// valid encoding of every wire message, by kind.
func seedMessages(f *testing.F) map[einvoice.Kind][]byte {
	rec := &einvoicetest.Recorder{}
	env := einvoicetest.New(f, einvoicetest.Options{Link: rec})
	rec.Link = env.Sellers
	out := map[einvoice.Kind][]byte{}
	put := func(m codec) {
		b, err := m.MarshalBinary()
		must(f, err)
		out[einvoice.Kind(b[0])] = b
	}
	sid := einvoicetest.SID(f, 7)
	sreq, sp, err := einvoice.NewSellerRegistration(env.System.PublicKey(), sid, "local:shop", env.Clock.Now())
	must(f, err)
	put(sreq)
	sresp, err := env.System.RegisterSeller(ctx, sreq)
	must(f, err)
	put(sresp)
	kj, err := sp.Finish(sresp)
	must(f, err)
	seller, err := einvoice.NewSeller(einvoice.SellerConfig{SID: sid, Name: "Shop", Key: kj,
		Store: env.NewSellerStore(f), Now: env.Clock.Now})
	must(f, err)
	env.Sellers["local:shop"] = seller
	p := einvoicetest.NewPerson(f, 3, "王五")
	breq, bp, err := einvoice.NewBuyerRegistration(env.System.PublicKey(), p.EID, p.Face(), env.BuyerConfig())
	must(f, err)
	put(breq)
	bresp, err := env.System.RegisterBuyer(ctx, breq)
	must(f, err)
	put(bresp)
	p.App, err = bp.Finish(bresp, env.BuyerConfig())
	must(f, err)
	total, err := seller.AddOrder(ctx, "A-1", einvoicetest.Items())
	must(f, err)
	req, ss, err := p.App.Request(p.EID, p.Face(), sid, einvoice.Order{OrderNo: "A-1", Amount: total, BuyerName: p.Name})
	must(f, err)
	put(req)
	resp, err := env.System.Request(ctx, req)
	must(f, err)
	put(resp)
	conf, _, err := ss.Finish(resp)
	must(f, err)
	put(conf)
	must(f, env.System.Confirm(ctx, conf))
	put(rec.Verifies[0])
	put(rec.Responses[0])
	put(rec.Notices[0])
	return out
}

// fuzzCodec fuzzes the codec of kind k, seeded from a real session.
func fuzzCodec(f *testing.F, k einvoice.Kind, fresh func() codec) {
	seed := seedMessages(f)[k]
	if len(seed) == 0 {
		f.Fatalf("no seed of kind %d", k)
	}
	fuzzcorpus.RoundTrip(f, fresh, seed)
}

func FuzzRequest(f *testing.F) {
	fuzzCodec(f, einvoice.KindRequest, func() codec { return new(einvoice.Request) })
}
func FuzzVerifyRequest(f *testing.F) {
	fuzzCodec(f, einvoice.KindVerifyRequest, func() codec { return new(einvoice.VerifyRequest) })
}
func FuzzVerifyResponse(f *testing.F) {
	fuzzCodec(f, einvoice.KindVerifyResponse, func() codec { return new(einvoice.VerifyResponse) })
}
func FuzzInvoiceResponse(f *testing.F) {
	fuzzCodec(f, einvoice.KindInvoiceResponse, func() codec { return new(einvoice.InvoiceResponse) })
}
func FuzzConfirm(f *testing.F) {
	fuzzCodec(f, einvoice.KindConfirm, func() codec { return new(einvoice.Confirm) })
}
func FuzzNotice(f *testing.F) {
	fuzzCodec(f, einvoice.KindNotice, func() codec { return new(einvoice.Notice) })
}
func FuzzBuyerRegistration(f *testing.F) {
	fuzzCodec(f, einvoice.KindBuyerRegistration, func() codec { return new(einvoice.BuyerRegistration) })
}
func FuzzBuyerRegistered(f *testing.F) {
	fuzzCodec(f, einvoice.KindBuyerRegistered, func() codec { return new(einvoice.BuyerRegistered) })
}
func FuzzSellerRegistration(f *testing.F) {
	fuzzCodec(f, einvoice.KindSellerRegistration, func() codec { return new(einvoice.SellerRegistration) })
}
func FuzzSellerRegistered(f *testing.F) {
	fuzzCodec(f, einvoice.KindSellerRegistered, func() codec { return new(einvoice.SellerRegistered) })
}

// FuzzLoadBuyer: the app's stored state never panics the loader, and
// what loads saves to the same bytes.
func FuzzLoadBuyer(f *testing.F) {
	env := einvoicetest.New(f, einvoicetest.Options{})
	p := einvoicetest.NewPerson(f, 4, "赵六")
	b, err := env.Register(f, p).MarshalBinary()
	must(f, err)
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(b)...)
	f.Fuzz(func(t *testing.T, in []byte) {
		bu, err := einvoice.LoadBuyer(in, env.BuyerConfig())
		if err != nil {
			return
		}
		again, err := bu.MarshalBinary()
		if err != nil || !bytes.Equal(again, in) {
			t.Fatalf("not canonical: %v", err)
		}
	})
}
