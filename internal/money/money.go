// Package money is trustbank's arithmetic on sums of money: amounts in
// minor units (fen, cents) as unsigned 64-bit integers, with limits far
// below 2^63 and helpers that refuse (ErrRange) instead of wrapping.
//
// # Limits
//
//   - MaxAmount bounds any single amount (an opening balance, a
//     withdrawal, a deposit, a swap, a booking): 2^53 − 1 minor units,
//     about 9.0e15, or 90 trillion yuan in fen. 2^53 − 1 is the largest
//     integer an IEEE double (and so a JSON number in JavaScript) holds
//     exactly, so every amount trustbank answers reads back exactly in any
//     client.
//   - MaxBalance bounds any account balance: the same 2^53 − 1.
//   - MaxSupply bounds the money paid in to one book (the sum of all
//     opening balances: cash paid in at the counter), 2^62. Money is never
//     created, so every sum the system computes over a book — the sum of
//     balances, the float, balances + float — is at most MaxSupply and fits
//     a signed 64-bit integer with room to spare, whatever the number of
//     accounts.
//   - MaxPosition bounds a bank's clearing position with the e-cash module
//     in either direction: 2^62, the same as MaxSupply. While money is
//     neither lost nor created no position can reach it (a bank's customers
//     cannot take out more than was paid in and deposited to them, and the
//     positions sum to −float), so it is a backstop: a change that would
//     cross it is refused, never wrapped.
//
// Every limit is also a CHECK constraint of the tables that hold the
// figure, and the SQLite tables are STRICT, so a stored amount can never
// be out of range or a REAL.
package money

import (
	"errors"
	"fmt"
	"math/big"
)

// The limits (see the package comment).
const (
	MaxAmount   uint64 = 1<<53 - 1
	MaxBalance  uint64 = 1<<53 - 1
	MaxSupply   uint64 = 1 << 62
	MaxPosition int64  = 1 << 62
)

// ErrRange: an amount, a balance, the supply or a position would be out of
// its range. Packages re-export it as their ErrAmountRange.
var ErrRange = errors.New("amount out of range")

// ErrInsufficient: a subtraction would go below zero.
var ErrInsufficient = errors.New("money: insufficient funds")

// CheckAmount refuses an amount above MaxAmount.
func CheckAmount[T ~uint64](v T) error {
	if uint64(v) > MaxAmount {
		return fmt.Errorf("%w: amount %d exceeds the maximum %d", ErrRange, uint64(v), MaxAmount)
	}
	return nil
}

// CheckBalance refuses a balance above MaxBalance.
func CheckBalance[T ~uint64](v T) error {
	if uint64(v) > MaxBalance {
		return fmt.Errorf("%w: balance %d exceeds the maximum %d", ErrRange, uint64(v), MaxBalance)
	}
	return nil
}

// Add credits amount to balance, refusing a result above MaxBalance (and
// so any wrap-around).
func Add[T ~uint64](balance, amount T) (T, error) {
	if err := CheckAmount(amount); err != nil {
		return balance, err
	}
	if uint64(balance) > MaxBalance-uint64(amount) {
		return balance, fmt.Errorf("%w: balance %d plus %d exceeds the maximum %d", ErrRange, uint64(balance), uint64(amount), MaxBalance)
	}
	return balance + amount, nil
}

// Sub debits amount from balance, refusing to go below zero.
func Sub[T ~uint64](balance, amount T) (T, error) {
	if amount > balance {
		return balance, fmt.Errorf("%w: %d cannot pay %d", ErrInsufficient, uint64(balance), uint64(amount))
	}
	return balance - amount, nil
}

// AddSupply adds an opening balance to the money paid in to a book,
// refusing a total above MaxSupply.
func AddSupply[T ~uint64](paidIn, opening T) (T, error) {
	if err := CheckBalance(opening); err != nil {
		return paidIn, err
	}
	if uint64(paidIn) > MaxSupply-uint64(opening) {
		return paidIn, fmt.Errorf("%w: %d paid in plus %d exceeds the book's maximum %d", ErrRange, uint64(paidIn), uint64(opening), MaxSupply)
	}
	return paidIn + opening, nil
}

// SplitShift splits a signed column for summing in SQL without overflow:
// SUM(v / 2^SplitShift) and SUM(v % 2^SplitShift) (both SQLite and
// PostgreSQL truncate toward zero, so v = hi·2^SplitShift + lo for every
// row) cannot overflow for fewer than 2^31 rows of any int64 values; Join
// puts the two sums back together exactly.
const SplitShift = 32

// Join returns hi·2^SplitShift + lo, exactly, and fails only if that does
// not fit an int64.
func Join(hi, lo int64) (int64, error) {
	sum := new(big.Int).Lsh(big.NewInt(hi), SplitShift)
	sum.Add(sum, big.NewInt(lo))
	if !sum.IsInt64() {
		return 0, fmt.Errorf("%w: total %s does not fit 64 bits", ErrRange, sum.String())
	}
	return sum.Int64(), nil
}
