package einvoice

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice/invoice"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestStore is the shared store suite, on SQLite and PostgreSQL.
func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		newStore := func() *SQLStore {
			s, err := NewSQLStore(ctx, open())
			must(t, err)
			t.Cleanup(s.Close)
			return s
		}
		runStoreSuite(t, newStore)
	})
}

func seenAt(scope string, tag string, at time.Time) Seen {
	return Seen{Scope: scope, Tag: []byte(tag), At: at}
}

// testChain is a self-signed SM2 certificate: the store keeps chains, it
// does not verify them.
var testChain = sync.OnceValue(func() []*smx509.Certificate {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "store test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(4_000_000_000, 0)}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return []*smx509.Certificate{c}
})

// testDoc is a document for invoice number of order (signature not real).
func testDoc(number, order string) *invoice.Signed {
	return &invoice.Signed{Invoice: invoice.Invoice{Number: number, IssueDate: "2026-01-15",
		Seller: invoice.Party{Name: "Shop", TaxID: testSID}, Buyer: invoice.Party{Name: "buyer of " + order},
		Items:  []invoice.Item{{Name: "pen", Quantity: 1000, UnitPrice: 100, TaxRate: 1300, Amount: 100, Tax: 13}},
		Amount: 100, Tax: 13, Total: 113}, Signature: []byte("signature of " + number), Chain: testChain()}
}

// tg pads a test identity tag to the 32 bytes of a real one.
func tg(s string) []byte { return []byte(fmt.Sprintf("%-32s", s)) }

func issuance(n int, buyer, used, next, order string, at time.Time) *Issuance {
	var sid [SessionLen]byte
	copy(sid[:], fmt.Sprintf("session-%08d", n))
	number := fmt.Sprintf("26%018d", n)
	return &Issuance{
		Seen: seenAt("S_i", fmt.Sprintf("mac-%d", n), at), BuyerTag: []byte(buyer), UsedID: tg(used), NextID: tg(next),
		Invoice: IssuedInvoice{Number: number, SellerSID: SID([]byte(testSID)), OrderNo: order, BuyerTag: []byte(buyer),
			Signed: testDoc(number, order), Created: at},
		Session: SessionRecord{ID: sid, ConfirmMAC: [MACLen]byte{byte(n)}},
	}
}

