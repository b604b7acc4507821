package bank

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"trustbank/internal/money"
	"trustbank/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// SQLStore is the Store on SQLite or PostgreSQL.
//
// A transfer locks the payer's and the payee's account rows first (in id
// order: SELECT … FOR UPDATE on PostgreSQL; SQLite transactions hold the
// write lock from their start), so all transfers of one account are
// serialised and the daily total each reads is the one it then writes:
// concurrent transfers cannot both slip under the limit.
//
// Logins and transfers go through group commit (sqldb.Batcher):
// concurrent ones share one transaction and one durable commit, each in
// its own savepoint, and none is answered before that commit.
type SQLStore struct {
	db    *sqldb.DB
	batch *sqldb.Batcher
	prep  *sqldb.Prepared // the hot statements, parsed once
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore applies the bank migrations to db and returns the store.
func NewSQLStore(ctx context.Context, db *sqldb.DB) (*SQLStore, error) {
	if err := sqldb.MigrateEmbedded(ctx, db, "shield-bank", migrations); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, batch: sqldb.NewBatcher(db, 64), prep: sqldb.NewPrepared(db)}, nil
}

// Close stops the group-commit loop and closes the prepared statements;
// it does not close the database.
func (s *SQLStore) Close() {
	s.batch.Close()
	s.prep.Close()
}

// row runs a one-row query ('?' placeholders) with a prepared statement,
// in tx unless tx is nil.
func (s *SQLStore) row(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := s.prep.Stmt(ctx, tx, query)
	if err != nil { // unpreparable: the plain query reports the error at Scan
		if tx != nil {
			return tx.QueryRowContext(ctx, s.q(query), args...)
		}
		return s.db.QueryRowContext(ctx, s.q(query), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *SQLStore) q(query string) string { return s.db.Rebind(query) }

type queryer interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// OpenAccount implements Store.
func (s *SQLStore) OpenAccount(ctx context.Context, a Account) error {
	if err := money.CheckBalance(a.Balance); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var paid int64
		if err := tx.QueryRowContext(ctx, `SELECT total FROM bank_paid_in WHERE id = 1`).Scan(&paid); err != nil {
			return err
		}
		total, err := money.AddSupply(uint64(paid), a.Balance)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO bank_accounts (id, owner, id_card, pw_salt, pw_hash, balance) VALUES (?, ?, ?, ?, ?, ?)`),
			a.ID, a.Owner, a.IDCard, a.PasswordSalt, a.PasswordHash, int64(a.Balance))
		if s.db.IsUniqueViolation(err) {
			return fmt.Errorf("%w: %s", ErrAccountExists, a.ID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE bank_paid_in SET total = ? WHERE id = 1`), int64(total))
		return err
	})
}

// Account implements Store.
func (s *SQLStore) Account(ctx context.Context, id string) (Account, error) {
	a := Account{ID: id}
	var bal int64
	err := s.row(ctx, nil, `SELECT owner, id_card, pw_salt, pw_hash, balance, cert FROM bank_accounts WHERE id = ?`, id).
		Scan(&a.Owner, &a.IDCard, &a.PasswordSalt, &a.PasswordHash, &bal, &a.Cert)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: %s", ErrUnknownAccount, id)
	}
	a.Balance = uint64(bal)
	return a, err
}

// AddAuthCode implements Store.
func (s *SQLStore) AddAuthCode(ctx context.Context, c AuthCode) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO bank_auth_codes (code_hash, account, expires) VALUES (?, ?, ?)`),
		c.Hash[:], c.Account, c.Expires.UnixNano())
	return s.fk(err, c.Account)
}

// fk maps a failed reference to an account to ErrUnknownAccount.
func (s *SQLStore) fk(err error, account string) error {
	if err == nil {
		return nil
	}
	if _, e := s.Account(context.Background(), account); errors.Is(e, ErrUnknownAccount) {
		return e
	}
	return err
}

// AuthCodeValid implements Store.
func (s *SQLStore) AuthCodeValid(ctx context.Context, code [32]byte, account string, now time.Time) error {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM bank_auth_codes
		WHERE code_hash = ? AND account = ? AND used_at IS NULL AND expires > ?`), code[:], account, now.UnixNano()).Scan(&n)
	if err == nil && n != 1 {
		err = ErrCodeInvalid
	}
	return err
}

