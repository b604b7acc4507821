package ecash

import (
	"fmt"
	"slices"

	"trustbank/internal/money"
)

// Amount is a sum of money in minor units (fen, cents).
type Amount uint64

// MaxAmount bounds every single amount (an opening balance, a withdrawal,
// a deposit, a swap) and MaxBalance every account balance: 2^53 − 1, see
// package trustbank/internal/money. Anything beyond is ErrAmountRange.
const (
	MaxAmount  = Amount(money.MaxAmount)
	MaxBalance = Amount(money.MaxBalance)
)

// Denom is a coin denomination: the coin is worth 2^Denom minor units.
type Denom uint8

// MaxDenom is the largest denomination exponent (2^40 minor units).
const MaxDenom Denom = 40

// Value returns what a coin of denomination d is worth.
func (d Denom) Value() Amount { return 1 << d }

func (d Denom) String() string { return fmt.Sprintf("2^%d", uint8(d)) }

// Split returns the denominations, largest first, whose values add up to
// a, using only denominations in offered (which must be sorted ascending).
// It uses the binary expansion of a with the largest offered denomination
// standing in for the bits above it. It fails if a cannot be made exactly.
func Split(a Amount, offered []Denom) ([]Denom, error) {
	if len(offered) == 0 {
		return nil, fmt.Errorf("ecash: no denominations offered")
	}
	var out []Denom
	rest := a
	for _, d := range slices.Backward(offered) {
		for rest >= d.Value() {
			rest -= d.Value()
			out = append(out, d)
			if len(out) > maxCoinsPerRequest {
				return nil, fmt.Errorf("ecash: amount %d needs more than %d coins", a, maxCoinsPerRequest)
			}
		}
	}
	if rest != 0 {
		return nil, fmt.Errorf("ecash: amount %d cannot be made from the offered denominations", a)
	}
	return out, nil
}

// maxCoinsPerRequest bounds withdrawals, payments and swaps.
const maxCoinsPerRequest = 64

// Sum returns the total value of the denominations.
func Sum(ds []Denom) Amount {
	var s Amount
	for _, d := range ds {
		s += d.Value()
	}
	return s
}
