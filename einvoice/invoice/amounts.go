package invoice

import (
	"fmt"
	"math/bits"

	"trustbank/internal/money"
)

// Compute validates the inputs and fills every computed amount: each
// item's Amount and Tax, and the invoice's Amount, Tax and Total (see the
// package documentation for the rounding). On error inv is unchanged.
func (inv *Invoice) Compute() error {
	c, err := inv.computed()
	if err != nil {
		return err
	}
	*inv = *c
	return nil
}

// Check validates the inputs and wants every stated amount equal to the
// recomputed one (ErrTotals names the first that differs).
func (inv *Invoice) Check() error {
	c, err := inv.computed()
	if err != nil {
		return err
	}
	for i := range inv.Items {
		got, want := inv.Items[i], c.Items[i]
		if got.Amount != want.Amount || got.Tax != want.Tax {
			return fmt.Errorf("%w: items[%d] states amount %d tax %d, computed %d and %d",
				ErrTotals, i, got.Amount, got.Tax, want.Amount, want.Tax)
		}
	}
	if inv.Amount != c.Amount || inv.Tax != c.Tax || inv.Total != c.Total {
		return fmt.Errorf("%w: states amount %d tax %d total %d, computed %d, %d and %d",
			ErrTotals, inv.Amount, inv.Tax, inv.Total, c.Amount, c.Tax, c.Total)
	}
	return nil
}

// computed returns a copy of inv with every amount computed.
func (inv *Invoice) computed() (*Invoice, error) {
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	c := *inv
	c.Items = make([]Item, len(inv.Items))
	var amount, tax uint64
	for i, it := range inv.Items {
		field := fmt.Sprintf("items[%d]", i)
		a, ok := mulDivRound(uint64(it.Quantity), uint64(it.UnitPrice), 1000)
		if !ok {
			return nil, rangeErr(field+".amount", "%d/1000 × %d fen exceeds %d fen", it.Quantity, it.UnitPrice, money.MaxAmount)
		}
		t, _ := mulDivRound(a, uint64(it.TaxRate), 10000) // t ≤ a: no overflow
		it.Amount, it.Tax = int64(a), int64(t)
		c.Items[i] = it
		var err error
		if amount, err = money.Add(amount, a); err != nil {
			return nil, rangeErr("amount", "the items' amounts add up to more than %d fen", money.MaxAmount)
		}
		if tax, err = money.Add(tax, t); err != nil {
			return nil, rangeErr("tax", "the items' taxes add up to more than %d fen", money.MaxAmount)
		}
	}
	total, err := money.Add(amount, tax)
	if err != nil {
		return nil, rangeErr("total", "amount %d plus tax %d exceeds %d fen", amount, tax, money.MaxAmount)
	}
	c.Amount, c.Tax, c.Total = int64(amount), int64(tax), int64(total)
	return &c, nil
}

// mulDivRound returns a·b/d rounded half up (四舍五入), exactly (128-bit
// product), and false if the result exceeds money.MaxAmount. d > 0.
func mulDivRound(a, b, d uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	lo, carry := bits.Add64(lo, d/2, 0)
	hi += carry
	if hi >= d {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, d)
	return q, q <= money.MaxAmount
}

// checkAmount wants 0 ≤ v ≤ money.MaxAmount.
func checkAmount(field string, v int64) error {
	if v < 0 {
		return rangeErr(field, "%d is negative", v)
	}
	if err := money.CheckAmount(uint64(v)); err != nil {
		return rangeErr(field, "%d fen exceeds the maximum %d", v, money.MaxAmount)
	}
	return nil
}
