package ledgerhttp_test

import (
	"errors"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// TestDeepCheckAndCloseOverHTTP: the operator's deep check and close over
// HTTP, before and after a row of the book is changed in the database.
func TestDeepCheckAndCloseOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		f := newFixture(t, open)
		alice, bob := f.account(t, "alice", 10_000), f.account(t, "bob", 0)
		now := time.Now()
		for i := range 3 {
			m, _ := alice.Money("bob", 50, "coffee", now.Add(time.Duration(i)*time.Millisecond))
			s, _ := bob.Submit(m)
			if _, err := f.public.Submit(f.ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.public.CheckDeep(f.ctx); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
			t.Fatalf("deep check without token: %v", err)
		}
		if _, _, err := f.public.CloseDay(f.ctx, f.bank.Verifier()); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
			t.Fatalf("close without token: %v", err)
		}
		rep, err := f.admin.CheckDeep(f.ctx)
		if err != nil || !rep.OK || rep.Size != 3 || len(rep.Faults) != 0 {
			t.Fatalf("deep check: %+v %v", rep, err)
		}
		cl, _, err := f.admin.CloseDay(f.ctx, f.bank.Verifier())
		if err != nil || cl.Size != 3 {
			t.Fatalf("close: %+v %v", cl, err)
		}
		// The payee column of entry 1 is changed in the database.
		db := f.store.DB()
		if _, err := db.ExecContext(f.ctx, db.Rebind("UPDATE ledger_entries SET payee = ? WHERE idx = ?"), "alice", 1); err != nil {
			t.Fatal(err)
		}
		if fast, err := f.admin.Check(f.ctx); err != nil || !fast.OK {
			t.Fatalf("fast check: %+v %v (it reads the chain index only)", fast, err)
		}
		rep, err = f.admin.CheckDeep(f.ctx)
		if err != nil || rep.OK || len(rep.Faults) != 1 || rep.Faults[0].Index != 1 || rep.Faults[0].Check != "row" {
			t.Fatalf("deep check of a changed row: %+v %v", rep, err)
		}
		if _, _, err := f.admin.CloseDay(f.ctx, f.bank.Verifier()); !errors.Is(err, ledger.ErrBookBroken) {
			t.Fatalf("close of a changed book: %v", err)
		}
		m, _ := alice.Money("bob", 1, "after", now.Add(time.Second))
		s, _ := bob.Submit(m)
		if _, err := f.public.Submit(f.ctx, s); !errors.Is(err, ledger.ErrBookBroken) {
			t.Fatalf("booking after a failed deep check: %v", err)
		}
	})
}
