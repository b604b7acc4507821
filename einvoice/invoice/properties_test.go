package invoice

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// randomInvoice draws 1–20 lines with quantities and prices across their
// ranges (small and huge) and every tax rate.
func randomInvoice(r *rand.Rand) *Invoice {
	inv := sample()
	inv.Items = make([]Item, 1+r.IntN(20))
	for i := range inv.Items {
		q := 1 + r.Int64N(100_000)
		p := r.Int64N(10_000_000)
		if r.IntN(8) == 0 { // large lines, still well below MaxAmount in sum
			q, p = 1+r.Int64N(MaxQuantity), r.Int64N(1<<20)
		}
		inv.Items[i] = Item{Name: "item", Unit: "个", Quantity: q, UnitPrice: p, TaxRate: TaxRates[r.IntN(len(TaxRates))]}
	}
	return inv
}

// For random invoices: each line amount is within half a fen of quantity
// × price / 1000 and each tax within half a fen of amount × rate, with
// exact halves rounded up; the totals are the exact sums.
func TestArithmeticProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	half := big.NewRat(1, 2)
	within := func(got int64, exact *big.Rat) bool {
		d := new(big.Rat).Sub(new(big.Rat).SetInt64(got), exact)
		// −½ < got − exact ≤ ½: an exact half goes up.
		return d.Cmp(new(big.Rat).Neg(half)) > 0 && d.Cmp(half) <= 0
	}
	for n := range 2000 {
		inv := randomInvoice(r)
		if err := inv.Compute(); err != nil {
			t.Fatalf("invoice %d: %v", n, err)
		}
		var amount, tax int64
		for i, it := range inv.Items {
			exactAmount := big.NewRat(it.Quantity, 1000)
			exactAmount.Mul(exactAmount, new(big.Rat).SetInt64(it.UnitPrice))
			if !within(it.Amount, exactAmount) {
				t.Fatalf("invoice %d line %d: amount %d, exact %s", n, i, it.Amount, exactAmount.FloatString(3))
			}
			exactTax := big.NewRat(it.Amount*it.TaxRate, 10000)
			if !within(it.Tax, exactTax) {
				t.Fatalf("invoice %d line %d: tax %d, exact %s", n, i, it.Tax, exactTax.FloatString(4))
			}
			amount += it.Amount
			tax += it.Tax
		}
		if inv.Amount != amount || inv.Tax != tax || inv.Total != amount+tax {
			t.Fatalf("invoice %d: totals %d %d %d, sums %d %d", n, inv.Amount, inv.Tax, inv.Total, amount, tax)
		}
		if err := inv.Check(); err != nil {
			t.Fatalf("invoice %d: %v", n, err)
		}
	}
}

// Random invoices sign, export, verify and re-export identically.
func TestRandomInvoicesVerify(t *testing.T) {
	f := newFixture(t)
	r := rand.New(rand.NewPCG(3, 4))
	for range 30 {
		sd := f.sign(t, randomInvoice(r))
		back, err := Verify(sd.JSON(), f.root())
		if err != nil {
			t.Fatal(err)
		}
		if string(back.JSON()) != string(sd.JSON()) {
			t.Fatal("export changed")
		}
	}
}

func BenchmarkSign(b *testing.B) {
	f := newFixture(b)
	inv := sample()
	for b.Loop() {
		if _, err := Sign(f.signer, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	data := f.sign(b, sample()).JSON()
	for b.Loop() {
		if _, err := Verify(data, f.root()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompute(b *testing.B) {
	inv := sample()
	for b.Loop() {
		if err := inv.Compute(); err != nil {
			b.Fatal(err)
		}
	}
}
