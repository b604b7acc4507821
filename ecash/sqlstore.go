package ecash

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"trustbank/internal/money"
	"trustbank/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// SQLStore is the Store on SQLite or PostgreSQL. The spent-coin registry is
// one table per epoch (ecash_spent_e<N>), created on first use and dropped
// whole by Prune, so the registry's size is bounded by the deposit window.
type SQLStore struct {
	db    *sqldb.DB
	batch *sqldb.Batcher  // group commit for withdrawals and deposits
	prep  *sqldb.Prepared // their statements, prepared once

	mu         sync.Mutex
	partitions map[Epoch]bool // spent tables known to exist
	creating   sync.Mutex     // serialises partition creation
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore applies the e-cash migrations to db and returns the store.
// Withdrawals and deposits are group-committed: concurrent ones share a
// transaction (each in its own savepoint) and so one fsync. Close the store
// before the database.
func NewSQLStore(ctx context.Context, db *sqldb.DB) (*SQLStore, error) {
	if err := sqldb.MigrateEmbedded(ctx, db, "ecash", migrations); err != nil {
		return nil, err
	}
	s := &SQLStore{db: db, prep: sqldb.NewPrepared(db), partitions: map[Epoch]bool{}}
	if err := s.digestEvidence(ctx); err != nil {
		s.prep.Close()
		return nil, fmt.Errorf("ecash: store: evidence kept before migration 0003: %w", err)
	}
	s.batch = sqldb.NewBatcher(db, 64)
	return s, nil
}

// Close stops the store's group-commit loop and closes its prepared
// statements (the caller closes the database).
func (s *SQLStore) Close() {
	s.batch.Close()
	s.prep.Close()
}

func (s *SQLStore) q(query string) string { return s.db.Rebind(query) }

func spentTable(e Epoch) string { return fmt.Sprintf("ecash_spent_e%d", uint32(e)) }

// Account implements Store.
func (s *SQLStore) Account(ctx context.Context, bank, id string) (Account, error) {
	a := Account{Bank: bank, ID: id}
	var bal int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT owner, pubkey, balance FROM ecash_accounts WHERE bank = ? AND id = ?`),
		bank, id).Scan(&a.Owner, &a.Key, &bal)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: %s at %s", ErrUnknownAccount, id, bank)
	}
	a.Balance = Amount(bal)
	return a, err
}

// prior looks up a committed request by id in table and checks its hash.
// It returns the stored column col, or nil if there is none.
func (s *SQLStore) prior(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, table, col string, id []byte, hash [32]byte) ([]byte, error) {
	var h, v []byte
	err := q.QueryRowContext(ctx, s.q(`SELECT request_hash, `+col+` FROM `+table+` WHERE request_id = ?`), id).Scan(&h, &v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	case string(h) != string(hash[:]):
		return nil, fmt.Errorf("%w: %x", ErrRequestReused, id)
	}
	return v, nil
}

// Withdrawal implements Store.
func (s *SQLStore) Withdrawal(ctx context.Context, id [RequestIDSize]byte) (Withdrawal, error) {
	w := Withdrawal{RequestID: id}
	var h []byte
	var amount, epoch, at int64
	var users int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT request_hash, bank, account, amount, epoch, users, bank_sig, response, at
		FROM ecash_withdrawals WHERE request_id = ?`), id[:]).Scan(&h, &w.Bank, &w.Account, &amount, &epoch, &users, &w.BankSig, &w.Response, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("%w: no withdrawal %x", ErrUnknownKey, id[:6])
	}
	if err != nil {
		return w, err
	}
	copy(w.RequestHash[:], h)
	w.Amount, w.Epoch, w.Users, w.At = Amount(amount), Epoch(epoch), uint64(users), time.Unix(0, at)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT denom, blinded FROM ecash_issued WHERE request_id = ? ORDER BY idx`), id[:])
	if err != nil {
		return w, err
	}
	defer rows.Close()
	for rows.Next() {
		var it BlindItem
		var d int
		if err := rows.Scan(&d, &it.Blinded); err != nil {
			return w, err
		}
		it.Denom = Denom(d)
		w.Items = append(w.Items, it)
	}
	return w, rows.Err()
}

// Withdrawn implements Store.
func (s *SQLStore) Withdrawn(ctx context.Context, id [RequestIDSize]byte, hash [32]byte) ([]byte, error) {
	return s.prior(ctx, s.db, "ecash_withdrawals", "response", id[:], hash)
}

// Deposited implements Store.
func (s *SQLStore) Deposited(ctx context.Context, id [RequestIDSize]byte, hash [32]byte) (*DepositReceipt, error) {
	var h []byte
	r := DepositReceipt{ID: id}
	var amount int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT request_hash, bank, account, amount FROM ecash_deposits WHERE request_id = ?`), id[:]).
		Scan(&h, &r.Bank, &r.Account, &amount)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	case string(h) != string(hash[:]):
		return nil, fmt.Errorf("%w: %x", ErrRequestReused, id[:])
	}
	r.Amount = Amount(amount)
	return &r, nil
}