// BeginEnrollment implements Store.
func (s *SQLStore) BeginEnrollment(ctx context.Context, code [32]byte, now time.Time, e Enrollment) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE bank_auth_codes SET used_at = ?
			WHERE code_hash = ? AND account = ? AND used_at IS NULL AND expires > ?`),
			now.UnixNano(), code[:], e.Account, now.UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(ErrCodeInvalid, err)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO bank_enrollments (id, account, cert, p7, state, at) VALUES (?, ?, ?, ?, ?, ?)`),
			e.ID[:], e.Account, e.Cert, e.P7, int(StatePending), e.At.UnixNano())
		return err
	})
}

// Enrollment implements Store.
func (s *SQLStore) Enrollment(ctx context.Context, id [IDSize]byte) (Enrollment, error) {
	return s.enrollment(ctx, s.db, id)
}

func (s *SQLStore) enrollment(ctx context.Context, q queryer, id [IDSize]byte) (Enrollment, error) {
	e := Enrollment{ID: id}
	var state int
	var at int64
	err := q.QueryRowContext(ctx, s.q(`SELECT account, cert, p7, state, at FROM bank_enrollments WHERE id = ?`), id[:]).
		Scan(&e.Account, &e.Cert, &e.P7, &state, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("%w: %x", ErrEnrollment, id[:])
	}
	e.State, e.At = EnrollState(state), time.Unix(0, at)
	return e, err
}

// PendingEnrollments implements Store.
func (s *SQLStore) PendingEnrollments(ctx context.Context, account string, limit int) ([]Enrollment, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, cert, p7, at FROM bank_enrollments
		WHERE account = ? AND state = ? ORDER BY at DESC, id LIMIT ?`), account, int(StatePending), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []Enrollment
	for rows.Next() {
		e := Enrollment{Account: account, State: StatePending}
		var id []byte
		var at int64
		if err := rows.Scan(&id, &e.Cert, &e.P7, &at); err != nil {
			return nil, err
		}
		copy(e.ID[:], id)
		e.At = time.Unix(0, at)
		es = append(es, e)
	}
	return es, rows.Err()
}

// FinishEnrollment implements Store. The state moves only from Pending
// (the UPDATE's condition), so of two concurrent confirmations one moves
// it and the other finds it Bound: a retry, nothing changes.
func (s *SQLStore) FinishEnrollment(ctx context.Context, id [IDSize]byte, to EnrollState) error {
	if to != StateBound && to != StateFailed {
		return fmt.Errorf("%w: cannot move to state %d", ErrEnrollment, to)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		moved, err := s.leavePending(ctx, tx, id, "", to)
		if err != nil || !moved {
			return err
		}
		if to != StateBound {
			return nil
		}
		return s.bindCert(ctx, tx, id)
	})
}

// leavePending moves enrollment id (of account, unless account is "")
// from Pending to state to. It reports false and no error if the
// enrollment was Bound already and to is Bound: the caller's retry.
func (s *SQLStore) leavePending(ctx context.Context, tx *sql.Tx, id [IDSize]byte, account string, to EnrollState) (bool, error) {
	query, args := `UPDATE bank_enrollments SET state = ? WHERE id = ? AND state = ?`, []any{int(to), id[:], int(StatePending)}
	if account != "" {
		query, args = query+` AND account = ?`, append(args, account)
	}
	res, err := tx.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	e, err := s.enrollment(ctx, tx, id)
	if err != nil || (account != "" && e.Account != account) {
		return false, fmt.Errorf("%w: %x", ErrEnrollment, id[:])
	}
	if e.State == StateBound && to == StateBound {
		return false, nil
	}
	return false, fmt.Errorf("%w: %x is not pending", ErrEnrollment, id[:])
}

// bindCert makes the certificate of enrollment id its account's.
func (s *SQLStore) bindCert(ctx context.Context, tx *sql.Tx, id [IDSize]byte) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE bank_accounts SET cert = (SELECT cert FROM bank_enrollments WHERE id = ?)
		WHERE id = (SELECT account FROM bank_enrollments WHERE id = ?)`), id[:], id[:])
	return err
}

