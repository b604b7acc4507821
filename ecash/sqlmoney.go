package ecash

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"trustbank/internal/money"
)

// The money columns of the store and what bounds them (migration 0002):
//
//	ecash_accounts.balance   0 … MaxBalance
//	ecash_float.paid_in      0 … money.MaxSupply   (only OpenAccount adds to it)
//	ecash_float.amount       0 … paid_in           (balances + float = paid_in)
//	ecash_positions.amount   ±money.MaxPosition
//
// Every statement below refuses, in its WHERE clause, a change that would
// leave those ranges, and the tables' CHECK constraints (on SQLite STRICT
// tables, which never hold a REAL) back the statements up. Each bound is
// passed as a parameter computed in Go with the amount already checked
// (≤ MaxAmount), so no SQL expression can overflow on the way.

// OpenAccount implements Store.
func (s *SQLStore) OpenAccount(ctx context.Context, a Account) error {
	if err := money.CheckBalance(a.Balance); err != nil {
		return fmt.Errorf("ecash: opening %s at %s: %w", a.ID, a.Bank, err)
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.payIn(ctx, tx, a.Balance); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO ecash_accounts (bank, id, owner, pubkey, balance) VALUES (?, ?, ?, ?, ?)`),
			a.Bank, a.ID, a.Owner, a.Key, int64(a.Balance))
		return err
	})
	if s.db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %s at %s", ErrAccountExists, a.ID, a.Bank)
	}
	return err
}

// payIn adds an opening balance (v ≤ MaxBalance) to the money paid in.
func (s *SQLStore) payIn(ctx context.Context, tx *sql.Tx, v Amount) error {
	if v == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE ecash_float SET paid_in = paid_in + ? WHERE id = 1 AND paid_in <= ?`),
		int64(v), int64(money.MaxSupply-uint64(v)))
	if ok, err := changed(res, err); err != nil || ok {
		return err
	}
	return fmt.Errorf("%w: an opening balance of %d would take the money paid in past %d", ErrAmountRange, v, money.MaxSupply)
}

// changed reports whether a guarded statement changed its one row (false:
// its guard refused the change).
func changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *SQLStore) debit(ctx context.Context, tx *sql.Tx, bank, id string, v Amount) error {
	res, err := s.prep.Exec(ctx, tx, `UPDATE ecash_accounts SET balance = balance - ? WHERE bank = ? AND id = ? AND balance >= ?`,
		int64(v), bank, id, int64(v))
	if ok, err := changed(res, err); err != nil || ok {
		return err
	}
	if _, err := s.Account(ctx, bank, id); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s at %s cannot pay %d", ErrInsufficientFunds, id, bank, v)
}

func (s *SQLStore) credit(ctx context.Context, tx *sql.Tx, bank, id string, v Amount) error {
	res, err := s.prep.Exec(ctx, tx, `UPDATE ecash_accounts SET balance = balance + ? WHERE bank = ? AND id = ? AND balance <= ?`,
		int64(v), bank, id, int64(MaxBalance-v))
	if ok, err := changed(res, err); err != nil || ok {
		return err
	}
	if _, err := s.Account(ctx, bank, id); err != nil {
		return err
	}
	return fmt.Errorf("%w: crediting %d to %s at %s would take its balance past %d", ErrAmountRange, v, id, bank, MaxBalance)
}

// moveFloat adds delta to the module's float and charges it to the bank's
// clearing position: a withdrawal at B_i (delta > 0) makes B_i owe the
// module; a deposit at B_j (delta < 0) is paid to B_j out of the float.
// |delta| ≤ MaxAmount.
func (s *SQLStore) moveFloat(ctx context.Context, tx *sql.Tx, bank string, delta int64) error {
	res, err := s.prep.Exec(ctx, tx, `UPDATE ecash_float SET amount = amount + ? WHERE id = 1 AND amount + ? BETWEEN 0 AND paid_in`, delta, delta)
	if ok, err := changed(res, err); err != nil || !ok {
		// Balances + float = paid in, so a withdrawal always fits and a
		// deposit of issued coins is always covered: a refusal here is a
		// broken invariant, not a customer's error.
		return errors.Join(err, fmt.Errorf("ecash: store: the float cannot move by %d (money invariant broken)", delta))
	}
	res, err = s.prep.Exec(ctx, tx, `INSERT INTO ecash_positions (bank, amount) VALUES (?, ?)
		ON CONFLICT (bank) DO UPDATE SET amount = ecash_positions.amount + excluded.amount
		WHERE ecash_positions.amount + excluded.amount BETWEEN ? AND ?`, bank, -delta, -money.MaxPosition, money.MaxPosition)
	if ok, err := changed(res, err); err != nil || ok {
		return err
	}
	return fmt.Errorf("%w: the clearing position of %s would pass ±%d (settle it first)", ErrAmountRange, bank, money.MaxPosition)
}

// Totals implements Store. One statement, so one snapshot: the figures
// agree with each other even under load. Balances and float are at most
// the money paid in (≤ money.MaxSupply), so their sums cannot overflow.
// Positions are signed, and their partial sums are bounded only while the
// invariant holds; the totals are how a broken invariant is seen, so they
// are summed split (money.SplitShift) and joined exactly.
func (s *SQLStore) Totals(ctx context.Context) (Totals, error) {
	var bal, flt, paid, hi, lo int64
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(SUM(balance), 0) FROM ecash_accounts), f.amount, f.paid_in,
		(SELECT COALESCE(SUM(amount / 4294967296), 0) FROM ecash_positions),
		(SELECT COALESCE(SUM(amount % 4294967296), 0) FROM ecash_positions)
		FROM ecash_float f WHERE f.id = 1`).Scan(&bal, &flt, &paid, &hi, &lo)
	if err != nil {
		return Totals{}, err
	}
	pos, err := money.Join(hi, lo)
	return Totals{Balances: Amount(bal), Float: Amount(flt), Positions: pos, PaidIn: Amount(paid)}, err
}
