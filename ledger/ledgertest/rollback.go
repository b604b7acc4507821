// Package ledgertest holds drills for tests of the ledger against attacks
// on its database.
package ledgertest

import (
	"context"
	"database/sql"
	"errors"

	"trustbank/internal/sqldb"
)

// chainRecord and chainBlock mirror the ledger's chain index layout
// (ledger/store.go): one record of 8+4·32 bytes per entry, 64 to a row.
const (
	chainRecord = 8 + 4*32
	chainBlock  = 64
)

// RollBack does to a ledger database what restoring an older copy of it
// would: every entry from index size on, its chain records, Merkle nodes
// and checkpoints disappear, and what remains is a whole book of size
// entries. The bank must not be running on db.
func RollBack(ctx context.Context, db *sqldb.DB, size uint64) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{"DELETE FROM ledger_entries WHERE idx >= ?", "DELETE FROM ledger_checkpoints WHERE size > ?"} {
			if _, err := tx.ExecContext(ctx, db.Rebind(q), int64(size)); err != nil {
				return err
			}
		}
		// A node (level, i) covers leaves [i·2^level, (i+1)·2^level).
		for level := range 63 {
			if _, err := tx.ExecContext(ctx, db.Rebind("DELETE FROM ledger_nodes WHERE level = ? AND idx >= ?"), level, int64(size>>level)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, db.Rebind("DELETE FROM ledger_chain_blocks WHERE block > ?"), int64(size/chainBlock)); err != nil {
			return err
		}
		var data []byte
		err := tx.QueryRowContext(ctx, db.Rebind("SELECT data FROM ledger_chain_blocks WHERE block = ?"), int64(size/chainBlock)).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		keep := int(size%chainBlock) * chainRecord
		if keep == 0 {
			_, err = tx.ExecContext(ctx, db.Rebind("DELETE FROM ledger_chain_blocks WHERE block = ?"), int64(size/chainBlock))
			return err
		}
		_, err = tx.ExecContext(ctx, db.Rebind("UPDATE ledger_chain_blocks SET data = ? WHERE block = ?"), data[:min(keep, len(data))], int64(size/chainBlock))
		return err
	})
}