// Withdraw implements Store.
func (s *SQLStore) Withdraw(ctx context.Context, w Withdrawal) ([]byte, bool, error) {
	if err := money.CheckAmount(w.Amount); err != nil {
		return nil, false, fmt.Errorf("ecash: withdrawal: %w", err)
	}
	if resp, err := s.prior(ctx, s.db, "ecash_withdrawals", "response", w.RequestID[:], w.RequestHash); resp != nil || err != nil {
		return resp, false, err
	}
	err := s.batch.Do(ctx, func(tx *sql.Tx) error {
		if err := s.debit(ctx, tx, w.Bank, w.Account, w.Amount); err != nil {
			return err
		}
		if err := s.moveFloat(ctx, tx, w.Bank, int64(w.Amount)); err != nil {
			return err
		}
		if err := s.insertWithdrawal(ctx, tx, w); err != nil {
			return err
		}
		return s.logIssued(ctx, tx, w)
	})
	if s.db.IsUniqueViolation(err) { // a concurrent retry committed first
		resp, perr := s.prior(ctx, s.db, "ecash_withdrawals", "response", w.RequestID[:], w.RequestHash)
		if resp != nil || perr != nil {
			return resp, false, perr
		}
	}
	if err != nil {
		return nil, false, err
	}
	return w.Response, true, nil
}

