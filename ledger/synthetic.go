package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"

	"github.com/emmansun/gmsm/sm3"
)

// BuildSyntheticBook fills an empty store with n stand-in entries whose
// evidence chains are valid (random lsums, real XOR and SM3 chains) and
// whose bodies are random bytes of a real entry's size: a book to time
// Check on without signing n moneys. It is not a bank's book: nothing in
// it verifies.
func BuildSyntheticBook(ctx context.Context, store *Store, n int) error {
	var ecode, prev Digest
	body := make([]byte, 400)
	const per = 8192
	for start := 0; start < n; start += per {
		err := store.db.Tx(ctx, func(tx *sql.Tx) error {
			var es []*Entry
			var hashes []Digest
			rows := [][]any{}
			for i := start; i < min(n, start+per); i++ {
				e := &Entry{Index: uint64(i), Prev: prev}
				rand.Read(e.LSum[:])
				ecode = xorDigest(ecode, e.LSum)
				e.Ecode = ecode
				rand.Read(body[:32])
				prev = sm3.Sum(append(prev[:], body...))
				es, hashes = append(es, e), append(hashes, prev)
				rows = append(rows, []any{int64(i), "synthetic-payer", "synthetic-payee", int64(i), body, body})
			}
			if err := store.insertRows(ctx, tx, "ledger_entries", []string{"idx", "payer", "payee", "mtime", "entry", "money"}, rows); err != nil {
				return err
			}
			return store.appendChainBlocks(ctx, tx, es, hashes)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
