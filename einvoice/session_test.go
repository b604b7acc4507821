package einvoice_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicetest"
	"trustbank/einvoice/invoice"
)

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is a system, one seller with one paid order, one registered buyer.
type world struct {
	env    *einvoicetest.Env
	seller *einvoice.Seller
	alice  *einvoicetest.Person
	order  einvoice.Order
	last   *invoice.Signed // the invoice of the last session
}

func newWorld(t testing.TB) *world {
	env := einvoicetest.New(t, einvoicetest.Options{})
	w := &world{env: env, seller: env.NewSeller(t, 1, "北京示例科技有限公司", "local:shop")}
	w.alice = einvoicetest.NewPerson(t, 1, "张三")
	env.Register(t, w.alice)
	w.order = w.addOrder(t, "JD-0001")
	return w
}

func (w *world) addOrder(t testing.TB, no string) einvoice.Order {
	total, err := w.seller.AddOrder(ctx, no, einvoicetest.Items())
	must(t, err)
	return einvoice.Order{OrderNo: no, Amount: total, BuyerName: w.alice.Name}
}

// run does one whole session in process and returns every message.
type transcript struct {
	req  *einvoice.Request
	resp *einvoice.InvoiceResponse
	conf *einvoice.Confirm
}

func (w *world) session(t testing.TB, o einvoice.Order) *transcript {
	t.Helper()
	req, ss, err := w.alice.App.Request(w.alice.EID, w.alice.Face(), w.seller.SID(), o)
	must(t, err)
	resp, err := w.env.System.Request(ctx, req)
	must(t, err)
	conf, sd, err := ss.Finish(resp)
	must(t, err)
	w.last = sd
	must(t, w.env.System.Confirm(ctx, conf))
	if sd.Invoice.Total != o.Amount || sd.Invoice.Buyer.Name != w.alice.Name {
		t.Fatalf("invoice %+v", sd.Invoice)
	}
	return &transcript{req, resp, conf}
}

func TestSession(t *testing.T) {
	w := newWorld(t)
	w.session(t, w.order)
	rec, err := w.seller.Order(ctx, w.order.OrderNo)
	must(t, err)
	inv, err := w.env.Store.InvoiceFor(ctx, w.seller.SID(), w.order.OrderNo)
	must(t, err)
	if rec.InvoiceNo == "" || rec.InvoiceNo != inv.Number || inv.State != einvoice.StateNotified {
		t.Fatalf("seller book %q, system %s state %d", rec.InvoiceNo, inv.Number, inv.State)
	}
	// What the store keeps (encoding, signature, chain by hash) reads back
	// as the invoice the buyer got, and verifies offline.
	if err := inv.Signed.Verify(w.env.Root); err != nil || !bytes.Equal(inv.Signed.JSON(), w.last.JSON()) {
		t.Fatalf("stored invoice: %v", err)
	}
	// The refreshed identity works for the next order, and again.
	w.session(t, w.addOrder(t, "JD-0002"))
	w.session(t, w.addOrder(t, "JD-0003"))
	// The app's state survives a save and load.
	b, err := w.alice.App.MarshalBinary()
	must(t, err)
	w.alice.App, err = einvoice.LoadBuyer(b, w.env.BuyerConfig())
	must(t, err)
	w.session(t, w.addOrder(t, "JD-0004"))
}

// TestNumberTaken: an invoice number the store has already (two
// processes on one database, or a clock gone back) costs a new number
// and signature, not the session.
func TestNumberTaken(t *testing.T) {
	w := newWorld(t) // the test clock stands still: same millisecond
	w.session(t, w.order)
	first, err := w.env.Store.InvoiceFor(ctx, w.seller.SID(), w.order.OrderNo)
	must(t, err)
	einvoice.RewindInvoiceNumbers(1)
	o := w.addOrder(t, "JD-0002")
	einvoice.RewindInvoiceNumbers(1) // AddOrder drew a number too (its total)
	w.session(t, o)
	second, err := w.env.Store.InvoiceFor(ctx, w.seller.SID(), o.OrderNo)
	must(t, err)
	if second.Number == first.Number || second.Signed.Invoice.Number != second.Number || second.Signed.Verify(w.env.Root) != nil {
		t.Fatalf("second invoice %s (signed as %s) after %s", second.Number, second.Signed.Invoice.Number, first.Number)
	}
}