func runStoreSuite(t *testing.T, newStore func() *SQLStore) {
	s := newStore()
	now := time.Unix(1_800_000_000, 0)
	must(t, s.RegisterBuyer(ctx, BuyerRecord{Tag: []byte("alice"), Current: tg("A0")}, seenAt("reg", "n1", now)))
	t.Run("registration", func(t *testing.T) {
		if err := s.RegisterBuyer(ctx, BuyerRecord{Tag: []byte("alice"), Current: tg("X")}, seenAt("reg", "n1", now)); !errors.Is(err, ErrReplay) {
			t.Fatalf("replayed registration nonce: %v", err)
		}
		b, err := s.Buyer(ctx, []byte("alice"))
		if err != nil || !bytes.Equal(b.Current, tg("A0")) || b.Pending != nil {
			t.Fatalf("buyer after refused replay: %+v %v", b, err)
		}
		if _, err := s.Buyer(ctx, []byte("nobody")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown buyer: %v", err)
		}
		must(t, s.RegisterSeller(ctx, SellerRecord{Tag: []byte("shop"), SID: SID([]byte(testSID)), Endpoint: "http://a"}, seenAt("reg", "n2", now)))
		must(t, s.RegisterSeller(ctx, SellerRecord{Tag: []byte("shop"), SID: SID([]byte(testSID)), Endpoint: "http://b"}, seenAt("reg", "n3", now)))
		if r, err := s.Seller(ctx, []byte("shop")); err != nil || r.Endpoint != "http://b" || r.SID.String() != testSID {
			t.Fatalf("seller: %+v %v", r, err)
		}
	})
	t.Run("issue-and-refresh", func(t *testing.T) {
		got, err := s.Issue(ctx, issuance(1, "alice", "A0", "A1", "o-1", now))
		if err != nil || got.Number != fmt.Sprintf("26%018d", 1) || got.State != StateIssued {
			t.Fatalf("issue: %+v %v", got, err)
		}
		for name, tc := range map[string]struct {
			is   *Issuance
			want error
		}{
			"replayed-mac":     {issuance(1, "alice", "A0", "A9", "o-2", now), ErrReplay},
			"retired-identity": {issuance(2, "alice", "Z", "A9", "o-2", now), ErrUnknownIdentity},
			"unknown-buyer":    {issuance(3, "bob", "B0", "B1", "o-3", now), ErrUnknownIdentity},
			"other-number":     {issuance(4, "alice", "A0", "A9", "o-1", now), ErrAlreadyInvoiced},
		} {
			if _, err := s.Issue(ctx, tc.is); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", name, err, tc.want)
			}
		}
		// Nothing of a refused issuance stays: its MAC is still unused.
		b, _ := s.Buyer(ctx, []byte("alice"))
		if !bytes.Equal(b.Current, tg("A0")) || !bytes.Equal(b.Pending, tg("A1")) {
			t.Fatalf("identities after refusals: %s %s", b.Current, b.Pending)
		}
		// The current identity still works (lost refresh); the identity
		// handed out joins the pending ones.
		redo := issuance(5, "alice", "A0", "A2", "o-1", now)
		redo.Invoice.Number = got.Number
		if again, err := s.Issue(ctx, redo); err != nil || !bytes.Equal(again.Signed.JSON(), got.Signed.JSON()) {
			t.Fatalf("redelivery: %v", err)
		}
		// The stored document is the one issued, rebuilt from its parts.
		if stored, err := s.InvoiceFor(ctx, SID([]byte(testSID)), "o-1"); err != nil || !bytes.Equal(stored.Signed.JSON(), got.Signed.JSON()) {
			t.Fatalf("stored document: %v", err)
		}
		// Buyer and invoice in one read.
		if b, inv, err := s.BuyerAndInvoice(ctx, []byte("alice"), SID([]byte(testSID)), "o-1"); err != nil ||
			!bytes.Equal(b.Current, tg("A0")) || inv == nil || inv.Number != got.Number || inv.State != StateIssued ||
			!bytes.Equal(inv.Signed.JSON(), got.Signed.JSON()) {
			t.Fatalf("buyer and invoice: %+v %+v %v", b, inv, err)
		}
		if b, inv, err := s.BuyerAndInvoice(ctx, []byte("alice"), SID([]byte(testSID)), "o-none"); err != nil || b == nil || inv != nil {
			t.Fatalf("buyer and no invoice: %+v %+v %v", b, inv, err)
		}
		if _, _, err := s.BuyerAndInvoice(ctx, []byte("nobody"), SID([]byte(testSID)), "o-1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no buyer: %v", err)
		}
		// Using the pending identity promotes it; the old one retires.
		_, err = s.Issue(ctx, issuance(6, "alice", "A2", "A3", "o-6", now))
		must(t, err)
		b, _ = s.Buyer(ctx, []byte("alice"))
		if !bytes.Equal(b.Current, tg("A2")) || !bytes.Equal(b.Pending, tg("A3")) {
			t.Fatalf("after promotion: %s %s", b.Current, b.Pending)
		}
		if _, err := s.Issue(ctx, issuance(7, "alice", "A0", "A4", "o-7", now)); !errors.Is(err, ErrUnknownIdentity) {
			t.Fatalf("retired identity after promotion: %v", err)
		}
		if _, err := s.Issue(ctx, issuance(4, "alice", "A2", "A4", "o-4", now)); err != nil {
			t.Fatalf("the MAC of a refused issuance must stay unused: %v", err)
		}
	})
	t.Run("checked-record", func(t *testing.T) {
		// The record the request was checked against, passed along: used
		// if still stored, else the stored one decides.
		must(t, s.RegisterBuyer(ctx, BuyerRecord{Tag: []byte("carol"), Current: tg("C0")}, seenAt("reg", "n-carol", now)))
		fresh, err := s.Buyer(ctx, []byte("carol"))
		must(t, err)
		is := issuance(20, "carol", "C0", "C1", "o-20", now)
		is.Buyer = fresh
		_, err = s.Issue(ctx, is)
		must(t, err)
		is = issuance(21, "carol", "C1", "C2", "o-21", now)
		is.Buyer = fresh // stale: C1 is pending in the store only
		_, err = s.Issue(ctx, is)
		must(t, err)
		b, _ := s.Buyer(ctx, []byte("carol"))
		if !bytes.Equal(b.Current, tg("C1")) || !bytes.Equal(b.Pending, tg("C2")) {
			t.Fatalf("after a stale record: %s %s", b.Current, b.Pending)
		}
		is = issuance(22, "carol", "C0", "C3", "o-22", now)
		is.Buyer = fresh // stale, and C0 is retired in the store
		if _, err := s.Issue(ctx, is); !errors.Is(err, ErrUnknownIdentity) {
			t.Fatalf("retired identity with a stale record: %v", err)
		}
	})
	t.Run("number-taken", func(t *testing.T) {
		must(t, s.RegisterBuyer(ctx, BuyerRecord{Tag: []byte("dave"), Current: tg("D0")}, seenAt("reg", "n-dave", now)))
		is := issuance(31, "dave", "D0", "D1", "o-31", now)
		is.Invoice.Number = fmt.Sprintf("26%018d", 20) // carol's
		is.Invoice.Signed = testDoc(is.Invoice.Number, "o-31")
		if _, err := s.Issue(ctx, is); !errors.Is(err, errNumberTaken) {
			t.Fatalf("a number taken: %v", err)
		}
		// Nothing of it stays: the MAC and the identity are as they were.
		_, err := s.Issue(ctx, issuance(31, "dave", "D0", "D1", "o-31", now))
		must(t, err)
	})
	t.Run("other-buyer", func(t *testing.T) {
		must(t, s.RegisterBuyer(ctx, BuyerRecord{Tag: []byte("bob"), Current: tg("B0")}, seenAt("reg", "n4", now)))
		if _, err := s.Issue(ctx, issuance(8, "bob", "B0", "B1", "o-1", now)); !errors.Is(err, ErrAlreadyInvoiced) {
			t.Fatalf("bob takes alice's order: %v", err)
		}
	})
	t.Run("confirm", func(t *testing.T) {
		var sid [SessionLen]byte
		copy(sid[:], fmt.Sprintf("session-%08d", 1))
		rec, err := s.Session(ctx, sid)
		if err != nil || rec.Confirmed || rec.ConfirmMAC[0] != 1 {
			t.Fatalf("session: %+v %v", rec, err)
		}
		before, err := s.Stats(ctx)
		must(t, err)
		if _, err := s.Confirm(ctx, sid, [MACLen]byte{2}); !errors.Is(err, ErrAuth) {
			t.Fatalf("wrong R_i: %v", err)
		}
		if after, err := s.Stats(ctx); err != nil || !maps.Equal(before, after) {
			t.Fatalf("a wrong R_i changed %v into %v (%v)", before, after, err)
		}
		for range 2 {
			inv, err := s.Confirm(ctx, sid, rec.ConfirmMAC)
			if err != nil || inv.State != StateConfirmed {
				t.Fatalf("confirm: %+v %v", inv, err)
			}
		}
		if rec, err := s.Session(ctx, sid); err != nil || !rec.Confirmed {
			t.Fatalf("session after confirmation: %+v %v", rec, err)
		}
		if _, err := s.Confirm(ctx, [SessionLen]byte{9}, rec.ConfirmMAC); !errors.Is(err, ErrUnknownSession) {
			t.Fatalf("unknown session: %v", err)
		}
		un, err := s.Unnotified(ctx)
		if err != nil || len(un) != 1 || un[0].OrderNo != "o-1" {
			t.Fatalf("unnotified: %+v %v", un, err)
		}
		must(t, s.MarkNotified(ctx, un[0].Number))
		must(t, s.MarkNotified(ctx, un[0].Number))
		if un, _ := s.Unnotified(ctx); len(un) != 0 {
			t.Fatal("notified invoice still listed")
		}
		before, err = s.Stats(ctx)
		must(t, err)
		must(t, s.MarkNotified(ctx, fmt.Sprintf("26%018d", 6))) // issued, not confirmed
		must(t, s.MarkNotified(ctx, "no such invoice"))
		if after, err := s.Stats(ctx); err != nil || !maps.Equal(before, after) {
			t.Fatalf("acknowledgements of invoices not confirmed changed %v into %v (%v)", before, after, err)
		}
	})
	t.Run("seller", func(t *testing.T) {
		sid := SID([]byte(testSID))
		d := Deal{OrderNo: "o-1", SellerName: "Shop", SellerTaxID: sid, Items: []invoice.Item{{Name: "pen", Quantity: 1000, UnitPrice: 100, TaxRate: 1300}}}
		must(t, s.AddOrder(ctx, sid, d))
		if err := s.AddOrder(ctx, sid, d); !errors.Is(err, ErrAlreadyInvoiced) {
			t.Fatalf("duplicate order: %v", err)
		}
		if _, err := s.Order(ctx, sid, "none"); !errors.Is(err, ErrUnknownOrder) {
			t.Fatalf("unknown order: %v", err)
		}
		must(t, s.See(ctx, seenAt("seller", "Se1", now)))
		if err := s.See(ctx, seenAt("seller", "Se1", now)); !errors.Is(err, ErrReplay) {
			t.Fatalf("seen twice: %v", err)
		}
		if o, err := s.SeeOrder(ctx, seenAt("seller", "Se2", now), sid, "o-1"); err != nil || o.Deal.OrderNo != "o-1" || o.InvoiceNo != "" {
			t.Fatalf("see and order: %+v %v", o, err)
		}
		if _, err := s.SeeOrder(ctx, seenAt("seller", "Se2", now), sid, "o-1"); !errors.Is(err, ErrReplay) {
			t.Fatalf("see and order, seen twice: %v", err)
		}
		if _, err := s.SeeOrder(ctx, seenAt("seller", "Se3", now), sid, "none"); !errors.Is(err, ErrUnknownOrder) {
			t.Fatalf("see and order, no order: %v", err)
		}
		if err := s.See(ctx, seenAt("seller", "Se3", now)); !errors.Is(err, ErrReplay) {
			t.Fatalf("the MAC of a request for no order must be recorded: %v", err)
		}
		must(t, s.MarkInvoiced(ctx, sid, "o-1", "N1", seenAt("seller", "Sn1", now)))
		must(t, s.MarkInvoiced(ctx, sid, "o-1", "N1", seenAt("seller", "Sn2", now)))
		if err := s.MarkInvoiced(ctx, sid, "o-1", "N2", seenAt("seller", "Sn3", now)); !errors.Is(err, ErrAlreadyInvoiced) {
			t.Fatalf("second invoice number: %v", err)
		}
		if err := s.MarkInvoiced(ctx, sid, "o-1", "N1", seenAt("seller", "Sn1", now)); !errors.Is(err, ErrReplay) {
			t.Fatalf("replayed notice MAC: %v", err)
		}
		if err := s.MarkInvoiced(ctx, sid, "nope", "N1", seenAt("seller", "Sn4", now)); !errors.Is(err, ErrUnknownOrder) {
			t.Fatalf("unknown order: %v", err)
		}
		// The refused notices left no MAC behind.
		must(t, s.See(ctx, seenAt("seller", "Sn3", now)))
		o, err := s.Order(ctx, sid, "o-1")
		if err != nil || o.InvoiceNo != "N1" || o.Deal.Items[0].Name != "pen" {
			t.Fatalf("order: %+v %v", o, err)
		}
	})
	t.Run("restart-and-prune", func(t *testing.T) {
		s2 := newStore()
		if _, err := s2.Issue(ctx, issuance(1, "alice", "A2", "A5", "o-9", now)); !errors.Is(err, ErrReplay) {
			t.Fatalf("replay cache lost on restart: %v", err)
		}
		n, err := s2.Prune(ctx, now.Add(2*time.Minute))
		if err != nil || n == 0 {
			t.Fatalf("prune: %d %v", n, err)
		}
		again := issuance(1, "alice", "A2", "A5", "o-9", now)
		again.Invoice.Number, again.Session.ID = fmt.Sprintf("26%018d", 99), [SessionLen]byte{99}
		if _, err := s2.Issue(ctx, again); err != nil {
			t.Fatalf("after prune (the window check is the system's): %v", err)
		}
	})
	t.Run("group-commit", func(t *testing.T) {
		const n = 32
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			tag := fmt.Sprintf("buyer-%d", i)
			must(t, s.RegisterBuyer(ctx, BuyerRecord{Tag: []byte(tag), Current: tg("C")}, seenAt("reg", tag, now)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Issue(ctx, issuance(100+i, tag, "C", "D", fmt.Sprintf("g-%d", i), now))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
	})
}

// The refresh rule: concurrent or abandoned sessions each hand out an
// identity; whichever the app kept works, and using it retires the rest.
func TestRefreshRule(t *testing.T) {
	b := BuyerRecord{Current: tg("A")}
	for _, n := range []string{"B", "C", "D", "E", "F"} {
		if !b.Refresh(tg("A"), tg(n)) {
			t.Fatalf("current refused handing out %s", n)
		}
	}
	if len(b.pending()) != MaxPending || b.HasIdentity(tg("B")) || !b.HasIdentity(tg("C")) || !b.HasIdentity(tg("F")) {
		t.Fatalf("pending after 5 hand-outs: %q", b.Pending)
	}
	if !b.Refresh(tg("D"), tg("G")) {
		t.Fatal("a pending identity refused")
	}
	for name, want := range map[string]bool{"A": false, "C": false, "E": false, "D": true, "G": true} {
		if b.HasIdentity(tg(name)) != want {
			t.Errorf("after using D: %s known = %v", name, !want)
		}
	}
	if b.Refresh(tg("A"), tg("H")) {
		t.Fatal("a retired identity accepted")
	}
}
