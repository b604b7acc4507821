package ledger

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// A batch written to the backup replaces every row reaching its first
// index (left by batches the book did not commit), and nothing before.
func TestBackupWriteReplaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		ctx := context.Background()
		bk, err := NewBackup(ctx, open())
		if err != nil {
			t.Fatal(err)
		}
		if n, err := bk.Size(ctx); err != nil || n != 0 {
			t.Fatalf("empty backup: Size = %d, %v", n, err)
		}
		key := make([]byte, balanceKeySize)
		batch := func(first, n int, tag byte) *batchWrite {
			w := &batchWrite{}
			for i := range n {
				idx := uint64(first + i)
				e := &Entry{Index: idx, Payer: "alice", Payee: "bob", Amount: uint64(tag),
					PayerBalance: sealBalance(key, idx, "alice", 1), PayeeBalance: sealBalance(key, idx, "bob", 1),
					Sig8: make([]byte, 64), Sig9: make([]byte, 64)}
				enc, err := e.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				w.entries = append(w.entries, e)
				w.encoded = append(w.encoded, enc)
				w.moneys = append(w.moneys, []byte{tag})
			}
			return w
		}
		for _, w := range []*batchWrite{batch(0, 5, 1), batch(5, 5, 1), batch(10, 5, 1)} {
			if err := bk.write(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		// Rewrite from 7: the rows 5–9 and 10–14 go, 0–4 stays.
		if err := bk.write(ctx, batch(7, 2, 2)); err != nil {
			t.Fatal(err)
		}
		if n, err := bk.Size(ctx); err != nil || n != 9 {
			t.Fatalf("Size = %d, %v; want 9", n, err)
		}
		if n, err := bk.contiguous(ctx); err != nil || n != 5 {
			t.Fatalf("contiguous = %d, %v; want 5 (5 and 6 went with their row)", n, err)
		}
		for idx, want := range map[uint64]byte{0: 1, 4: 1, 7: 2, 8: 2} {
			e, m, err := bk.Entry(ctx, idx)
			if err != nil || e.Index != idx || m[0] != want {
				t.Fatalf("entry %d: %v, %v, %v; want money tag %d", idx, e, m, err, want)
			}
		}
		for _, idx := range []uint64{5, 6, 9, 12} {
			if _, _, err := bk.Entry(ctx, idx); !errors.Is(err, ErrNotFound) {
				t.Fatalf("entry %d: %v; want ErrNotFound", idx, err)
			}
		}
	})
}

// BenchmarkBackupWrite writes one-entry batches to a backup that already
// holds 20,000 rows: a write must not cost more as the backup grows.
func BenchmarkBackupWrite(b *testing.B) {
	ctx := context.Background()
	db := sqliteOpen(b)()
	bk, err := NewBackup(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	data := encodeBackup([][]byte{make([]byte, 900)}, [][]byte{make([]byte, 420)})
	const rows = 20000
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for i := range rows {
			if _, err := tx.ExecContext(ctx, "INSERT INTO ledger_backup (first, last, data) VALUES (?, ?, ?)", i, i, data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	w := &batchWrite{encoded: [][]byte{make([]byte, 900)}, moneys: [][]byte{make([]byte, 420)}}
	b.ResetTimer()
	for i := range b.N {
		w.entries = []*Entry{{Index: uint64(rows + i)}}
		if err := bk.write(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
}
