package einvoicehttp_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/einvoicetest"
	"trustbank/einvoice/invoice"
	"trustbank/internal/dbtest"
)

const noticePath = "/einvoice/v1/seller/notice"

func flip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 0x01
	return c
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestReplay replays each of the six messages: each is refused (message
// 5 is idempotent: it changes nothing and sends nothing), and no second
// invoice is made.
func TestReplay(t *testing.T) {
	eachDB(t, func(t *testing.T, db func(testing.TB) dbtest.Target) {
		w := newWorld(t, db)
		o := w.order(t, "R-1")
		req, ss, resp := w.answered(t, o)
		conf, _, err := ss.Finish(resp)
		must(t, err)
		must(t, w.Client.Confirm(ctx, conf))
		m2, m3, m6 := w.Link.Last()
		before := w.stats(t)
		link := &einvoicehttp.SellerLink{}

		if _, err := w.Client.Request(ctx, req); !errors.Is(err, einvoice.ErrReplay) {
			t.Errorf("message 1 replayed: %v", err)
		}
		if _, err := link.Verify(ctx, w.shop.URL, m2); !errors.Is(err, einvoice.ErrReplay) {
			t.Errorf("message 2 replayed to the seller: %v", err)
		}
		// Message 3 replayed by an on-path attacker as the answer to the
		// system's next verification request.
		o2 := w.order(t, "R-2")
		before2 := w.stats(t)
		w.Link.Hook(nil, func(*einvoice.VerifyResponse) *einvoice.VerifyResponse { return m3 }, nil)
		if _, err := w.Invoice(ctx, w.alice, w.sid(), o2); !errors.Is(err, einvoice.ErrAuth) {
			t.Errorf("message 3 replayed: %v", err)
		}
		w.Link.Hook(nil, nil, nil)
		before2["seller_replay"]++ // the seller did see the system's real message 2
		w.sameStats(t, before2, "replayed message 3")
		// Message 4 replayed to the app: a new session refuses it, and the
		// finished session refuses it again.
		app, _ := w.alice.App.MarshalBinary()
		_, ss2 := w.request(t, o2)
		if _, _, err := ss2.Finish(resp); !errors.Is(err, einvoice.ErrAuth) {
			t.Errorf("message 4 replayed to a new session: %v", err)
		}
		if _, _, err := ss.Finish(resp); !errors.Is(err, einvoice.ErrSessionState) {
			t.Errorf("message 4 replayed to its session: %v", err)
		}
		if now, _ := w.alice.App.MarshalBinary(); !bytes.Equal(app, now) {
			t.Error("a replayed message 4 changed the app's identity")
		}
		notices := w.SellerTap.Sent(noticePath)
		if err := w.Client.Confirm(ctx, conf); err != nil {
			t.Errorf("message 5 replayed: %v", err)
		}
		if w.SellerTap.Sent(noticePath) != notices {
			t.Error("a replayed message 5 sent another notice")
		}
		if err := link.Notify(ctx, w.shop.URL, m6); !errors.Is(err, einvoice.ErrReplay) {
			t.Errorf("message 6 replayed to the seller: %v", err)
		}
		after := w.stats(t)
		after["seller_orders"]-- // R-2, added above
		if after["invoices"] != before["invoices"] || after["seller_orders_invoiced"] != before["seller_orders_invoiced"] {
			t.Fatalf("replays made an invoice: %v", after)
		}
	})
}

// requestFields are message 1 with one field altered each.
func requestFields(m *einvoice.Request) map[string]*einvoice.Request {
	out := map[string]*einvoice.Request{}
	alter := func(name string, f func(c *einvoice.Request)) {
		c := *m
		f(&c)
		out[name] = &c
	}
	alter("HID", func(c *einvoice.Request) { c.HID[3] ^= 1 })
	alter("Hb", func(c *einvoice.Request) { c.Hb[3] ^= 1 })
	alter("rho", func(c *einvoice.Request) { c.Rho[3] ^= 1 })
	alter("C_i1", func(c *einvoice.Request) { c.C1 = flip(c.C1) })
	alter("C_i2", func(c *einvoice.Request) { c.C2 = flip(c.C2) })
	alter("S_i", func(c *einvoice.Request) { c.S[3] ^= 1 })
	alter("t_i", func(c *einvoice.Request) { c.T++ })
	return out
}

// TestTamper alters each field of each message in flight: every one is
// refused, and no invoice is made from an altered message.
func TestTamper(t *testing.T) {
	eachDB(t, func(t *testing.T, db func(testing.TB) dbtest.Target) {
		w := newWorld(t, db)
		o := w.order(t, "T-1")
		req, ss := w.request(t, o)
		before := w.stats(t)
		for name, m := range requestFields(req) {
			if _, err := w.Client.Request(ctx, m); err == nil {
				t.Errorf("message 1 with %s altered accepted", name)
			}
		}
		// Messages 2, 3 altered on the system–seller link.
		cst := map[string]func(c []byte, s *[einvoice.MACLen]byte, tm *uint32) []byte{
			"C": func(c []byte, _ *[einvoice.MACLen]byte, _ *uint32) []byte { return flip(c) },
			"S": func(c []byte, s *[einvoice.MACLen]byte, _ *uint32) []byte { s[0] ^= 1; return c },
			"t": func(c []byte, _ *[einvoice.MACLen]byte, tm *uint32) []byte { *tm++; return c },
		}
		for name, alter := range cst {
			w.Link.Hook(func(m *einvoice.VerifyRequest) *einvoice.VerifyRequest {
				c := *m
				c.C = alter(c.C, &c.S, &c.T)
				return &c
			}, nil, nil)
			if _, err := w.Client.Request(ctx, req); err == nil {
				t.Errorf("message 2 with %s altered accepted", name)
			}
			w.Link.Hook(nil, func(m *einvoice.VerifyResponse) *einvoice.VerifyResponse {
				c := *m
				c.C = alter(c.C, &c.S, &c.T)
				return &c
			}, nil)
			if _, err := w.Client.Request(ctx, req); err == nil {
				t.Errorf("message 3 with %s altered accepted", name)
			}
		}
		w.Link.Hook(nil, nil, nil)
		if st := w.stats(t); st["invoices"] != before["invoices"] {
			t.Fatalf("an altered message made an invoice: %v", st)
		}
		// The unaltered message 1 still works: the refusals used nothing up.
		resp, err := w.Client.Request(ctx, req)
		must(t, err)
		// Message 4 altered on its way to the app; each try is a new
		// session (a failed session is over) and gets the same invoice.
		app, _ := w.alice.App.MarshalBinary()
		for name, alter := range map[string]func(c *einvoice.InvoiceResponse){
			"sid": func(c *einvoice.InvoiceResponse) { c.Session[0] ^= 1 },
			"c_e": func(c *einvoice.InvoiceResponse) { c.C = flip(c.C) },
			"s_e": func(c *einvoice.InvoiceResponse) { c.S[0] ^= 1 },
		} {
			_, s2 := w.request(t, o)
			c := *resp
			alter(&c)
			if _, _, err := s2.Finish(&c); !errors.Is(err, einvoice.ErrAuth) {
				t.Errorf("message 4 with %s altered: %v", name, err)
			}
		}
		if now, _ := w.alice.App.MarshalBinary(); !bytes.Equal(app, now) {
			t.Error("an altered message 4 changed the app's identity")
		}
		conf, _, err := ss.Finish(resp)
		must(t, err)
		for name, alter := range map[string]func(c *einvoice.Confirm){
			"sid": func(c *einvoice.Confirm) { c.Session[0] ^= 1 },
			"R_i": func(c *einvoice.Confirm) { c.R[0] ^= 1 },
		} {
			c := *conf
			alter(&c)
			if err := w.Client.Confirm(ctx, &c); err == nil {
				t.Errorf("message 5 with %s altered accepted", name)
			}
		}
		if st := w.stats(t); st["invoices_confirmed"] != before["invoices_confirmed"] {
			t.Fatal("an altered confirmation confirmed")
		}
		// Message 6 altered: the seller refuses, its book stays as it was,
		// and the system resends an intact notice later.
		for name, alter := range cst {
			w.Link.Hook(nil, nil, func(m *einvoice.Notice) *einvoice.Notice {
				c := *m
				c.C = alter(c.C, &c.S, &c.T)
				return &c
			})
			must(t, w.Client.Confirm(ctx, conf))
			if rec, _ := w.shop.Seller.Order(ctx, o.OrderNo); rec.InvoiceNo != "" {
				t.Fatalf("message 6 with %s altered accepted", name)
			}
		}
		w.Link.Hook(nil, nil, nil)
		if n, err := w.Client.ResendNotices(ctx); n != 1 || err != nil {
			t.Fatalf("resend: %d %v", n, err)
		}
	})
}

// TestImpersonation: without K_i a request is refused, whatever identity
// it shows; without K_j neither the seller's answer nor the system's
// requests and notices are accepted.
func TestImpersonation(t *testing.T) {
	eachDB(t, func(t *testing.T, db func(testing.TB) dbtest.Target) {
		w := newWorld(t, db)
		o := w.order(t, "I-1")
		req, _ := w.request(t, o)
		mallory := einvoicetest.NewPerson(t, 66, "Mallory")
		w.Register(t, mallory)
		before := w.stats(t)
		// Alice's identity (seen on the wire) with ciphertexts and MAC made
		// without K_i.
		forged := *req
		forged.C1, forged.C2, forged.T = randomBytes(len(req.C1)), randomBytes(len(req.C2)), req.T+1
		copy(forged.S[:], randomBytes(einvoice.MACLen))
		if _, err := w.Client.Request(ctx, &forged); !errors.Is(err, einvoice.ErrAuth) {
			t.Errorf("Alice's identity without K_i: %v", err)
		}
		// A made-up identity.
		made := forged
		copy(made.HID[:], randomBytes(einvoice.IDLen))
		copy(made.Hb[:], randomBytes(einvoice.KeyLen))
		if _, err := w.Client.Request(ctx, &made); !errors.Is(err, einvoice.ErrUnknownIdentity) {
			t.Errorf("made-up identity: %v", err)
		}
		// Mallory, registered with her own K_m, shows Alice's identity.
		mreq, _, err := mallory.App.Request(mallory.EID, mallory.Face(), w.sid(), o)
		must(t, err)
		mreq.Identity = req.Identity
		if _, err := w.Client.Request(ctx, mreq); !errors.Is(err, einvoice.ErrAuth) {
			t.Errorf("Mallory with Alice's identity: %v", err)
		}
		// A fake seller answers without K_j.
		w.Link.Hook(nil, func(m *einvoice.VerifyResponse) *einvoice.VerifyResponse {
			return &einvoice.VerifyResponse{C: randomBytes(len(m.C)), S: [einvoice.MACLen]byte(randomBytes(einvoice.MACLen)), T: m.T}
		}, nil)
		w.sameStats(t, before, "requests without K_i")
		if _, err := w.Client.Request(ctx, req); !errors.Is(err, einvoice.ErrAuth) {
			t.Errorf("seller without K_j: %v", err)
		}
		w.Link.Hook(nil, nil, nil)
		if st := w.stats(t); st["invoices"] != 0 || st["replay"] != before["replay"] {
			t.Fatalf("a forged seller answer left state: %v", st)
		}
		before = w.stats(t)
		// A fake system talks to the seller without K_j.
		link := &einvoicehttp.SellerLink{}
		now := uint32(w.Clock.Now().Unix())
		fakeS := [einvoice.MACLen]byte(randomBytes(einvoice.MACLen))
		if _, err := link.Verify(ctx, w.shop.URL, &einvoice.VerifyRequest{C: randomBytes(50), S: fakeS, T: now}); !errors.Is(err, einvoice.ErrAuth) {
			t.Errorf("system without K_j (2): %v", err)
		}
		if err := link.Notify(ctx, w.shop.URL, &einvoice.Notice{C: randomBytes(80), S: fakeS, T: now}); !errors.Is(err, einvoice.ErrAuth) {
			t.Errorf("system without K_j (6): %v", err)
		}
		w.sameStats(t, before, "impersonation")
	})
}

// TestWrongFace: a live face beyond the threshold from the ID photo makes
// the app refuse, and nothing is sent.
func TestWrongFace(t *testing.T) {
	w := newWorld(t, einvoicetest.SQLiteDB)
	bob := einvoicetest.NewPerson(t, 2, "李四")
	o := w.order(t, "F-1")
	_, _, err := w.alice.App.Request(w.alice.EID, w.alice.FaceOf(bob), w.sid(), o)
	if !errors.Is(err, einvoice.ErrFaceMismatch) {
		t.Fatalf("wrong face: %v", err)
	}
	if n := w.BuyerTap.Sent("/einvoice/v1/request"); n != 0 {
		t.Fatalf("%d requests sent after the face check failed", n)
	}
}

// needles are what an eavesdropper must not find: identifiers, the deal,
// every invoice field, as text and as binary.
func needles(w *world, o einvoice.Order, sd *invoice.Signed) map[string][]byte {
	n := map[string][]byte{
		"eID": []byte(w.alice.EID.String()), "sID": []byte(w.sid().String()),
		"order number (M_i, m_i)": []byte(o.OrderNo), "buyer name": []byte(o.BuyerName),
		"invoice number": []byte(sd.Invoice.Number), "seller name": []byte(sd.Invoice.Seller.Name),
		"seller tax ID": []byte(sd.Invoice.Seller.TaxID), "issue date": []byte(sd.Invoice.IssueDate),
	}
	num := func(name string, v int64) {
		n[name+" (text)"] = []byte(strconv.FormatInt(v, 10))
		n[name+" (be64)"] = binary.BigEndian.AppendUint64(nil, uint64(v))
	}
	num("amount paid", o.Amount)
	num("invoice amount", sd.Invoice.Amount)
	num("invoice tax", sd.Invoice.Tax)
	num("invoice total", sd.Invoice.Total)
	for i, it := range sd.Invoice.Items {
		n[fmt.Sprintf("item %d name", i)] = []byte(it.Name)
		n[fmt.Sprintf("item %d unit", i)] = []byte(it.Unit)
		num(fmt.Sprintf("item %d quantity", i), it.Quantity)
		num(fmt.Sprintf("item %d unit price", i), it.UnitPrice)
		num(fmt.Sprintf("item %d amount", i), it.Amount)
		num(fmt.Sprintf("item %d tax", i), it.Tax)
		n[fmt.Sprintf("item %d tax rate (be64)", i)] = binary.BigEndian.AppendUint64(nil, uint64(it.TaxRate))
	}
	return n
}

var messageField = regexp.MustCompile(`"message":"([A-Za-z0-9+/=]*)"`)

// TestEavesdropper captures every byte of registration and of a whole
// session on both links and searches it, and every message decoded from
// its base64, for the buyer's and seller's identifiers, the deal and
// every field of the invoice: none is there.
func TestEavesdropper(t *testing.T) {
	w := newWorld(t, einvoicetest.SQLiteDB)
	items := []invoice.Item{
		{Name: "*茶*西湖龙井茶", Unit: "千克", Quantity: 13_250, UnitPrice: 987_654, TaxRate: 900},
		{Name: "*信息技术服务*安装调试", Unit: "小时", Quantity: 12_500, UnitPrice: 76_543, TaxRate: 600},
	}
	o := w.order(t, "ORD-7f3a9c", items...)
	sd, err := w.Invoice(ctx, w.alice, w.sid(), o)
	must(t, err)
	wire := append(w.BuyerTap.Wire(), w.SellerTap.Wire()...)
	if len(wire) < 1000 || !bytes.Contains(wire, []byte("/einvoice/v1/request")) {
		t.Fatalf("the tap recorded %d bytes only", len(wire))
	}
	hay := [][]byte{wire}
	for _, m := range messageField.FindAllSubmatch(wire, -1) {
		b, err := base64.StdEncoding.DecodeString(string(m[1]))
		must(t, err)
		hay = append(hay, b)
	}
	if len(hay) < 1+8 {
		t.Fatalf("only %d messages decoded from the wire", len(hay)-1)
	}
	for name, needle := range needles(w, o, sd) {
		if len(needle) < 5 {
			t.Fatalf("needle %s too short to search for", name)
		}
		for _, h := range hay {
			if bytes.Contains(h, needle) {
				t.Errorf("eavesdropper finds %s (%q)", name, needle)
			}
		}
	}
	// The search does find what is there: the invoice's own JSON holds
	// every needle but the two identifiers that are not invoice fields.
	for name, needle := range needles(w, o, sd) {
		if bytes.Contains(needle, []byte{0}) || name == "eID" || name == "order number (M_i, m_i)" {
			continue // binary forms are not in JSON
		}
		if !bytes.Contains(sd.JSON(), needle) {
			t.Errorf("needle %s not even in the invoice", name)
		}
	}
}

// fields flattens one session's six messages into their field values.
func fields(req *einvoice.Request, m2 *einvoice.VerifyRequest, m3 *einvoice.VerifyResponse,
	m4 *einvoice.InvoiceResponse, m5 *einvoice.Confirm, m6 *einvoice.Notice) map[string][]byte {
	be := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	return map[string][]byte{
		"1.HID": req.HID[:], "1.Hb": req.Hb[:], "1.rho": req.Rho[:], "1.C_i1": req.C1, "1.C_i2": req.C2, "1.S_i": req.S[:], "1.t_i": be(req.T),
		"2.C_e": m2.C, "2.S_e": m2.S[:], "2.t_e": be(m2.T),
		"3.C_j": m3.C, "3.S_j": m3.S[:], "3.t_j": be(m3.T),
		"4.sid": m4.Session[:], "4.c_e": m4.C, "4.s_e": m4.S[:],
		"5.sid": m5.Session[:], "5.R_i": m5.R[:],
		"6.C_n": m6.C, "6.S_n": m6.S[:], "6.t_n": be(m6.T),
	}
}

// TestUnlinkable: two sessions of one buyer share no field value — the
// anonymous identity (HID, Hb, ρ) is fresh each time.
func TestUnlinkable(t *testing.T) {
	w := newWorld(t, einvoicetest.SQLiteDB)
	var sessions []map[string][]byte
	for i := range 2 {
		w.Clock.Advance(3 * time.Second)
		o := w.order(t, fmt.Sprintf("L-%d", i))
		req, ss, resp := w.answered(t, o)
		conf, _, err := ss.Finish(resp)
		must(t, err)
		must(t, w.Client.Confirm(ctx, conf))
		m2, m3, m6 := w.Link.Last()
		sessions = append(sessions, fields(req, m2, m3, resp, conf, m6))
	}
	for na, a := range sessions[0] {
		for nb, b := range sessions[1] {
			if bytes.Equal(a, b) {
				t.Errorf("session 1's %s equals session 2's %s: %x", na, nb, a)
			}
		}
	}
}