func (s *SQLStore) logIssued(ctx context.Context, tx *sql.Tx, w Withdrawal) error {
	var resp WithdrawResponse
	if err := resp.UnmarshalBinary(w.Response); err != nil || len(resp.BlindSigs) != len(w.Items) {
		return fmt.Errorf("ecash: store: withdrawal response does not match its items")
	}
	for i, it := range w.Items {
		h := sha256.Sum256(it.Blinded)
		if _, err := s.prep.Exec(ctx, tx, `INSERT INTO ecash_issued (blinded_hash, request_id, idx, denom, epoch, blinded, blind_sig)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, h[:], w.RequestID[:], i, int(it.Denom), int64(w.Epoch), it.Blinded, resp.BlindSigs[i]); err != nil {
			return err
		}
	}
	return nil
}

// Deposit implements Store.
func (s *SQLStore) Deposit(ctx context.Context, d Deposit) (DepositReceipt, error) {
	receipt := DepositReceipt{ID: d.RequestID, Bank: d.Bank, Account: d.Account, Amount: d.Amount}
	if err := money.CheckAmount(d.Amount); err != nil {
		return receipt, fmt.Errorf("ecash: deposit: %w", err)
	}
	for _, c := range d.Coins {
		if err := s.ensurePartition(ctx, c.Epoch); err != nil {
			return receipt, err
		}
	}
	var spent *SpentCoin
	err := s.batch.Do(ctx, func(tx *sql.Tx) error {
		var err error
		if spent, err = s.markSpent(ctx, tx, d); err != nil {
			return err
		}
		if err := s.credit(ctx, tx, d.Bank, d.Account, d.Amount); err != nil {
			return err
		}
		if err := s.moveFloat(ctx, tx, d.Bank, -int64(d.Amount)); err != nil {
			return err
		}
		return s.insertDeposit(ctx, tx, d)
	})
	if err != nil {
		// A retry of this very request (committed before, or concurrently)
		// meets its own coins and request id: answer it from the log.
		if v, perr := s.prior(ctx, s.db, "ecash_deposits", "bank", d.RequestID[:], d.RequestHash); v != nil || perr != nil {
			return receipt, perr
		}
		if spent != nil {
			return receipt, s.recordDoubleSpend(ctx, d, *spent)
		}
	}
	return receipt, err
}

// markSpent inserts every coin of d into its epoch's spent table. On a
// coin already there it returns that coin and the error.
//
// No liveness check per coin: ensurePartition refused pruned epochs, and a
// partition pruned since then no longer exists, so the insert fails (DROP
// TABLE waits for in-flight inserts on PostgreSQL).
func (s *SQLStore) markSpent(ctx context.Context, tx *sql.Tx, d Deposit) (*SpentCoin, error) {
	for i, c := range d.Coins {
		_, err := s.prep.Exec(ctx, tx, `INSERT INTO `+spentTable(c.Epoch)+` (serial, deposit_id) VALUES (?, ?)`,
			c.Serial[:], d.RequestID[:])
		if s.db.IsUniqueViolation(err) {
			return &d.Coins[i], err
		}
		if err != nil {
			return nil, s.prunedMeanwhile(c.Epoch, err)
		}
	}
	return nil, nil
}

func (s *SQLStore) insertDeposit(ctx context.Context, tx *sql.Tx, d Deposit) error {
	_, err := s.prep.Exec(ctx, tx, `INSERT INTO ecash_deposits (request_id, request_hash, bank, account, amount, payment, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.RequestID[:], d.RequestHash[:], d.Bank, d.Account, int64(d.Amount), d.Payment, d.At.UnixNano())
	return err
}

func (s *SQLStore) insertWithdrawal(ctx context.Context, tx *sql.Tx, w Withdrawal) error {
	_, err := s.prep.Exec(ctx, tx, `INSERT INTO ecash_withdrawals
			(request_id, request_hash, bank, account, amount, epoch, users, bank_sig, response, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.RequestID[:], w.RequestHash[:], w.Bank, w.Account, int64(w.Amount), int64(w.Epoch), int64(w.Users), w.BankSig, w.Response, w.At.UnixNano())
	return err
}

// Swap implements Store.
func (s *SQLStore) Swap(ctx context.Context, w Swap) ([]byte, error) {
	if err := money.CheckAmount(w.Amount); err != nil {
		return nil, fmt.Errorf("ecash: swap: %w", err)
	}
	for _, c := range w.Coins {
		if err := s.ensurePartition(ctx, c.Epoch); err != nil {
			return nil, err
		}
	}
	wd := Withdrawal{RequestID: w.RequestID, RequestHash: w.RequestHash, Bank: SwapMerchant, Account: SwapMerchant,
		Amount: w.Amount, Epoch: w.Epoch, Users: w.Users, Items: w.Items, BankSig: []byte{}, Response: w.Response, At: w.At}
	d := Deposit{RequestID: w.RequestID, RequestHash: w.RequestHash, Bank: SwapMerchant, Account: SwapMerchant,
		Amount: w.Amount, Coins: w.Coins, Payment: w.Payment, At: w.At}
	var spent *SpentCoin
	err := s.batch.Do(ctx, func(tx *sql.Tx) error {
		var err error
		if spent, err = s.markSpent(ctx, tx, d); err != nil {
			return err
		}
		if err := s.insertDeposit(ctx, tx, d); err != nil {
			return err
		}
		if err := s.insertWithdrawal(ctx, tx, wd); err != nil {
			return err
		}
		return s.logIssued(ctx, tx, wd)
	})
	if err != nil {
		if resp, perr := s.Withdrawn(ctx, w.RequestID, w.RequestHash); resp != nil || perr != nil {
			return resp, perr
		}
		if spent != nil {
			return nil, s.recordDoubleSpend(ctx, d, *spent)
		}
		return nil, err
	}
	return w.Response, nil
}

// ensurePartition creates the spent table of epoch e if needed. It refuses
// epochs already pruned, so a pruned epoch can never accept a coin again.
func (s *SQLStore) ensurePartition(ctx context.Context, e Epoch) error {
	s.mu.Lock()
	known := s.partitions[e]
	s.mu.Unlock()
	if known {
		return nil
	}
	// One creator at a time in this process: a burst of first deposits of
	// an epoch would otherwise race schema changes on SQLite (SQLITE_BUSY
	// without waiting). Other processes are handled by the unique-violation
	// path below.
	s.creating.Lock()
	defer s.creating.Unlock()
	s.mu.Lock()
	known = s.partitions[e]
	s.mu.Unlock()
	if known {
		return nil
	}
	// SQLite: WITHOUT ROWID keeps the table and its key in one b-tree, so
	// an insert of a random serial dirties one page, not two.
	blob, opts := "BLOB", " WITHOUT ROWID"
	if s.db.Dialect == sqldb.Postgres {
		blob, opts = "BYTEA", ""
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ecash_spent_epochs (epoch) VALUES (?) ON CONFLICT (epoch) DO NOTHING`), int64(e)); err != nil {
			return err
		}
		if err := s.checkLive(ctx, tx, e); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+spentTable(e)+` (serial `+blob+` PRIMARY KEY, deposit_id `+blob+` NOT NULL)`+opts)
		return err
	})
	if s.db.IsUniqueViolation(err) { // PostgreSQL: a concurrent CREATE won; the table exists
		err = nil
	}
	if err == nil {
		s.mu.Lock()
		s.partitions[e] = true
		s.mu.Unlock()
	}
	return err
}

