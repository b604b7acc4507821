package invoice

import (
	"errors"
	"strings"
	"testing"
)

// The worked example of the package documentation.
func TestComputeExample(t *testing.T) {
	inv := sample()
	if err := inv.Compute(); err != nil {
		t.Fatal(err)
	}
	want := []struct{ amount, tax int64 }{{4200, 546}, {100001, 6000}}
	for i, w := range want {
		if inv.Items[i].Amount != w.amount || inv.Items[i].Tax != w.tax {
			t.Fatalf("items[%d]: amount %d tax %d, want %d and %d", i, inv.Items[i].Amount, inv.Items[i].Tax, w.amount, w.tax)
		}
	}
	if inv.Amount != 104201 || inv.Tax != 6546 || inv.Total != 110747 {
		t.Fatalf("totals %d %d %d", inv.Amount, inv.Tax, inv.Total)
	}
	if err := inv.Check(); err != nil {
		t.Fatal(err)
	}
}

// Rounding is half up at exactly half a fen, in both steps.
func TestRoundingHalfUp(t *testing.T) {
	for name, c := range map[string]struct{ q, p, rate, amount, tax int64 }{
		"amount .5 up":    {q: 500, p: 1, rate: 0, amount: 1, tax: 0},      // 0.5 fen → 1
		"amount .499":     {q: 499, p: 1, rate: 0, amount: 0, tax: 0},      // 0.499 → 0
		"tax .5 up":       {q: 1000, p: 50, rate: 100, amount: 50, tax: 1}, // 0.5 fen of tax → 1
		"tax .49 down":    {q: 1000, p: 49, rate: 100, amount: 49, tax: 0}, // 0.49 → 0
		"13% of 1 yuan":   {q: 1000, p: 100, rate: 1300, amount: 100, tax: 13},
		"9% exact .5":     {q: 1000, p: 50, rate: 900, amount: 50, tax: 5}, // 4.5 → 5
		"half-even would": {q: 2500, p: 1, rate: 0, amount: 3, tax: 0},     // 2.5 → 3 (half-even: 2)
	} {
		inv := sample()
		inv.Items = []Item{{Name: "x", Quantity: c.q, UnitPrice: c.p, TaxRate: c.rate}}
		if err := inv.Compute(); err != nil {
			t.Fatal(name, err)
		}
		if it := inv.Items[0]; it.Amount != c.amount || it.Tax != c.tax {
			t.Errorf("%s: amount %d tax %d, want %d and %d", name, it.Amount, it.Tax, c.amount, c.tax)
		}
	}
}

