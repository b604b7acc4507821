package invoice

import (
	"fmt"
	"math"

	"trustbank/internal/wire"
)

// Magic opens the canonical encoding of an invoice: it names the format
// and its version, so the signed bytes can never be read as another
// message of trustbank's.
const Magic = "TBEINV\x01"

// MarshalBinary returns the canonical encoding of the invoice, the bytes
// the tax system signs (package documentation, "Canonical encoding"). It
// encodes what the invoice states; it refuses an invoice whose fields are
// out of their ranges but not one whose amounts are wrong (Check does).
func (inv *Invoice) MarshalBinary() ([]byte, error) {
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	for _, v := range []int64{inv.Amount, inv.Tax, inv.Total} {
		if v < 0 {
			return nil, rangeErr("total", "negative amount %d", v)
		}
	}
	w := &wire.Writer{B: make([]byte, 0, inv.encodedLen())}
	w.Fixed([]byte(Magic))
	w.String16(inv.Number)
	w.String16(inv.IssueDate)
	for _, p := range []Party{inv.Seller, inv.Buyer} {
		w.String16(p.Name)
		w.String16(p.TaxID)
	}
	w.U16(uint16(len(inv.Items)))
	for _, it := range inv.Items {
		if it.Amount < 0 || it.Tax < 0 {
			return nil, rangeErr("items", "negative amount or tax")
		}
		w.String16(it.Name)
		w.String16(it.Unit)
		w.U64(uint64(it.Quantity))
		w.U64(uint64(it.UnitPrice))
		w.U16(uint16(it.TaxRate))
		w.U64(uint64(it.Amount))
		w.U64(uint64(it.Tax))
	}
	w.U64(uint64(inv.Amount))
	w.U64(uint64(inv.Tax))
	w.U64(uint64(inv.Total))
	return w.B, nil
}

// encodedLen is the length of MarshalBinary's encoding: the magic, six
// strings and two per item with their 2-byte lengths, the item count,
// 34 bytes of numbers per item and the three totals.
func (inv *Invoice) encodedLen() int {
	n := len(Magic) + 2 + 24 + 2*6 + len(inv.Number) + len(inv.IssueDate) +
		len(inv.Seller.Name) + len(inv.Seller.TaxID) + len(inv.Buyer.Name) + len(inv.Buyer.TaxID)
	for _, it := range inv.Items {
		n += 2*2 + len(it.Name) + len(it.Unit) + 34
	}
	return n
}

// UnmarshalBinary decodes a canonical encoding. It accepts exactly the
// encodings MarshalBinary makes: fields in range, no trailing bytes. It
// does not check the amounts (Check does).
func (inv *Invoice) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if string(r.Fixed(len(Magic), "magic")) != Magic {
		r.Fail("not an invoice encoding (magic)")
	}
	var d Invoice
	d.Number = r.String16(NumberLen, "number")
	d.IssueDate = r.String16(len(DateLayout), "issue date")
	for _, p := range []*Party{&d.Seller, &d.Buyer} {
		p.Name = r.String16(4*MaxName, "party name")
		p.TaxID = r.String16(18, "tax ID")
	}
	d.Items = make([]Item, r.Count(MaxItems, "items"))
	for i := range d.Items {
		it := &d.Items[i]
		it.Name = r.String16(4*MaxName, "item name")
		it.Unit = r.String16(4*MaxUnit, "unit")
		it.Quantity = i64(r, "quantity")
		it.UnitPrice = i64(r, "unit price")
		it.TaxRate = int64(r.U16("tax rate"))
		it.Amount = i64(r, "amount")
		it.Tax = i64(r, "tax")
	}
	d.Amount = i64(r, "amount")
	d.Tax = i64(r, "tax")
	d.Total = i64(r, "total")
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	*inv = d
	return nil
}

func i64(r *wire.Reader, what string) int64 {
	v := r.U64(what)
	if v > math.MaxInt64 {
		r.Fail("%s: %d does not fit a signed 64-bit integer", what, v)
	}
	return int64(v)
}
