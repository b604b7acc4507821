package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// restoration is one entry Recover puts back, with its money and the
// money's time (its identity is payer and time).
type restoration struct {
	entry *Entry
	money []byte
	mtime int64
}

// restoreEntries puts recovered entries back into the book in one
// transaction: for each, what is left of it (an entry row or a chain
// record, either may survive the other) is cleared, and its entry row,
// chain record and booked-money row are written. A money the book already
// holds under another index fails the whole restore with
// ErrRestoreConflict; any failure leaves the book exactly as it was.
func (s *Store) restoreEntries(ctx context.Context, rs []restoration) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			if err := s.restoreOne(ctx, tx, r); err != nil {
				return err
			}
		}
		return s.fail("recover.restore")
	})
}

func (s *Store) restoreOne(ctx context.Context, tx *sql.Tx, r restoration) error {
	e := r.entry
	k := int64(e.Index)
	enc, err := e.MarshalBinary()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM ledger_entries WHERE idx = ?"), k); err != nil {
		return err
	}
	if other, ok, err := s.moneyIndex(ctx, tx, "ledger_entries", e.Payer, r.mtime); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%w: entry %d books %s's money of %d, and entry %d holds that money", ErrRestoreConflict, k, e.Payer, r.mtime, other)
	}
	other, ok, err := s.moneyIndex(ctx, tx, "ledger_moneys", e.Payer, r.mtime)
	switch {
	case err != nil:
		return err
	case ok && other != e.Index:
		return fmt.Errorf("%w: entry %d books %s's money of %d, and the booked moneys name entry %d for it", ErrRestoreConflict, k, e.Payer, r.mtime, other)
	case !ok:
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO ledger_moneys (payer, mtime, idx) VALUES (?, ?, ?)"), e.Payer, r.mtime, k); err != nil {
			return fmt.Errorf("ledger: restore entry %d: booked money: %w", k, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO ledger_entries (idx, payer, payee, mtime, entry, money) VALUES (?, ?, ?, ?, ?, ?)"),
		k, e.Payer, e.Payee, r.mtime, enc, r.money); err != nil {
		if s.db.IsUniqueViolation(err) {
			return fmt.Errorf("%w: entry %d: %v", ErrRestoreConflict, k, err)
		}
		return fmt.Errorf("ledger: restore entry %d: %w", k, err)
	}
	return s.editChainBlock(ctx, tx, e.Index, appendChain(nil, e, e.Hash()))
}

// moneyIndex finds the index table (ledger_entries or ledger_moneys) gives
// the money (payer, mtime).
func (s *Store) moneyIndex(ctx context.Context, tx *sql.Tx, table, payer string, mtime int64) (uint64, bool, error) {
	var idx int64
	err := tx.QueryRowContext(ctx, s.q("SELECT idx FROM "+table+" WHERE payer = ? AND mtime = ?"), payer, mtime).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return uint64(idx), err == nil, err
}

// entryPresent reports whether the book holds entry idx's row.
func (s *Store) entryPresent(ctx context.Context, idx uint64) (bool, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM ledger_entries WHERE idx = ?"), int64(idx)).Scan(&n)
	return n > 0, err
}
