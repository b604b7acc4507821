package ledger

import "context"

// storedRow is one row of ledger_entries as the deep check reads it: the
// indexed columns and the two encodings, unparsed.
type storedRow struct {
	idx          uint64
	payer, payee string
	mtime        int64
	entry, money []byte
}

// entryRows reads the entry rows of [from, to), in index order.
func (s *Store) entryRows(ctx context.Context, from, to uint64) ([]storedRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT idx, payer, payee, mtime, entry, money FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx"),
		int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]storedRow, 0, to-from)
	for rows.Next() {
		var r storedRow
		var idx int64
		if err := rows.Scan(&idx, &r.payer, &r.payee, &r.mtime, &r.entry, &r.money); err != nil {
			return nil, err
		}
		r.idx = uint64(idx)
		out = append(out, r)
	}
	return out, rows.Err()
}

// leafHashes reads the stored Merkle leaves (level 0) of [from, to); a
// leaf that is not stored is nil.
func (s *Store) leafHashes(ctx context.Context, from, to uint64) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT idx, hash FROM ledger_nodes WHERE level = 0 AND idx >= ? AND idx < ?"), int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([][]byte, to-from)
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, err
		}
		out[uint64(idx)-from] = h
	}
	return out, rows.Err()
}

// chainRecords reads the chain index records of [from, to) (lsum ‖ ecode
// ‖ prev ‖ hash); a record that is not stored is nil, a malformed block
// leaves its records nil.
func (s *Store) chainRecords(ctx context.Context, from, to uint64) ([][]byte, error) {
	out := make([][]byte, to-from)
	err := s.scanChain(ctx, from, to, func(idx uint64, rec []byte) error {
		if len(rec) == chainRecord-8 && idx >= from && idx < to {
			out[idx-from] = append([]byte(nil), rec...)
		}
		return nil
	})
	return out, err
}

// chainRecordOf is the chain index record the book writes for an entry.
func chainRecordOf(e *Entry, hash Digest) []byte {
	return appendChain(nil, e, hash)[8:]
}