// bindAtLogin binds enrollment id of account for a login its key signed:
// moved from Pending now, or Bound by a concurrent login and still the
// account's certificate. Anything else is ErrEnrollment.
func (s *SQLStore) bindAtLogin(ctx context.Context, tx *sql.Tx, id [IDSize]byte, account string) error {
	moved, err := s.leavePending(ctx, tx, id, account, StateBound)
	if err != nil {
		return err
	}
	if moved {
		return s.bindCert(ctx, tx, id)
	}
	var n int
	err = tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM bank_enrollments e JOIN bank_accounts a ON a.id = e.account
		WHERE e.id = ? AND a.cert = e.cert`), id[:]).Scan(&n)
	if err == nil && n != 1 {
		err = fmt.Errorf("%w: %x was bound and replaced since", ErrEnrollment, id[:])
	}
	return err
}

// Challenge implements Store.
func (s *SQLStore) Challenge(ctx context.Context, id [IDSize]byte) (Challenge, error) {
	c := Challenge{ID: id}
	var exp int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT account, encoding, expires FROM bank_challenges WHERE id = ? AND used_at IS NOT NULL`), id[:]).
		Scan(&c.Account, &c.Encoding, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: %x", ErrChallenge, id[:])
	}
	c.Expires = time.Unix(0, exp)
	return c, err
}

// UseChallenge implements Store. The challenge's id is the table's key:
// a second use, concurrent or after a restart, inserts nothing.
func (s *SQLStore) UseChallenge(ctx context.Context, c Challenge, now time.Time, ses SessionRecord) error {
	return s.useChallenge(ctx, c, now, ses, nil)
}

// UseChallengeBinding implements Store.
func (s *SQLStore) UseChallengeBinding(ctx context.Context, c Challenge, now time.Time, ses SessionRecord, enrollment [IDSize]byte) error {
	return s.useChallenge(ctx, c, now, ses, &enrollment)
}

func (s *SQLStore) useChallenge(ctx context.Context, c Challenge, now time.Time, ses SessionRecord, bind *[IDSize]byte) error {
	if !now.Before(c.Expires) {
		return fmt.Errorf("%w: %x expired", ErrChallenge, c.ID[:])
	}
	return s.batch.Do(ctx, func(tx *sql.Tx) error {
		res, err := s.prep.Exec(ctx, tx, `INSERT INTO bank_challenges (id, account, encoding, expires, used_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			c.ID[:], c.Account, c.Encoding, c.Expires.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(fmt.Errorf("%w: %x", ErrChallengeUsed, c.ID[:]), err)
		}
		if bind != nil {
			if err := s.bindAtLogin(ctx, tx, *bind, c.Account); err != nil {
				return err
			}
		}
		return s.addSession(ctx, tx, ses)
	})
}

func (s *SQLStore) addSession(ctx context.Context, tx *sql.Tx, ses SessionRecord) error {
	_, err := s.prep.Exec(ctx, tx, `INSERT INTO bank_sessions (token_hash, account, level, expires) VALUES (?, ?, ?, ?)`,
		ses.TokenHash[:], ses.Account, int(ses.Level), ses.Expires.UnixNano())
	return err
}

// AddSession implements Store.
func (s *SQLStore) AddSession(ctx context.Context, ses SessionRecord) error {
	return s.batch.Do(ctx, func(tx *sql.Tx) error { return s.addSession(ctx, tx, ses) })
}

// Session implements Store.
func (s *SQLStore) Session(ctx context.Context, tokenHash [32]byte) (SessionRecord, error) {
	ses := SessionRecord{TokenHash: tokenHash}
	var level int
	var exp int64
	err := s.row(ctx, nil, `SELECT account, level, expires FROM bank_sessions WHERE token_hash = ?`, tokenHash[:]).
		Scan(&ses.Account, &level, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return ses, ErrSession
	}
	ses.Level, ses.Expires = Level(level), time.Unix(0, exp)
	return ses, err
}

// Order implements Store.
func (s *SQLStore) Order(ctx context.Context, id [IDSize]byte) (OrderRecord, error) {
	o := OrderRecord{ID: id}
	var exp int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT account, encoding, expires FROM bank_orders WHERE id = ? AND used_at IS NOT NULL`), id[:]).
		Scan(&o.Account, &o.Encoding, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("%w: %x", ErrOrder, id[:])
	}
	o.Expires = time.Unix(0, exp)
	return o, err
}

// Totals implements Store.
func (s *SQLStore) Totals(ctx context.Context) (balances, paidIn uint64, err error) {
	var hi, lo, paid int64
	err = s.db.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(balance / 4294967296), 0) AS BIGINT), CAST(COALESCE(SUM(balance % 4294967296), 0) AS BIGINT),
		(SELECT total FROM bank_paid_in WHERE id = 1) FROM bank_accounts`).Scan(&hi, &lo, &paid)
	if err != nil {
		return 0, 0, err
	}
	sum, err := money.Join(hi, lo)
	return uint64(sum), uint64(paid), err
}