// prunedMeanwhile turns the failure of an insert into a partition that
// Prune dropped after ensurePartition into ErrExpired.
func (s *SQLStore) prunedMeanwhile(e Epoch, err error) error {
	s.mu.Lock()
	live := s.partitions[e]
	s.mu.Unlock()
	if !live && !s.db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: epoch %d was pruned during the deposit", ErrExpired, e)
	}
	return err
}

// checkLive fails with ErrExpired if epoch e's registry has been pruned. On
// PostgreSQL it holds a share lock on the epoch's row until the transaction
// ends, so Prune cannot drop the table under a deposit.
func (s *SQLStore) checkLive(ctx context.Context, tx *sql.Tx, e Epoch) error {
	q := `SELECT dropped FROM ecash_spent_epochs WHERE epoch = ?`
	if s.db.Dialect == sqldb.Postgres {
		q += ` FOR SHARE`
	}
	var dropped int
	if err := tx.QueryRowContext(ctx, s.q(q), int64(e)).Scan(&dropped); err != nil {
		return fmt.Errorf("ecash: store: epoch %d registry: %w", e, err)
	}
	if dropped != 0 {
		return fmt.Errorf("%w: epoch %d is past its deposit window and pruned", ErrExpired, e)
	}
	return nil
}

// BlindSignature implements Store.
func (s *SQLStore) BlindSignature(ctx context.Context, blinded []byte) ([]byte, error) {
	h := sha256.Sum256(blinded)
	var sig []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT blind_sig FROM ecash_issued WHERE blinded_hash = ?`), h[:]).Scan(&sig)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: no coin was issued for this blinded message", ErrUnknownKey)
	}
	return sig, err
}

// ImportSpent adds serials of epoch e to the spent registry, in
// transactions of 10,000 (migrating a registry from another system, or
// loading one for a benchmark). Serials already present are an error.
func (s *SQLStore) ImportSpent(ctx context.Context, e Epoch, serials [][SerialSize]byte, from [RequestIDSize]byte) error {
	if err := s.ensurePartition(ctx, e); err != nil {
		return err
	}
	for len(serials) > 0 {
		chunk := serials[:min(10000, len(serials))]
		serials = serials[len(chunk):]
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			for _, sn := range chunk {
				if _, err := s.prep.Exec(ctx, tx, `INSERT INTO `+spentTable(e)+` (serial, deposit_id) VALUES (?, ?)`, sn[:], from[:]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// IsSpent implements Store.
func (s *SQLStore) IsSpent(ctx context.Context, c SpentCoin) (bool, error) {
	if n, err := s.SpentCount(ctx, c.Epoch); err != nil || n == 0 {
		return false, err
	}
	var one int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM `+spentTable(c.Epoch)+` WHERE serial = ?`), c.Serial[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// SpentBucket implements Store.
func (s *SQLStore) SpentBucket(ctx context.Context, e Epoch, bits uint8, prefix uint32) ([]uint64, error) {
	if bits > 32 || (bits < 32 && prefix>>bits != 0) {
		return nil, fmt.Errorf("%w: bucket %d of %d bits", ErrMalformed, prefix, bits)
	}
	if n, err := s.SpentCount(ctx, e); err != nil || n == 0 {
		return nil, err
	}
	query, args := `SELECT serial FROM `+spentTable(e), []any{}
	if bits > 0 {
		lo := uint64(prefix) << (32 - bits)
		query += ` WHERE serial >= ?`
		args = append(args, binary.BigEndian.AppendUint32(nil, uint32(lo)))
		if hi := (uint64(prefix) + 1) << (32 - bits); hi < 1<<32 {
			query += ` AND serial < ?`
			args = append(args, binary.BigEndian.AppendUint32(nil, uint32(hi)))
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY serial`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var serial []byte
		if err := rows.Scan(&serial); err != nil {
			return nil, err
		}
		if len(serial) != SerialSize {
			return nil, fmt.Errorf("ecash: store: spent serial of %d bytes", len(serial))
		}
		out = append(out, binary.BigEndian.Uint64(serial))
	}
	return out, rows.Err()
}

// Prune implements Store.
func (s *SQLStore) Prune(ctx context.Context, before Epoch) ([]Epoch, error) {
	var dropped []Epoch
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if dropped, err = s.epochs(ctx, tx, `SELECT epoch FROM ecash_spent_epochs WHERE epoch < ? AND dropped = 0 ORDER BY epoch`, int64(before)); err != nil {
			return err
		}
		for _, e := range dropped {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE ecash_spent_epochs SET dropped = 1 WHERE epoch = ?`), int64(e)); err != nil {
				return err
			}
			s.prep.Forget(spentTable(e))
			if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+spentTable(e)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, e := range dropped {
		delete(s.partitions, e)
	}
	s.mu.Unlock()
	return dropped, nil
}

// LiveEpochs implements Store.
func (s *SQLStore) LiveEpochs(ctx context.Context) ([]Epoch, error) {
	return s.epochs(ctx, s.db, `SELECT epoch FROM ecash_spent_epochs WHERE dropped = 0 ORDER BY epoch`)
}

// epochs runs a query that returns epoch numbers.
func (s *SQLStore) epochs(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]Epoch, error) {
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Epoch
	for rows.Next() {
		var e int64
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, Epoch(e))
	}
	return out, rows.Err()
}

