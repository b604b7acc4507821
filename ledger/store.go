package ledger

import (
	"context"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/compact"

	"trustbank/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Store is a bank book in SQLite or PostgreSQL. A bank writes its book to
// one Store; a writer of its own then copies each committed batch to a
// Backup, the hot backup, which it reads by index only.
type Store struct {
	db     *sqldb.DB
	booked *sql.Stmt // the replay check, prepared once
	prep   *sqldb.Prepared

	// fault, if set (tests only), is asked at each step of a write; an
	// error it returns fails that step on the real database (see fault.go).
	fault func(step string) error
}

// NewStore applies the ledger migrations to db.
func NewStore(ctx context.Context, db *sqldb.DB) (*Store, error) {
	if err := sqldb.MigrateEmbedded(ctx, db, "ledger", migrations); err != nil {
		return nil, err
	}
	booked, err := db.PrepareContext(ctx, db.Rebind("SELECT idx FROM ledger_moneys WHERE payer = ? AND mtime = ?"))
	if err != nil {
		return nil, err
	}
	return &Store{db: db, booked: booked, prep: sqldb.NewPrepared(db)}, nil
}

// Close releases the store's prepared statements (the caller closes the database).
func (s *Store) Close() {
	s.booked.Close()
	s.prep.Close()
}

// DB is the store's database.
func (s *Store) DB() *sqldb.DB { return s.db }

func (s *Store) q(query string) string { return s.db.Rebind(query) }

// The chain index keeps, for every entry, what the evidence-chain check
// needs — index ‖ lsum ‖ ecode ‖ prev ‖ hash — packed chainBlock entries to
// a row, so that checking a book reads a few thousand rows, not millions.
const (
	chainRecord = 8 + 4*32
	chainBlock  = 64
)

func appendChain(b []byte, e *Entry, hash Digest) []byte {
	b = binary.BigEndian.AppendUint64(b, e.Index)
	b = append(b, e.LSum[:]...)
	b = append(b, e.Ecode[:]...)
	b = append(b, e.Prev[:]...)
	return append(b, hash[:]...)
}

// appendChainBlocks adds chain records (in index order) to their blocks.
func (s *Store) appendChainBlocks(ctx context.Context, tx *sql.Tx, es []*Entry, hashes []Digest) error {
	for i := 0; i < len(es); {
		block := es[i].Index / chainBlock
		var data []byte
		for ; i < len(es) && es[i].Index/chainBlock == block; i++ {
			data = appendChain(data, es[i], hashes[i])
		}
		if _, err := s.prep.Exec(ctx, tx, s.appendBlockSQL(), int64(block), data); err != nil {
			return fmt.Errorf("ledger: chain index: %w", err)
		}
	}
	return nil
}

// appendBlockSQL appends to a block's data (SQLite's || makes text of two
// blobs, hence the cast back).
func (s *Store) appendBlockSQL() string {
	concat := "ledger_chain_blocks.data || excluded.data"
	if s.db.Dialect == sqldb.SQLite {
		concat = "CAST(" + concat + " AS BLOB)"
	}
	return "INSERT INTO ledger_chain_blocks (block, data) VALUES (?, ?) ON CONFLICT (block) DO UPDATE SET data = " + concat
}

// editChainBlock rewrites the block holding idx: the record of idx is
// removed and, if rec is not nil, rec is put in its place (records stay in
// index order).
func (s *Store) editChainBlock(ctx context.Context, tx *sql.Tx, idx uint64, rec []byte) error {
	block := int64(idx / chainBlock)
	var data []byte
	// On PostgreSQL the row is locked as it is read, so a batch appending to
	// the same block meanwhile is not overwritten (SQLite's transaction
	// holds the write lock from its start).
	lock := ""
	if s.db.Dialect == sqldb.Postgres {
		lock = " FOR UPDATE"
	}
	err := tx.QueryRowContext(ctx, s.q("SELECT data FROM ledger_chain_blocks WHERE block = ?"+lock), block).Scan(&data)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var out []byte
	placed := rec == nil
	for off := 0; off+chainRecord <= len(data); off += chainRecord {
		r := data[off : off+chainRecord]
		at := binary.BigEndian.Uint64(r)
		if at == idx {
			continue
		}
		if !placed && at > idx {
			out, placed = append(out, rec...), true
		}
		out = append(out, r...)
	}
	if !placed {
		out = append(out, rec...)
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO ledger_chain_blocks (block, data) VALUES (?, ?)
		ON CONFLICT (block) DO UPDATE SET data = excluded.data`), block, out)
	return err
}

type merkleNode struct {
	level uint
	index uint64
	hash  []byte
}

// batchWrite is everything one group commit adds to the book.
type batchWrite struct {
	id      uint64
	beta    []byte
	entries []*Entry
	encoded [][]byte // entries[i] encoded
	hashes  []Digest // SM3 of encoded[i]
	moneys  [][]byte
	mtimes  []int64
	nodes   []merkleNode
	cp      []byte
	cpSize  uint64
}

// insertRows inserts rows with multi-row INSERT statements of a few fixed
// sizes, each prepared once.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for len(rows) > 0 {
		n := 1
		for _, k := range []int{64, 16, 4} {
			if len(rows) >= k {
				n = k
				break
			}
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		args := make([]any, 0, n*len(cols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := s.prep.Exec(ctx, tx, q, args...); err != nil {
			return fmt.Errorf("ledger: insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// writeBook commits a batch to the main book.
func (s *Store) writeBook(ctx context.Context, w *batchWrite) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.writeBatch(ctx, tx, w) })
	if err == nil {
		err = s.fail("book.answer") // committed, but the answer is lost
	}
	return err
}

func (s *Store) writeBatch(ctx context.Context, tx *sql.Tx, w *batchWrite) error {
	if err := s.writeEntries(ctx, tx, w); err != nil {
		return err
	}
	if err := s.fail("book.chain"); err != nil {
		return err
	}
	if err := s.appendChainBlocks(ctx, tx, w.entries, w.hashes); err != nil {
		return err
	}
	if err := s.fail("book.nodes"); err != nil {
		return err
	}
	nodes := make([][]any, len(w.nodes))
	for i, n := range w.nodes {
		nodes[i] = []any{int64(n.level), int64(n.index), n.hash}
	}
	if err := s.insertRows(ctx, tx, "ledger_nodes", []string{"level", "idx", "hash"}, nodes); err != nil {
		return err
	}
	if err := s.fail("book.checkpoint"); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO ledger_checkpoints (size, cp) VALUES (?, ?)"), int64(w.cpSize), w.cp)
	return err
}

// writeEntries adds a batch's key, entries and booked moneys (the replay
// structure, ledger_moneys, is written in the same transaction as the
// entries, so it never lacks a money the book holds).
func (s *Store) writeEntries(ctx context.Context, tx *sql.Tx, w *batchWrite) error {
	if err := s.fail("book.batch"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO ledger_batches (id, beta) VALUES (?, ?)"), int64(w.id), w.beta); err != nil {
		return fmt.Errorf("ledger: insert batch: %w", err)
	}
	rows := make([][]any, len(w.entries))
	ids := make([][]any, len(w.entries))
	for i, e := range w.entries {
		rows[i] = []any{int64(e.Index), e.Payer, e.Payee, w.mtimes[i], w.encoded[i], w.moneys[i]}
		ids[i] = []any{e.Payer, w.mtimes[i], int64(e.Index)}
	}
	if err := s.insertRows(ctx, tx, "ledger_entries", []string{"idx", "payer", "payee", "mtime", "entry", "money"}, rows); err != nil {
		return err
	}
	if err := s.fail("book.moneys"); err != nil {
		return err
	}
	return s.insertRows(ctx, tx, "ledger_moneys", []string{"payer", "mtime", "idx"}, ids)
}

// fail asks the test fault hook, if any, whether step fails.
func (s *Store) fail(step string) error {
	if s.fault == nil {
		return nil
	}
	return s.fault(step)
}

func (s *Store) insertAccount(ctx context.Context, name string, tmpl []byte, opening uint64, opened int64) error {
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO ledger_accounts (name, template, opening, opened) VALUES (?, ?, ?, ?)"),
		name, tmpl, int64(opening), opened)
	if err != nil && s.db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %s", ErrAccountExists, name)
	}
	return err
}

type accountRow struct {
	name     string
	template []byte
	opening  uint64
}

func (s *Store) accounts(ctx context.Context) ([]accountRow, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name, template, opening FROM ledger_accounts ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []accountRow
	for rows.Next() {
		var a accountRow
		var opening int64
		if err := rows.Scan(&a.name, &a.template, &opening); err != nil {
			return nil, err
		}
		a.opening = uint64(opening)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Entry reads entry idx and its money.
func (s *Store) Entry(ctx context.Context, idx uint64) (*Entry, []byte, error) {
	var enc, money []byte
	err := s.db.QueryRowContext(ctx, s.q("SELECT entry, money FROM ledger_entries WHERE idx = ?"), int64(idx)).Scan(&enc, &money)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("%w: %d", ErrNotFound, idx)
	}
	if err != nil {
		return nil, nil, err
	}
	var e Entry
	if err := e.UnmarshalBinary(enc); err != nil {
		return nil, nil, fmt.Errorf("ledger: stored entry %d: %w", idx, err)
	}
	return &e, money, nil
}

func (s *Store) moneyBooked(ctx context.Context, payer string, mtime int64) (idx uint64, booked bool, err error) {
	var i int64
	err = s.booked.QueryRowContext(ctx, payer, mtime).Scan(&i)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return uint64(i), err == nil, err
}

// neighbour finds the last entry before idx (after = false) or the first
// entry after idx (after = true) that names account as payer or payee.
func (s *Store) neighbour(ctx context.Context, account string, idx uint64, after bool) (*Entry, error) {
	cmp, order := "<", "DESC"
	if after {
		cmp, order = ">", "ASC"
	}
	var best *Entry
	for _, col := range []string{"payer", "payee"} {
		var enc []byte
		err := s.db.QueryRowContext(ctx, s.q("SELECT entry FROM ledger_entries WHERE "+col+" = ? AND idx "+cmp+" ? ORDER BY idx "+order+" LIMIT 1"),
			account, int64(idx)).Scan(&enc)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var e Entry
		if err := e.UnmarshalBinary(enc); err != nil {
			return nil, err
		}
		if best == nil || (after && e.Index < best.Index) || (!after && e.Index > best.Index) {
			best = &e
		}
	}
	return best, nil
}

// purposes lists the distinct purposes of account's past payments (for
// recovery's enumeration).
func (s *Store) history(ctx context.Context, account string, limit int) ([]*Money, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT money FROM ledger_entries WHERE payer = ? ORDER BY idx DESC LIMIT ?"), account, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Money
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var m Money
		if err := m.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		out = append(out, &m)
	}
	return out, rows.Err()
}

func (s *Store) batchBeta(ctx context.Context, id uint64) ([]byte, error) {
	var beta []byte
	err := s.db.QueryRowContext(ctx, s.q("SELECT beta FROM ledger_batches WHERE id = ?"), int64(id)).Scan(&beta)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: key batch %d", ErrNotFound, id)
	}
	return beta, err
}

// nodeHashes reads Merkle nodes.
func (s *Store) nodeHashes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var b strings.Builder
	b.WriteString("SELECT level, idx, hash FROM ledger_nodes WHERE ")
	args := make([]any, 0, 2*len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(level = ? AND idx = ?)")
		args = append(args, int64(id.Level), int64(id.Index))
	}
	rows, err := s.db.QueryContext(ctx, s.q(b.String()), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pos := map[compact.NodeID]int{}
	for i, id := range ids {
		pos[id] = i
	}
	for rows.Next() {
		var level, idx int64
		var h []byte
		if err := rows.Scan(&level, &idx, &h); err != nil {
			return nil, err
		}
		out[pos[compact.NewNodeID(uint(level), uint64(idx))]] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, h := range out {
		if h == nil {
			return nil, fmt.Errorf("%w: Merkle node %d/%d is missing", ErrNotFound, ids[i].Level, ids[i].Index)
		}
	}
	return out, nil
}

func (s *Store) checkpoint(ctx context.Context, size uint64) (*Checkpoint, error) {
	var b []byte
	var err error
	if size == 0 {
		err = s.db.QueryRowContext(ctx, "SELECT cp FROM ledger_checkpoints ORDER BY size DESC LIMIT 1").Scan(&b)
	} else {
		err = s.db.QueryRowContext(ctx, s.q("SELECT cp FROM ledger_checkpoints WHERE size = ?"), int64(size)).Scan(&b)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: checkpoint of size %d", ErrNotFound, size)
	}
	if err != nil {
		return nil, err
	}
	var c Checkpoint
	if err := c.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &c, nil
}

// scanChain calls fn for each chain record of [from, to), in index order
// within each block (a malformed block is passed whole, with its first
// index, for the caller to report).
func (s *Store) scanChain(ctx context.Context, from, to uint64, fn func(idx uint64, rec []byte) error) error {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT block, data FROM ledger_chain_blocks WHERE block >= ? AND block < ? ORDER BY block"),
		int64(from/chainBlock), int64((to+chainBlock-1)/chainBlock))
	if err != nil {
		return err
	}
	defer rows.Close()
	var data sql.RawBytes
	for rows.Next() {
		var block int64
		if err := rows.Scan(&block, &data); err != nil {
			return err
		}
		if len(data)%chainRecord != 0 {
			if err := fn(uint64(block)*chainBlock, data); err != nil {
				return err
			}
			continue
		}
		for off := 0; off < len(data); off += chainRecord {
			r := data[off : off+chainRecord]
			idx := binary.BigEndian.Uint64(r)
			if idx < from || idx >= to {
				continue
			}
			if err := fn(idx, r[8:]); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// entryIndexes calls fn with the index of every entry, in no order (an
// index-only scan).
func (s *Store) entryIndexes(ctx context.Context, fn func(idx uint64)) error {
	rows, err := s.db.QueryContext(ctx, "SELECT idx FROM ledger_entries")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		if err := rows.Scan(&idx); err != nil {
			return err
		}
		fn(uint64(idx))
	}
	return rows.Err()
}

// DeleteEntry removes entry idx and its chain record from the book, as a
// lost record or an attacker would: for recovery drills, the demo and
// tests. Its booked-money row stays, as the replay structure outlives a
// lost entry (Recover clears what is left of an entry in its own
// transaction, restoreEntries).
func (s *Store) DeleteEntry(ctx context.Context, idx uint64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM ledger_entries WHERE idx = ?"), int64(idx)); err != nil {
			return err
		}
		return s.editChainBlock(ctx, tx, idx, nil)
	})
}

// nextBatch is one past the highest key batch recorded.
func (s *Store) nextBatch(ctx context.Context) (uint64, error) {
	var n sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(id) FROM ledger_batches").Scan(&n); err != nil {
		return 0, err
	}
	if !n.Valid {
		return 0, nil
	}
	return uint64(n.Int64) + 1, nil
}

// entriesFrom reads up to n encoded entries and their money from index from on.
func (s *Store) entriesFrom(ctx context.Context, from uint64, n int) (encoded, moneys [][]byte, err error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT entry, money FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?"), int64(from), n)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e, m []byte
		if err := rows.Scan(&e, &m); err != nil {
			return nil, nil, err
		}
		encoded, moneys = append(encoded, e), append(moneys, m)
	}
	return encoded, moneys, rows.Err()
}

// entryCount returns the number of entries and one more than the highest
// index. (A commit between the two reads makes them disagree, which the
// caller treats as "not known whole".)
func (s *Store) entryCount(ctx context.Context) (count, top uint64, err error) {
	var n int64
	var m sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger_entries").Scan(&n); err != nil {
		return 0, 0, err
	}
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(idx) FROM ledger_entries").Scan(&m); err != nil {
		return 0, 0, err
	}
	if m.Valid {
		top = uint64(m.Int64) + 1
	}
	return uint64(n), top, nil
}
