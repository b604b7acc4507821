package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"trustbank/internal/money"
)

// Transfer implements Store. A transaction that loses a race on the same
// id (a unique violation) runs once more and then finds the first one's
// receipt.
func (s *SQLStore) Transfer(ctx context.Context, t Transfer) (Receipt, error) {
	if t.Account == t.Payee {
		return Receipt{}, fmt.Errorf("%w: %s", ErrSameAccount, t.Account)
	}
	if t.Amount == 0 || money.CheckAmount(t.Amount) != nil {
		return Receipt{}, fmt.Errorf("%w: amount %d", ErrAmountRange, t.Amount)
	}
	var rc Receipt
	run := func() error {
		return s.batch.Do(ctx, func(tx *sql.Tx) (err error) { rc, err = s.transfer(ctx, tx, t); return err })
	}
	err := run()
	if s.db.IsUniqueViolation(err) {
		err = run()
	}
	return rc, err
}

func (s *SQLStore) transfer(ctx context.Context, tx *sql.Tx, t Transfer) (Receipt, error) {
	if rc, found, err := s.prior(ctx, tx, t); found || err != nil {
		return rc, err
	}
	if t.Order != nil {
		if err := s.useNonce(ctx, tx, t); err != nil {
			if rc, found, e := s.prior(ctx, tx, t); found || e != nil {
				return rc, e // a concurrent identical confirmation committed first
			}
			return Receipt{}, err
		}
	}
	bal, err := s.lockAccounts(ctx, tx, t.Account, t.Payee)
	if err != nil {
		return Receipt{}, err
	}
	from, err := money.Sub(bal[0], t.Amount)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: %w", ErrInsufficientFunds, err)
	}
	to, err := money.Add(bal[1], t.Amount)
	if err != nil {
		return Receipt{}, err
	}
	day := Day(t.At)
	total, err := s.dayTotal(ctx, tx, t, day)
	if err != nil {
		return Receipt{}, err
	}
	rc := Receipt{ID: t.ID, Account: t.Account, Payee: t.Payee, Amount: t.Amount, Level: t.Level,
		Day: day, DayTotal: total, Balance: from, At: t.At.UTC()}
	return rc, s.book(ctx, tx, t, rc, to)
}

// prior returns the receipt of a transfer committed with t's id, if any.
func (s *SQLStore) prior(ctx context.Context, tx *sql.Tx, t Transfer) (Receipt, bool, error) {
	var hash, enc []byte
	err := s.row(ctx, tx, `SELECT request_hash, receipt FROM bank_transfers WHERE id = ?`, t.ID[:]).Scan(&hash, &enc)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Receipt{}, false, nil
	case err != nil:
		return Receipt{}, false, err
	case string(hash) != string(t.RequestHash[:]) && t.Order != nil:
		return Receipt{}, false, fmt.Errorf("%w: order %x", ErrNonceUsed, t.ID[:])
	case string(hash) != string(t.RequestHash[:]):
		return Receipt{}, false, fmt.Errorf("%w: %x", ErrRequestReused, t.ID[:])
	}
	var rc Receipt
	return rc, true, rc.UnmarshalBinary(enc)
}

// useNonce records the order with its nonce used, if it is t's and the
// payer's and unexpired at t.At. The order's id is the table's key: a
// second use, concurrent or after a restart, inserts nothing.
func (s *SQLStore) useNonce(ctx context.Context, tx *sql.Tx, t Transfer) error {
	o := t.Order
	if o.ID != t.ID || o.Account != t.Account || !t.At.Before(o.Expires) {
		return fmt.Errorf("%w: %x", ErrOrder, t.ID[:])
	}
	res, err := s.prep.Exec(ctx, tx, `INSERT INTO bank_orders (id, account, encoding, expires, used_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		o.ID[:], o.Account, o.Encoding, o.Expires.UnixNano(), t.At.UnixNano())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(fmt.Errorf("%w: order %x", ErrNonceUsed, t.ID[:]), err)
	}
	return nil
}

// lockAccounts locks both accounts' rows in id order and returns the
// payer's and the payee's balance.
func (s *SQLStore) lockAccounts(ctx context.Context, tx *sql.Tx, payer, payee string) ([2]uint64, error) {
	var out [2]uint64
	query := `SELECT id, balance FROM bank_accounts WHERE id IN (?, ?) ORDER BY id`
	if s.db.Dialect == "postgres" {
		query += ` FOR UPDATE`
	}
	st, err := s.prep.Stmt(ctx, tx, query)
	if err != nil {
		return out, err
	}
	rows, err := st.QueryContext(ctx, payer, payee)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id string
		var bal int64
		if err := rows.Scan(&id, &bal); err != nil {
			return out, err
		}
		if id == payee {
			out[1] = uint64(bal)
		} else {
			out[0] = uint64(bal)
		}
		seen++
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	if seen != 2 {
		return out, fmt.Errorf("%w: %s or %s", ErrUnknownAccount, payer, payee)
	}
	return out, nil
}

// dayTotal returns the payer's non-counter total of day with t added,
// refusing a session transfer that takes it above DailyLimit.
func (s *SQLStore) dayTotal(ctx context.Context, tx *sql.Tx, t Transfer, day string) (uint64, error) {
	var cur int64
	err := s.row(ctx, tx, `SELECT total FROM bank_daily WHERE account = ? AND day = ?`, t.Account, day).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	total, err := money.Add(uint64(cur), t.Amount)
	if err != nil {
		return 0, err
	}
	if total > DailyLimit && t.Level != LevelCertificate {
		return 0, fmt.Errorf("%w: %s has %d fen today, %d more would make %d", ErrCertificateRequired, t.Account, cur, t.Amount, total)
	}
	return total, nil
}

// book writes the balances, the day's total and the transfer record.
func (s *SQLStore) book(ctx context.Context, tx *sql.Tx, t Transfer, rc Receipt, to uint64) error {
	enc, err := rc.MarshalBinary()
	if err != nil {
		return err
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE bank_accounts SET balance = ? WHERE id = ?`, []any{int64(rc.Balance), t.Account}},
		{`UPDATE bank_accounts SET balance = ? WHERE id = ?`, []any{int64(to), t.Payee}},
		{`INSERT INTO bank_daily (account, day, total) VALUES (?, ?, ?)
			ON CONFLICT (account, day) DO UPDATE SET total = excluded.total`, []any{t.Account, rc.Day, int64(rc.DayTotal)}},
		{`INSERT INTO bank_transfers (id, request_hash, account, payee, amount, level, day, at, receipt)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{t.ID[:], t.RequestHash[:], t.Account, t.Payee, int64(t.Amount),
			int(t.Level), rc.Day, t.At.UnixNano(), enc}},
	}
	for _, st := range stmts {
		if _, err := s.prep.Exec(ctx, tx, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}
