package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// errInjected is the fault the tests' hooks inject.
var errInjected = errors.New("injected fault")

// addAccount opens an SM2 account on bk's bank.
func addAccount(t testing.TB, bk *book, name string, opening uint64) {
	t.Helper()
	s, err := GenerateSM2()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := bk.bank.OpenAccount(bk.ctx, name, s.PublicKey(), opening)
	if err != nil {
		t.Fatal(err)
	}
	bk.accts[name], bk.sm2[name] = NewAccount(tmpl, s), s
}

// submission makes payer's money for payee and payee's submission of it.
func (bk *book) submission(payer, payee string, amount uint64) *Submission {
	bk.t.Helper()
	m, err := bk.accts[payer].Money(payee, amount, "state", bk.now)
	if err != nil {
		bk.t.Fatal(err)
	}
	s, err := bk.accts[payee].Submit(m)
	if err != nil {
		bk.t.Fatal(err)
	}
	return s
}

// failOnce makes the store's step fail the next time it is reached.
func failOnce(s *Store, step string) {
	var once sync.Once
	s.fault = func(at string) (err error) {
		if at == step {
			once.Do(func() { err = fmt.Errorf("%w at %s", errInjected, at) })
		}
		return err
	}
}

// mustRecover runs Recover and wants the book whole after it.
func (bk *book) mustRecover() []Recovered {
	bk.t.Helper()
	got, rep, err := bk.bank.Recover(bk.ctx)
	if err != nil || !rep.OK() {
		bk.t.Fatalf("recover: %v %v", rep, err)
	}
	return got
}

// sameAfterReopen wants the balances a fresh bank reads from the book to
// be those in memory, and both to add up to the openings.
func (bk *book) sameAfterReopen() {
	bk.t.Helper()
	bk.invariant()
	mem := bk.balances()
	bk.reopen()
	for name, v := range bk.balances() {
		if v != mem[name] {
			bk.t.Errorf("%s: %d in memory, %d from the book", name, v, mem[name])
		}
	}
	bk.invariant()
}

// Issue 10, hole 1, as the attack: A pays B 60 and the commit fails at a
// step of the write; after Recover, B (an account with no entry) must be
// back at its opening, so B paying C 60 is refused and no money is made.
// When the commit happened and only its answer was lost, the entry is in
// the book: B has the 60, pays C, and the money is refused as a replay.
func TestFailedBatchCreatesNoMoney(t *testing.T) {
	steps := []string{"book.batch", "book.moneys", "book.chain", "book.nodes", "book.checkpoint", "book.answer"}
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		for i, step := range steps {
			a, b, c := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i), fmt.Sprintf("c%d", i)
			addAccount(t, bk, a, 100)
			addAccount(t, bk, b, 0)
			addAccount(t, bk, c, 0)
			failOnce(bk.store, step)
			ab := bk.submission(a, b, 60)
			if _, err := bk.bank.Submit(bk.ctx, ab); !errors.Is(err, errInjected) {
				t.Fatalf("%s: A→B with a failing commit: %v", step, err)
			}
			bk.store.fault = nil
			if _, err := bk.bank.Submit(bk.ctx, bk.submission(b, c, 60)); !errors.Is(err, ErrBookBroken) {
				t.Fatalf("%s: booking after a failed commit: %v", step, err)
			}
			bk.mustRecover()
			_, err := bk.bank.Submit(bk.ctx, bk.submission(b, c, 60))
			wantB, wantC := uint64(0), uint64(0)
			if step == "book.answer" {
				if err != nil {
					t.Fatalf("%s: B→C after a commit whose answer was lost: %v", step, err)
				}
				wantC = 60
				if _, err := bk.bank.Submit(bk.ctx, ab); !errors.Is(err, ErrReplayed) {
					t.Fatalf("%s: A→B again after its answer was lost: %v", step, err)
				}
			} else if !errors.Is(err, ErrInsufficientFunds) {
				t.Fatalf("%s: B paid C with the 60 of a failed batch: %v", step, err)
			}
			if vb, _ := bk.bank.Balance(b); vb != wantB {
				t.Errorf("%s: B has %d, want %d", step, vb, wantB)
			}
			if vc, _ := bk.bank.Balance(c); vc != wantC {
				t.Errorf("%s: C has %d, want %d", step, vc, wantC)
			}
			bk.sameAfterReopen()
		}
	})
}