func TestFaceChecks(t *testing.T) {
	w := newWorld(t)
	bob := einvoicetest.NewPerson(t, 2, "李四")
	// Alice's ID with Bob's live face: the app refuses before sending.
	if _, _, err := w.alice.App.Request(w.alice.EID, w.alice.FaceOf(bob), w.seller.SID(), w.order); !errors.Is(err, einvoice.ErrFaceMismatch) {
		t.Fatalf("wrong face: %v", err)
	}
	// Bob's own ID and face on Alice's phone: b_i does not reproduce.
	if _, _, err := w.alice.App.Request(bob.EID, bob.Face(), w.seller.SID(), w.order); !errors.Is(err, einvoice.ErrBiometric) {
		t.Fatalf("other person on the app: %v", err)
	}
	// Alice's face with another ID number: the wallet does not open.
	if _, _, err := w.alice.App.Request(bob.EID, w.alice.Face(), w.seller.SID(), w.order); !errors.Is(err, einvoice.ErrBiometric) {
		t.Fatalf("wrong ID number: %v", err)
	}
	if _, _, err := einvoice.NewBuyerRegistration(w.env.System.PublicKey(), bob.EID, bob.FaceOf(w.alice), w.env.BuyerConfig()); !errors.Is(err, einvoice.ErrFaceMismatch) {
		t.Fatalf("registration with a wrong face: %v", err)
	}
}

// TestMessageSizes prints the size of each of the six messages of a
// session with the sample order (two items).
func TestMessageSizes(t *testing.T) {
	rec := &einvoicetest.Recorder{}
	env := einvoicetest.New(t, einvoicetest.Options{Link: rec})
	rec.Link = env.Sellers
	w := &world{env: env, seller: env.NewSeller(t, 1, "北京示例科技有限公司", "local:shop")}
	w.alice = einvoicetest.NewPerson(t, 1, "张三")
	env.Register(t, w.alice)
	w.order = w.addOrder(t, "JD-0001")
	tr := w.session(t, w.order)
	sizes := map[string]int{}
	for name, m := range map[string]interface{ MarshalBinary() ([]byte, error) }{
		"1 request": tr.req, "2 verify request": rec.Verifies[0], "3 verify response": rec.Responses[0],
		"4 invoice response": tr.resp, "5 confirm": tr.conf, "6 notice": rec.Notices[0],
	} {
		b, err := m.MarshalBinary()
		must(t, err)
		sizes[name] = len(b)
	}
	if sizes["5 confirm"] != 1+einvoice.SessionLen+einvoice.MACLen {
		t.Fatalf("confirm is %d bytes", sizes["5 confirm"])
	}
	t.Logf("sizes: %v", sizes)
}

