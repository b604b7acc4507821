package einvoicehttp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/einvoicetest"
	"trustbank/einvoice/invoice"
	"trustbank/internal/dbtest"
	"trustbank/internal/httpapi"
)

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eachDB runs fn with the parties on SQLite, then on PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, db func(testing.TB) dbtest.Target)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, einvoicetest.SQLiteDB) })
	t.Run("postgres", func(t *testing.T) {
		dbtest.PostgresDSN(t)
		fn(t, einvoicetest.PostgresDB)
	})
}

// world is a system, a seller and a registered buyer, all over HTTP.
type world struct {
	*einvoicetest.Net
	shop  *einvoicetest.SellerNode
	alice *einvoicetest.Person
}

func newWorld(t testing.TB, db func(testing.TB) dbtest.Target) *world {
	n := einvoicetest.StartHTTP(t, einvoicetest.Options{DB: db})
	w := &world{Net: n, shop: n.AddSeller(t, 1, "北京示例科技有限公司")}
	w.alice = einvoicetest.NewPerson(t, 1, "张三")
	n.Register(t, w.alice)
	return w
}

// order puts a paid order in the seller's book over HTTP.
func (w *world) order(t testing.TB, no string, items ...invoice.Item) einvoice.Order {
	if items == nil {
		items = einvoicetest.Items()
	}
	total, err := w.shop.Admin.AddOrder(ctx, einvoicehttp.OrderRequest{OrderNo: no, Items: items})
	must(t, err)
	return einvoice.Order{OrderNo: no, Amount: total, BuyerName: w.alice.Name}
}

func (w *world) sid() einvoice.SID { return w.shop.Seller.SID() }

// request is alice's message 1 for o, and its session.
func (w *world) request(t testing.TB, o einvoice.Order) (*einvoice.Request, *einvoice.BuyerSession) {
	req, ss, err := w.alice.App.Request(w.alice.EID, w.alice.Face(), w.sid(), o)
	must(t, err)
	return req, ss
}

// answered is request sent to the system, with its message 4.
func (w *world) answered(t testing.TB, o einvoice.Order) (*einvoice.Request, *einvoice.BuyerSession, *einvoice.InvoiceResponse) {
	req, ss := w.request(t, o)
	resp, err := w.Client.Request(ctx, req)
	must(t, err)
	return req, ss, resp
}

// stats is the system's and the seller's row counts.
func (w *world) stats(t testing.TB) map[string]int64 {
	a, err := w.Store.Stats(ctx)
	must(t, err)
	b, err := w.shop.Store.Stats(ctx)
	must(t, err)
	for k, v := range b {
		a["seller_"+k] = v
	}
	return a
}

func (w *world) sameStats(t testing.TB, before map[string]int64, what string) {
	t.Helper()
	if after := w.stats(t); !maps.Equal(before, after) {
		t.Fatalf("%s changed state:\n before %v\n after  %v", what, before, after)
	}
}

// TestThreePartiesOverHTTP runs the system and a seller as HTTP servers
// on loopback and the buyer's app as their client.
func TestThreePartiesOverHTTP(t *testing.T) {
	eachDB(t, func(t *testing.T, db func(testing.TB) dbtest.Target) {
		w := newWorld(t, db)
		o := w.order(t, "JD-0001")
		sd, err := w.Invoice(ctx, w.alice, w.sid(), o)
		must(t, err)
		// Anyone verifies the invoice offline against the root.
		if _, err := invoice.Verify(sd.JSON(), w.Root); err != nil {
			t.Fatal(err)
		}
		got, err := w.shop.Admin.Order(ctx, o.OrderNo)
		must(t, err)
		if got.InvoiceNo != sd.Invoice.Number || got.Total != o.Amount {
			t.Fatalf("seller's book: %+v, invoice %s", got, sd.Invoice.Number)
		}
		for path, want := range map[string]int{"/einvoice/v1/seller/verify": 1, "/einvoice/v1/seller/notice": 1} {
			if got := w.SellerTap.Sent(path); got != want {
				t.Errorf("%s sent %d times", path, got)
			}
		}
		// Sessions go on with refreshed identities.
		for i := 2; i <= 3; i++ {
			_, err := w.Invoice(ctx, w.alice, w.sid(), w.order(t, fmt.Sprintf("JD-%04d", i)))
			must(t, err)
		}
		if st := w.stats(t); st["invoices_notified"] != 3 || st["seller_orders_invoiced"] != 3 {
			t.Fatalf("stats %v", st)
		}
	})
}