// SpentCount implements Store.
func (s *SQLStore) SpentCount(ctx context.Context, e Epoch) (int64, error) {
	var dropped int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT dropped FROM ecash_spent_epochs WHERE epoch = ?`), int64(e)).Scan(&dropped)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && dropped != 0) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+spentTable(e)).Scan(&n)
	return n, err
}

// AddUser implements Store.
func (s *SQLStore) AddUser(ctx context.Context, u User) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO ecash_users (identity, aik, registered_at) VALUES (?, ?, ?)`),
		u.Identity, u.AIK, u.RegisteredAt.UnixNano())
	if s.db.IsUniqueViolation(err) {
		prev, perr := s.User(ctx, u.Identity)
		if perr == nil && string(prev.AIK) == string(u.AIK) {
			return nil
		}
		return fmt.Errorf("%w: user %q is registered with another platform key", ErrAccountExists, u.Identity)
	}
	return err
}

// User implements Store.
func (s *SQLStore) User(ctx context.Context, identity string) (User, error) {
	u := User{Identity: identity}
	var at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT aik, registered_at FROM ecash_users WHERE identity = ?`), identity).Scan(&u.AIK, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: %q", ErrUnknownUser, identity)
	}
	u.RegisteredAt = time.Unix(0, at)
	return u, err
}

// SaveModuleKey implements Store.
func (s *SQLStore) SaveModuleKey(ctx context.Context, id KeyID, sealed []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO ecash_coin_keys (epoch, denom, users, sealed) VALUES (?, ?, ?, ?)`),
		int64(id.Epoch), int(id.Denom), int64(id.Users), sealed)
	return err
}

// LoadModuleKeys implements Store.
func (s *SQLStore) LoadModuleKeys(ctx context.Context) (map[KeyID][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT epoch, denom, users, sealed FROM ecash_coin_keys`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[KeyID][]byte{}
	for rows.Next() {
		var e, u int64
		var d int
		var sealed []byte
		if err := rows.Scan(&e, &d, &u, &sealed); err != nil {
			return nil, err
		}
		out[KeyID{Epoch: Epoch(e), Denom: Denom(d), Users: uint64(u)}] = sealed
	}
	return out, rows.Err()
}