// TestConcurrentSessions: many buyers at once (their commits grouped),
// and one buyer with two sessions in flight: both succeed and the app
// keeps working with whichever identity it stored last.
func TestConcurrentSessions(t *testing.T) {
	w := newWorld(t)
	const n = 12
	people := make([]*einvoicetest.Person, n)
	orders := make([]einvoice.Order, n)
	for i := range people {
		people[i] = einvoicetest.NewPerson(t, 100+i, "买家")
		w.env.Register(t, people[i])
		total, err := w.seller.AddOrder(ctx, fmt.Sprintf("P-%d", i), einvoicetest.Items())
		must(t, err)
		orders[i] = einvoice.Order{OrderNo: fmt.Sprintf("P-%d", i), Amount: total, BuyerName: "买家"}
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, p := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, ss, err := p.App.Request(p.EID, p.Face(), w.seller.SID(), orders[i])
			if err == nil {
				var resp *einvoice.InvoiceResponse
				if resp, err = w.env.System.Request(ctx, req); err == nil {
					var conf *einvoice.Confirm
					if conf, _, err = ss.Finish(resp); err == nil {
						err = w.env.System.Confirm(ctx, conf)
					}
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	// One buyer, two sessions in flight, finished in either order.
	o1, o2 := w.addOrder(t, "TWO-1"), w.addOrder(t, "TWO-2")
	r1, s1, err := w.alice.App.Request(w.alice.EID, w.alice.Face(), w.seller.SID(), o1)
	must(t, err)
	r2, s2, err := w.alice.App.Request(w.alice.EID, w.alice.Face(), w.seller.SID(), o2)
	must(t, err)
	resp2, err := w.env.System.Request(ctx, r2)
	must(t, err)
	resp1, err := w.env.System.Request(ctx, r1)
	must(t, err)
	// The system handed out session 1's identity last, the app keeps
	// session 2's: with a single pending identity it would be locked out.
	_, _, err = s1.Finish(resp1)
	must(t, err)
	_, _, err = s2.Finish(resp2)
	must(t, err)
	w.session(t, w.addOrder(t, "TWO-3"))
}

// TestRetryOtherTitle: asking again for an invoiced order with another
// amount or title is refused (the invoice cannot change), and another
// buyer cannot take the order.
func TestRetryOtherTitle(t *testing.T) {
	w := newWorld(t)
	w.session(t, w.order)
	for name, o := range map[string]einvoice.Order{
		"amount": {OrderNo: w.order.OrderNo, Amount: w.order.Amount + 1, BuyerName: w.alice.Name},
		"title":  {OrderNo: w.order.OrderNo, Amount: w.order.Amount, BuyerName: "某公司", BuyerTaxID: "91350100M000100Y43"},
	} {
		req, _, err := w.alice.App.Request(w.alice.EID, w.alice.Face(), w.seller.SID(), o)
		must(t, err)
		if _, err := w.env.System.Request(ctx, req); !errors.Is(err, einvoice.ErrDealMismatch) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bob := einvoicetest.NewPerson(t, 2, "李四")
	w.env.Register(t, bob)
	req, _, err := bob.App.Request(bob.EID, bob.Face(), w.seller.SID(), einvoice.Order{OrderNo: w.order.OrderNo, Amount: w.order.Amount, BuyerName: bob.Name})
	must(t, err)
	if _, err := w.env.System.Request(ctx, req); !errors.Is(err, einvoice.ErrAlreadyInvoiced) {
		t.Fatalf("another buyer takes the order: %v", err)
	}
	// A wrong amount for a new order: the seller's deal does not match.
	o := w.addOrder(t, "JD-0009")
	o.Amount--
	req, _, err = w.alice.App.Request(w.alice.EID, w.alice.Face(), w.seller.SID(), o)
	must(t, err)
	if _, err := w.env.System.Request(ctx, req); !errors.Is(err, einvoice.ErrDealMismatch) {
		t.Fatalf("wrong amount: %v", err)
	}
	// An order the seller does not have.
	req, _, err = w.alice.App.Request(w.alice.EID, w.alice.Face(), w.seller.SID(), einvoice.Order{OrderNo: "NOPE", Amount: 1, BuyerName: "x"})
	must(t, err)
	if _, err := w.env.System.Request(ctx, req); !errors.Is(err, einvoice.ErrUnknownOrder) {
		t.Fatalf("unknown order: %v", err)
	}
	// A seller that never registered.
	req, _, err = w.alice.App.Request(w.alice.EID, w.alice.Face(), einvoicetest.SID(t, 99), o)
	must(t, err)
	if _, err := w.env.System.Request(ctx, req); !errors.Is(err, einvoice.ErrUnknownSeller) {
		t.Fatalf("unknown seller: %v", err)
	}
}