// The same in the pipeline: B→C is sequenced on top of A→B while A→B's
// commit is in progress, and then A→B's commit fails. Neither is booked,
// and after Recover neither B nor C (accounts with no entries) keeps
// money from them.
func TestFailedBatchUnderPipeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		addAccount(t, bk, "ann", 100)
		addAccount(t, bk, "ben", 0)
		addAccount(t, bk, "cal", 0)
		release := make(chan struct{})
		var once sync.Once
		bk.store.fault = func(step string) (err error) {
			if step == "book.batch" {
				once.Do(func() { <-release; err = errInjected })
			}
			return err
		}
		ab, bc := bk.submission("ann", "ben", 60), bk.submission("ben", "cal", 60)
		errs := make(chan error, 2)
		go func() { _, err := bk.bank.Submit(bk.ctx, ab); errs <- err }()
		for bk.bank.pending.Load() != 1 {
			time.Sleep(time.Millisecond)
		}
		go func() { _, err := bk.bank.Submit(bk.ctx, bc); errs <- err }()
		for bk.bank.pending.Load() != 2 { // B→C sequenced on A→B's view
			time.Sleep(time.Millisecond)
		}
		close(release)
		for range 2 {
			if err := <-errs; err == nil {
				t.Fatal("a batch of a failed pipeline was acknowledged")
			}
		}
		bk.store.fault = nil
		bk.mustRecover()
		if vb, _ := bk.bank.Balance("ben"); vb != 0 {
			t.Errorf("ben has %d after the failed batches", vb)
		}
		if vc, _ := bk.bank.Balance("cal"); vc != 0 {
			t.Errorf("cal has %d after the failed batches", vc)
		}
		bk.sameAfterReopen()
	})
}

// Recover during live payments among accounts that have no entries yet:
// batches refused or failed around the recovery leave no balance behind,
// so what the bank holds in memory is what the book says, and adds up.
func TestRecoverDuringLivePayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		var names []string
		for i := range 8 {
			names = append(names, fmt.Sprintf("live%d", i))
			addAccount(t, bk, names[i], uint64(1000*(i%2)))
		}
		var subs []*Submission
		for i := range 300 {
			subs = append(subs, bk.submission(names[i%8], names[(i*3+1)%8], uint64(1+i%50)))
		}
		var wg sync.WaitGroup
		for i, s := range subs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := bk.bank.Submit(bk.ctx, s)
				if err != nil && !errors.Is(err, ErrBookBroken) && !errors.Is(err, ErrInsufficientFunds) {
					t.Error(err)
				}
			}()
			if i%60 == 30 {
				bk.mustRecover()
			}
		}
		wg.Wait()
		bk.mustRecover()
		bk.sameAfterReopen()
	})
}

// Issue 10, hole 2, as the attack: entry k's row is lost and its money is
// submitted again. It is refused, naming k as lost, and the payer is not
// debited twice; after Recover it is refused as entry k.
func TestLostEntryMoneyNotBookedAgain(t *testing.T) {
	const k = 5
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		var lost *Submission
		for i := range 9 {
			s := bk.submission("alice", "bob", uint64(10+i))
			if _, err := bk.bank.Submit(bk.ctx, s); err != nil {
				t.Fatal(err)
			}
			if i == k {
				lost = s
			}
		}
		before := bk.balances()
		if err := bk.store.DeleteEntry(bk.ctx, k); err != nil {
			t.Fatal(err)
		}
		_, err := bk.bank.Submit(bk.ctx, lost)
		if !errors.Is(err, ErrReplayed) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d, which is lost", k)) {
			t.Fatalf("money of lost entry %d submitted again: %v", k, err)
		}
		if got := bk.balances(); got["alice"] != before["alice"] || bk.bank.Size() != 9 {
			t.Fatalf("alice %d (was %d), book of %d", got["alice"], before["alice"], bk.bank.Size())
		}
		bk.reopen() // a fresh process: the book is broken until recovered
		if _, err := bk.bank.Submit(bk.ctx, lost); !errors.Is(err, ErrBookBroken) {
			t.Fatalf("submission to a book with a lost entry: %v", err)
		}
		if got := bk.mustRecover(); len(got) != 1 || got[0].Entry.Index != k {
			t.Fatalf("recovered %v", got)
		}
		_, err = bk.bank.Submit(bk.ctx, lost)
		if !errors.Is(err, ErrReplayed) || !strings.HasSuffix(err.Error(), fmt.Sprintf("as entry %d", k)) {
			t.Fatalf("money of recovered entry %d submitted again: %v", k, err)
		}
		if got := bk.balances(); got["alice"] != before["alice"] {
			t.Fatalf("alice %d, was %d", got["alice"], before["alice"])
		}
		bk.sameAfterReopen()
	})
}