// TestMalformedBodies: every POST endpoint answers a bad body with a
// clear 4xx JSON error and changes nothing.
func TestMalformedBodies(t *testing.T) {
	eachDB(t, func(t *testing.T, db func(testing.TB) dbtest.Target) {
		w := newWorld(t, db)
		o := w.order(t, "JD-0001")
		req, _ := w.request(t, o)
		m1, err := req.MarshalBinary()
		must(t, err)
		env := func(b []byte) string { s, _ := jsonOf(einvoicehttp.Envelope{Message: b}); return s }
		bodies := map[string]struct {
			ctype, body string
			status      int
		}{
			"text-plain":    {"text/plain", env(m1), 415},
			"null":          {"application/json", "null", 400},
			"array":         {"application/json", "[]", 400},
			"number":        {"application/json", `{"message": 5}`, 400},
			"bad-base64":    {"application/json", `{"message": "!!!"}`, 400},
			"unknown-field": {"application/json", `{"message": "", "x": 1}`, 400},
			"truncated":     {"application/json", `{"message": "`, 400},
			"empty":         {"application/json", `{}`, 400},
			"wrong-kind":    {"application/json", env([]byte{0x7f, 1, 2, 3}), 400},
			"short-message": {"application/json", env(m1[:len(m1)-1]), 400},
			"long-message":  {"application/json", env(append(bytes.Clone(m1), 0)), 400},
			"huge":          {"application/json", `{"message": "` + strings.Repeat("A", httpapi.MaxBody) + `"}`, 400},
		}
		paths := []string{w.SystemURL + "/einvoice/v1/register/buyer", w.SystemURL + "/einvoice/v1/register/seller",
			w.SystemURL + "/einvoice/v1/request", w.SystemURL + "/einvoice/v1/confirm",
			w.shop.URL + "/einvoice/v1/seller/verify", w.shop.URL + "/einvoice/v1/seller/notice"}
		before := w.stats(t)
		for _, url := range paths {
			for name, tc := range bodies {
				resp, err := http.Post(url, tc.ctype, strings.NewReader(tc.body))
				must(t, err)
				var e httpapi.ErrorResponse
				decodeErr := decodeJSON(resp, &e)
				if resp.StatusCode != tc.status || decodeErr != nil || e.Code == "" || e.Error == "" {
					t.Errorf("%s %s: HTTP %d %+v (%v)", url, name, resp.StatusCode, e, decodeErr)
				}
			}
		}
		w.sameStats(t, before, "malformed bodies")
		// The well-formed request still works afterwards.
		if _, err := w.Client.Request(ctx, req); err != nil {
			t.Fatal(err)
		}
	})
}

