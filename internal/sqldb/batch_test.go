package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// Concurrent operations share commits; a failing one leaves no trace and
// does not disturb the others.
func TestBatcher(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		db := open()
		if _, err := db.Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		b := sqldb.NewBatcher(db, 16)
		defer b.Close()
		boom := errors.New("boom")
		var wg sync.WaitGroup
		errs := make([]error, 100)
		for i := range 100 {
			wg.Go(func() {
				errs[i] = b.Do(context.Background(), func(tx *sql.Tx) error {
					if _, err := tx.Exec(db.Rebind("INSERT INTO kv (k, v) VALUES (?, ?)"), fmt.Sprint("k", i%90), i); err != nil {
						return err
					}
					if i%10 == 3 {
						return boom // after a write: the savepoint must undo it
					}
					return nil
				})
			})
		}
		wg.Wait()
		var ok, dup, failed int
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, boom):
				failed++
			case db.IsUniqueViolation(err):
				dup++
			default:
				t.Fatalf("op %d: %v", i, err)
			}
		}
		var n int
		db.QueryRow("SELECT count(*) FROM kv").Scan(&n)
		if n != ok || failed != 10 || ok+dup+failed != 100 {
			t.Fatalf("rows %d, ok %d, dup %d, failed %d", n, ok, dup, failed)
		}
		b.Close()
		if err := b.Do(context.Background(), func(*sql.Tx) error { return nil }); !errors.Is(err, sqldb.ErrBatcherClosed) {
			t.Fatalf("after close: %v", err)
		}
	})
}

// batchOf runs ops as one batch: a first op holds the loop until every
// other op waits to be taken, so the next batch drains them all.
func batchOf(t *testing.T, b *sqldb.Batcher, ops []func(*sql.Tx) error) []error {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- b.Do(context.Background(), func(*sql.Tx) error { close(held); <-hold; return nil })
	}()
	<-held // the loop runs the first op's batch
	errs := make([]error, len(ops))
	var wg sync.WaitGroup
	for i, op := range ops {
		wg.Go(func() { errs[i] = b.Do(context.Background(), op) })
	}
	time.Sleep(200 * time.Millisecond) // the ops block on the loop's channel
	close(hold)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	return errs
}

// A batch whose ops all succeed runs each op once, with no savepoint; a
// batch with a failing op is rolled back and redone with savepoints: the
// failing op runs twice (the fast attempt and the savepoint run) and
// leaves no trace, the others commit with the answers of their last run.
func TestBatcherFastPathAndFallback(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		db := open()
		if _, err := db.Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		b := sqldb.NewBatcher(db, 64)
		defer b.Close()
		const n = 8
		runs := make([]atomic.Int32, 2*n)
		insert := func(i int, fail error) func(*sql.Tx) error {
			return func(tx *sql.Tx) error {
				runs[i].Add(1)
				if _, err := tx.Exec(db.Rebind("INSERT INTO kv (k, v) VALUES (?, ?)"), fmt.Sprint("k", i), i); err != nil {
					return err
				}
				return fail // after a write: it must be undone
			}
		}
		var ops []func(*sql.Tx) error
		for i := range n {
			ops = append(ops, insert(i, nil))
		}
		for i, err := range batchOf(t, b, ops) {
			if err != nil || runs[i].Load() != 1 {
				t.Fatalf("fast path: op %d: %v, %d runs", i, err, runs[i].Load())
			}
		}

		boom := errors.New("boom")
		ops = ops[:0]
		for i := n; i < 2*n; i++ {
			ops = append(ops, insert(i, map[bool]error{true: boom}[i == n+3]))
		}
		ops = append(ops, insert(0, nil)) // a duplicate of a committed key
		runs[0].Store(0)
		errs := batchOf(t, b, ops)
		twice := 0
		for j, err := range errs[:n] {
			i := n + j
			r := runs[i].Load()
			switch {
			case r < 1 || r > 2:
				t.Fatalf("op %d ran %d times", i, r)
			case i == n+3 && !errors.Is(err, boom):
				t.Fatalf("failing op: %v, want boom", err)
			case i != n+3 && err != nil:
				t.Fatalf("op %d beside a failing one: %v", i, err)
			}
			if r == 2 {
				twice++
			}
		}
		if !db.IsUniqueViolation(errs[n]) || runs[0].Load() < 1 || runs[0].Load() > 2 {
			t.Fatalf("duplicate: %v, %d runs", errs[n], runs[0].Load())
		}
		// The fast attempt stopped at the first failure and the batch was
		// redone with savepoints: whatever the order, an op ran twice.
		if twice == 0 && runs[0].Load() != 2 {
			t.Fatal("no op of the failing batch ran twice: the batch was not redone")
		}
		var rows, sum int
		db.QueryRow("SELECT count(*), sum(v) FROM kv").Scan(&rows, &sum)
		if want := 2*n - 1; rows != want || sum != (2*n-1)*(2*n)/2-(n+3) {
			t.Fatalf("%d rows summing to %d, want %d rows without k%d", rows, sum, want, n+3)
		}

		// One op alone that fails: rolled back, run once.
		runs[0].Store(0)
		if err := b.Do(context.Background(), insert(0, nil)); !db.IsUniqueViolation(err) || runs[0].Load() != 1 {
			t.Fatalf("single failing op: %v, %d runs", err, runs[0].Load())
		}
	})
}
