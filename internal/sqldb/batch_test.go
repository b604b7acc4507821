package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

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