// TestCrashBetweenMessages cuts the connection after each message (or
// restarts the system) and shows: no half-issued invoice, one invoice per
// order, and the buyer gets it in the end; a lost refresh does not lock
// the buyer out, and the new identity, once used, retires the old one.
func TestCrashBetweenMessages(t *testing.T) {
	eachDB(t, func(t *testing.T, db func(testing.TB) dbtest.Target) {
		w := newWorld(t, db)
		outer := t // a restarted system lives as long as the test
		const reqPath, confPath = "/einvoice/v1/request", "/einvoice/v1/confirm"
		const verifyPath, noticePath = "/einvoice/v1/seller/verify", "/einvoice/v1/seller/notice"

		t.Run("seller-down-at-2", func(t *testing.T) {
			o := w.order(t, "C-2")
			req, ss := w.request(t, o)
			before := w.stats(t)
			w.SellerTap.Fail(verifyPath, einvoicetest.Refuse)
			if _, err := w.Client.Request(ctx, req); !errors.Is(err, einvoice.ErrSeller) {
				t.Fatalf("seller down: %v", err)
			}
			w.sameStats(t, before, "a request the seller never saw")
			w.SellerTap.Fail(verifyPath, einvoicetest.NoFault)
			// The same message 1 goes through now: nothing was used up.
			resp, err := w.Client.Request(ctx, req)
			must(t, err)
			conf, _, err := ss.Finish(resp)
			must(t, err)
			must(t, w.Client.Confirm(ctx, conf))
		})
		t.Run("answer-3-lost", func(t *testing.T) {
			o := w.order(t, "C-3")
			w.SellerTap.Fail(verifyPath, einvoicetest.DropAnswer)
			before := w.stats(t)
			if _, err := w.Invoice(ctx, w.alice, w.sid(), o); !errors.Is(err, einvoice.ErrSeller) {
				t.Fatalf("lost answer 3: %v", err)
			}
			if st := w.stats(t); st["invoices"] != before["invoices"] {
				t.Fatal("invoice issued without the seller's answer")
			}
			w.SellerTap.Fail(verifyPath, einvoicetest.NoFault)
			_, err := w.Invoice(ctx, w.alice, w.sid(), o)
			must(t, err)
		})
		t.Run("answer-4-lost", func(t *testing.T) {
			o := w.order(t, "C-4")
			saved, err := w.alice.App.MarshalBinary()
			must(t, err)
			w.BuyerTap.Fail(reqPath, einvoicetest.DropAnswer)
			if _, err := w.Invoice(ctx, w.alice, w.sid(), o); !errors.Is(err, einvoicetest.ErrFault) {
				t.Fatalf("cut after message 1: %v", err)
			}
			w.BuyerTap.Fail(reqPath, einvoicetest.NoFault)
			first, err := w.Store.InvoiceFor(ctx, w.sid(), o.OrderNo)
			must(t, err)
			if first.State != einvoice.StateIssued {
				t.Fatalf("state %d", first.State)
			}
			// The refresh was lost: the app still has the old identity,
			// which still works, and gets the same invoice.
			sd, err := w.Invoice(ctx, w.alice, w.sid(), o)
			must(t, err)
			if sd.Invoice.Number != first.Number {
				t.Fatalf("second invoice %s for the order (first %s)", sd.Invoice.Number, first.Number)
			}
			// The new identity is used once: the old one is retired.
			_, err = w.Invoice(ctx, w.alice, w.sid(), w.order(t, "C-4b"))
			must(t, err)
			old, err := einvoice.LoadBuyer(saved, w.BuyerConfig())
			must(t, err)
			req, _, err := old.Request(w.alice.EID, w.alice.Face(), w.sid(), w.order(t, "C-4c"))
			must(t, err)
			if _, err := w.Client.Request(ctx, req); !errors.Is(err, einvoice.ErrUnknownIdentity) {
				t.Fatalf("retired identity: %v", err)
			}
		})
		t.Run("system-restart-before-5", func(t *testing.T) {
			o := w.order(t, "C-5")
			_, ss, resp := w.answered(t, o)
			w.Restart(outer)
			conf, _, err := ss.Finish(resp)
			must(t, err)
			must(t, w.Client.Confirm(ctx, conf))
			inv, err := w.Store.InvoiceFor(ctx, w.sid(), o.OrderNo)
			must(t, err)
			if inv.State != einvoice.StateNotified {
				t.Fatalf("state %d after restart", inv.State)
			}
		})
		t.Run("answer-5-lost", func(t *testing.T) {
			o := w.order(t, "C-6")
			_, ss, resp := w.answered(t, o)
			conf, _, err := ss.Finish(resp)
			must(t, err)
			w.BuyerTap.Fail(confPath, einvoicetest.DropAnswer)
			if err := w.Client.Confirm(ctx, conf); !errors.Is(err, einvoicetest.ErrFault) {
				t.Fatalf("cut after 5: %v", err)
			}
			w.BuyerTap.Fail(confPath, einvoicetest.NoFault)
			notices := w.SellerTap.Sent(noticePath)
			must(t, w.Client.Confirm(ctx, conf)) // the app retries
			if w.SellerTap.Sent(noticePath) != notices {
				t.Fatal("a retried confirmation sent a second notice")
			}
		})
		t.Run("seller-down-at-6", func(t *testing.T) {
			o := w.order(t, "C-7")
			w.SellerTap.Fail(noticePath, einvoicetest.Refuse)
			sd, err := w.Invoice(ctx, w.alice, w.sid(), o)
			must(t, err) // the buyer's part is done
			inv, err := w.Store.InvoiceFor(ctx, w.sid(), o.OrderNo)
			must(t, err)
			rec, err := w.shop.Seller.Order(ctx, o.OrderNo)
			must(t, err)
			if inv.State != einvoice.StateConfirmed || rec.InvoiceNo != "" {
				t.Fatalf("state %d, seller has %q", inv.State, rec.InvoiceNo)
			}
			w.SellerTap.Fail(noticePath, einvoicetest.NoFault)
			n, err := w.Client.ResendNotices(ctx)
			if err != nil || n != 1 {
				t.Fatalf("resend: %d %v", n, err)
			}
			rec, err = w.shop.Seller.Order(ctx, o.OrderNo)
			if err != nil || rec.InvoiceNo != sd.Invoice.Number {
				t.Fatalf("seller after resend: %+v %v", rec, err)
			}
		})
		if st := w.stats(t); st["invoices"] != st["seller_orders_invoiced"] || st["invoices"] != st["invoices_notified"] {
			t.Fatalf("half-issued invoices remain: %v", st)
		}
	})
}