// bookDump is every row of the book's tables that Recover writes.
func bookDump(t *testing.T, s *Store) string {
	t.Helper()
	var out bytes.Buffer
	for _, q := range []string{
		"SELECT idx, payer, payee, mtime, entry, money FROM ledger_entries ORDER BY idx",
		"SELECT block, data, 0, 0, 0, 0 FROM ledger_chain_blocks ORDER BY block",
		"SELECT idx, payer, mtime, 0, 0, 0 FROM ledger_moneys ORDER BY idx",
	} {
		rows, err := s.DB().QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			cols := make([]any, 6)
			ptrs := make([]any, 6)
			for i := range cols {
				ptrs[i] = &cols[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			d := sm3.Sum(fmt.Appendf(nil, "%v", cols))
			fmt.Fprintf(&out, "%v %x\n", cols[0], d[:6])
		}
		rows.Close()
	}
	return out.String()
}

// A restore that conflicts with the book — entry k's money is held by
// another row (here a row whose money column was altered) — fails with
// ErrRestoreConflict naming both, and leaves every row as it was (before,
// the entry's chain record was deleted in a transaction of its own and
// the book was stuck broken). With the conflict gone, Recover succeeds.
func TestRestoreConflictLeavesBookUnchanged(t *testing.T) {
	const k, j = 4, 7
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		for i := range 10 {
			if _, err := bk.bank.Submit(bk.ctx, bk.submission("alice", "bob", uint64(1+i))); err != nil {
				t.Fatal(err)
			}
		}
		bk.reopen() // the backup has every batch
		db := bk.store.DB()
		var mk, mj int64
		if err := db.QueryRowContext(bk.ctx, db.Rebind("SELECT mtime FROM ledger_entries WHERE idx = ?"), k).Scan(&mk); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(bk.ctx, db.Rebind("SELECT mtime FROM ledger_entries WHERE idx = ?"), j).Scan(&mj); err != nil {
			t.Fatal(err)
		}
		// Entry k's row is lost (its chain record stays), and row j claims
		// k's money.
		for _, q := range []string{"DELETE FROM ledger_entries WHERE idx = ?", "UPDATE ledger_entries SET mtime = " + fmt.Sprint(mk) + " WHERE idx = ?"} {
			idx := k
			if strings.HasPrefix(q, "UPDATE") {
				idx = j
			}
			if _, err := db.ExecContext(bk.ctx, db.Rebind(q), idx); err != nil {
				t.Fatal(err)
			}
		}
		before := bookDump(t, bk.store)
		_, _, err := bk.bank.Recover(bk.ctx)
		if !errors.Is(err, ErrRestoreConflict) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d", k)) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d holds", j)) {
			t.Fatalf("recover into a conflict: %v", err)
		}
		if after := bookDump(t, bk.store); after != before {
			t.Fatalf("a failed restore changed the book:\nbefore %s\nafter  %s", before, after)
		}
		rep, err := bk.bank.Check(bk.ctx)
		if err != nil || len(rep.Missing) != 1 || rep.Missing[0] != k || len(rep.Breaks) != 0 {
			t.Fatalf("check after a failed restore: %v %v", rep, err)
		}
		if _, err := db.ExecContext(bk.ctx, db.Rebind("UPDATE ledger_entries SET mtime = ? WHERE idx = ?"), mj, j); err != nil {
			t.Fatal(err)
		}
		if got := bk.mustRecover(); len(got) != 1 || got[0].Entry.Index != k {
			t.Fatalf("recovered %v", got)
		}
		bk.mustPay("alice", "bob", 1, "after recovery")
		bk.sameAfterReopen()
	})
}

// A book made before ledger_moneys gets it filled from its entries when it
// is migrated: its moneys stay refused as replays.
func TestMoneysFilledOnMigration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		var subs []*Submission
		for i := range 6 {
			s := bk.submission("alice", "carol", uint64(1+i))
			if _, err := bk.bank.Submit(bk.ctx, s); err != nil {
				t.Fatal(err)
			}
			subs = append(subs, s)
		}
		bk.bank.Close()
		db := bk.store.DB()
		for _, q := range []string{"DROP TABLE ledger_moneys", "DELETE FROM schema_migrations WHERE component = 'ledger' AND version = 3"} {
			if _, err := db.ExecContext(bk.ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		bk.bank = nil
		bk.reopen() // migrates the old book
		var n int
		if err := bk.store.DB().QueryRowContext(bk.ctx, `SELECT COUNT(*) FROM ledger_moneys m
			JOIN ledger_entries e ON e.idx = m.idx AND e.payer = m.payer AND e.mtime = m.mtime`).Scan(&n); err != nil || n != 6 {
			t.Fatalf("%d of 6 moneys filled in: %v", n, err)
		}
		for i, s := range subs {
			if _, err := bk.bank.Submit(bk.ctx, s); !errors.Is(err, ErrReplayed) {
				t.Fatalf("money %d after migration: %v", i, err)
			}
		}
		bk.sameAfterReopen()
	})
}
