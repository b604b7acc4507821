package ledger

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"trustbank/internal/sqldb"
	"trustbank/internal/wire"
)

//go:embed backup
var backupMigrations embed.FS

// Backup is the hot backup (热备份): a writer of the bank's own copies each
// batch's entries and money to it, as one row per batch, in book order,
// right after the book has made the batch durable (so it lags the book by
// the batches queued for it), and reads them back by index only — it judges nothing, as the
// paper says. It lives in its own database (a second SQLite file, or
// PostgreSQL elsewhere).
type Backup struct {
	db *sqldb.DB

	retry time.Duration           // between attempts at a failed write (default 1 s)
	fault func(step string) error // tests only: fails a write on the real database
}

func (b *Backup) retryEvery() time.Duration {
	if b.retry > 0 {
		return b.retry
	}
	return time.Second
}

// NewBackup applies the backup's migrations to db.
func NewBackup(ctx context.Context, db *sqldb.DB) (*Backup, error) {
	sub, err := fs.Sub(backupMigrations, "backup")
	if err != nil {
		return nil, err
	}
	if err := sqldb.Migrate(ctx, db, "ledger-backup", sub); err != nil {
		return nil, err
	}
	return &Backup{db: db}, nil
}

// DB is the backup's database.
func (b *Backup) DB() *sqldb.DB { return b.db }

// maxBackupBatch bounds a decoded batch row.
const maxBackupBatch = 1 << 16

func encodeBackup(encoded, moneys [][]byte) []byte {
	n := 4
	for i := range encoded {
		n += 8 + len(encoded[i]) + len(moneys[i])
	}
	w := wire.Writer{B: make([]byte, 0, n)}
	w.U32(uint32(len(encoded)))
	for i := range encoded {
		w.Bytes32(encoded[i])
		w.Bytes32(moneys[i])
	}
	return w.B
}

// write stores a batch, replacing anything at or past its first index (left
// by a batch the book did not commit).
func (b *Backup) write(ctx context.Context, w *batchWrite) error {
	first := int64(w.entries[0].Index)
	return b.db.Tx(ctx, func(tx *sql.Tx) error {
		// Rows never overlap, so the rows reaching first are those from
		// it on and at most one before it: both found by the primary key
		// (a condition on last alone would scan the table).
		if _, err := tx.ExecContext(ctx, b.db.Rebind("DELETE FROM ledger_backup WHERE first >= ?"), first); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, b.db.Rebind(`DELETE FROM ledger_backup WHERE last >= ? AND first =
			(SELECT MAX(first) FROM ledger_backup WHERE first < ?)`), first, first); err != nil {
			return err
		}
		if b.fault != nil {
			if err := b.fault("backup.write"); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, b.db.Rebind("INSERT INTO ledger_backup (first, last, data) VALUES (?, ?, ?)"),
			first, first+int64(len(w.entries))-1, encodeBackup(w.encoded, w.moneys))
		return err
	})
}

// Entry returns entry idx and its money.
func (b *Backup) Entry(ctx context.Context, idx uint64) (*Entry, []byte, error) {
	var first, last int64
	var data []byte
	err := b.db.QueryRowContext(ctx, b.db.Rebind("SELECT first, last, data FROM ledger_backup WHERE first <= ? ORDER BY first DESC LIMIT 1"),
		int64(idx)).Scan(&first, &last, &data)
	if errors.Is(err, sql.ErrNoRows) || err == nil && int64(idx) > last {
		return nil, nil, fmt.Errorf("%w: %d in the hot backup", ErrNotFound, idx)
	}
	if err != nil {
		return nil, nil, err
	}
	r := wire.NewReader(data)
	n := int(r.U32("count"))
	if r.Err() == nil && (n > maxBackupBatch || int64(n) != last-first+1) {
		r.Fail("batch of %d entries for %d..%d", n, first, last)
	}
	var enc, money []byte
	for i := int64(0); i <= int64(idx)-first && r.Err() == nil; i++ {
		enc = r.Bytes32(1<<16, "entry")
		money = r.Bytes32(1<<16, "money")
	}
	if err := r.Err(); err != nil {
		return nil, nil, fmt.Errorf("ledger: hot backup row at %d: %w", first, err)
	}
	var e Entry
	if err := e.UnmarshalBinary(enc); err != nil {
		return nil, nil, fmt.Errorf("ledger: hot backup entry %d: %w", idx, err)
	}
	if e.Index != idx {
		return nil, nil, fmt.Errorf("ledger: hot backup holds entry %d where %d belongs", e.Index, idx)
	}
	return &e, clone(money), nil
}

// Size is one past the highest index the backup holds.
func (b *Backup) Size(ctx context.Context) (uint64, error) {
	var n sql.NullInt64
	// The row that starts last ends last: rows never overlap.
	err := b.db.QueryRowContext(ctx, "SELECT last FROM ledger_backup ORDER BY first DESC LIMIT 1").Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil || !n.Valid {
		return 0, err
	}
	return uint64(n.Int64) + 1, nil
}

// contiguous is one past the last index up to which the backup holds every
// entry from 0.
func (b *Backup) contiguous(ctx context.Context) (uint64, error) {
	rows, err := b.db.QueryContext(ctx, "SELECT first, last FROM ledger_backup ORDER BY first")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	next := int64(0)
	for rows.Next() {
		var first, last int64
		if err := rows.Scan(&first, &last); err != nil {
			return 0, err
		}
		if first > next {
			break
		}
		next = max(next, last+1)
	}
	return uint64(next), rows.Err()
}

// catchUp copies the book's entries the backup lacks, up to size (after a
// restart that lost queued backup writes, or onto a fresh backup).
func (b *Backup) catchUp(ctx context.Context, book *Store, size uint64) (uint64, error) {
	have, err := b.contiguous(ctx)
	if err != nil {
		return 0, err
	}
	copied := uint64(0)
	for have < size {
		enc, moneys, err := book.entriesFrom(ctx, have, int(min(size-have, 1024)))
		if err != nil {
			return copied, err
		}
		if len(enc) == 0 {
			return copied, fmt.Errorf("ledger: book has no entry %d to copy to the hot backup", have)
		}
		w := &batchWrite{encoded: enc, moneys: moneys}
		for _, e := range enc {
			var x Entry
			if err := x.UnmarshalBinary(e); err != nil {
				return copied, err
			}
			if x.Index != have+uint64(len(w.entries)) {
				return copied, fmt.Errorf("ledger: book has a gap at %d; check and recover it first", have+uint64(len(w.entries)))
			}
			w.entries = append(w.entries, &x)
		}
		if err := b.write(ctx, w); err != nil {
			return copied, err
		}
		have += uint64(len(enc))
		copied += uint64(len(enc))
	}
	return copied, nil
}