// Every bad input is refused with an error naming the field, and Compute
// leaves the invoice as it was.
func TestValidation(t *testing.T) {
	for name, c := range map[string]struct {
		edit  func(*Invoice)
		field string
		rng   bool
	}{
		"fail/no items":          {func(i *Invoice) { i.Items = nil }, "items", false},
		"fail/too many items":    {func(i *Invoice) { i.Items = make([]Item, MaxItems+1) }, "items", false},
		"fail/negative quantity": {func(i *Invoice) { i.Items[1].Quantity = -1 }, "items[1].quantity", true},
		"fail/zero quantity":     {func(i *Invoice) { i.Items[0].Quantity = 0 }, "items[0].quantity", true},
		"fail/huge quantity":     {func(i *Invoice) { i.Items[0].Quantity = MaxQuantity + 1 }, "items[0].quantity", true},
		"fail/negative price":    {func(i *Invoice) { i.Items[0].UnitPrice = -350 }, "items[0].unit_price", true},
		"fail/price over max":    {func(i *Invoice) { i.Items[0].UnitPrice = 1 << 53 }, "items[0].unit_price", true},
		"fail/line overflows":    {func(i *Invoice) { i.Items[0].Quantity, i.Items[0].UnitPrice = MaxQuantity, 1<<53-1 }, "items[0].amount", true},
		"fail/sum overflows":     {func(i *Invoice) { i.Items[0].Quantity, i.Items[0].UnitPrice = 1000, 1<<53-1 }, "amount", true},
		"fail/rate 7%":           {func(i *Invoice) { i.Items[0].TaxRate = 700 }, "items[0].tax_rate", false},
		"fail/rate 13 not bp":    {func(i *Invoice) { i.Items[0].TaxRate = 13 }, "items[0].tax_rate", false},
		"fail/negative rate":     {func(i *Invoice) { i.Items[0].TaxRate = -1300 }, "items[0].tax_rate", false},
		"fail/empty item name":   {func(i *Invoice) { i.Items[0].Name = "" }, "items[0].name", false},
		"fail/control in name":   {func(i *Invoice) { i.Items[0].Name = "pen\x00" }, "items[0].name", false},
		"fail/bad UTF-8":         {func(i *Invoice) { i.Seller.Name = "\xff" }, "seller.name", false},
		"fail/long unit":         {func(i *Invoice) { i.Items[0].Unit = strings.Repeat("个", MaxUnit+1) }, "items[0].unit", false},
		"fail/seller without ID": {func(i *Invoice) { i.Seller.TaxID = "" }, "seller.tax_id", false},
		"fail/seller check char": {func(i *Invoice) { i.Seller.TaxID = "91110108551385082R" }, "seller.tax_id", false},
		"fail/seller letter I":   {func(i *Invoice) { i.Seller.TaxID = "9111010855138508IQ" }, "seller.tax_id", false},
		"fail/seller lowercase":  {func(i *Invoice) { i.Seller.TaxID = "91110108551385082q" }, "seller.tax_id", false},
		"fail/buyer bad ID":      {func(i *Invoice) { i.Buyer.TaxID = "123" }, "buyer.tax_id", false},
		"fail/no buyer":          {func(i *Invoice) { i.Buyer.Name = "" }, "buyer.name", false},
		"fail/number 19 digits":  {func(i *Invoice) { i.Number = i.Number[:19] }, "number", false},
		"fail/number letter":     {func(i *Invoice) { i.Number = "2611000000000001234A" }, "number", false},
		"fail/number wrong year": {func(i *Invoice) { i.Number = "25" + i.Number[2:] }, "number", false},
		"fail/date format":       {func(i *Invoice) { i.IssueDate = "2026-3-1" }, "issue_date", false},
		"fail/date not a day":    {func(i *Invoice) { i.IssueDate = "2026-02-30" }, "issue_date", false},
		"fail/date with time":    {func(i *Invoice) { i.IssueDate = "2026-03-01T00:00:00Z" }, "issue_date", false},
		"fail/date empty":        {func(i *Invoice) { i.IssueDate = "" }, "issue_date", false},
	} {
		inv := sample()
		c.edit(inv)
		before := inv.Items
		err := inv.Compute()
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want a field error", name, err)
			continue
		}
		if fe.Field != c.field || errors.Is(err, ErrAmountRange) != c.rng {
			t.Errorf("%s: %v (field %q, range %v), want field %q range %v", name, err, fe.Field, errors.Is(err, ErrAmountRange), c.field, c.rng)
		}
		if len(inv.Items) > 0 && &inv.Items[0] != &before[0] || inv.Amount != 0 {
			t.Errorf("%s: Compute changed the invoice on error", name)
		}
	}
}

// Check refuses any stated amount that differs from the recomputed one.
func TestCheckStatedAmounts(t *testing.T) {
	for name, edit := range map[string]func(*Invoice){
		"line amount": func(i *Invoice) { i.Items[1].Amount++ },
		"line tax":    func(i *Invoice) { i.Items[0].Tax-- },
		"amount":      func(i *Invoice) { i.Amount++ },
		"tax":         func(i *Invoice) { i.Tax++ },
		"total":       func(i *Invoice) { i.Total-- },
		"shifted tax": func(i *Invoice) { i.Items[0].Tax++; i.Items[1].Tax-- }, // sums unchanged
	} {
		inv := sample()
		if err := inv.Compute(); err != nil {
			t.Fatal(err)
		}
		edit(inv)
		if err := inv.Check(); !errors.Is(err, ErrTotals) {
			t.Errorf("%s: %v, want ErrTotals", name, err)
		}
	}
}
