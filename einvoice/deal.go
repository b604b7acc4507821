package einvoice

import (
	"fmt"
	"unicode/utf8"

	"trustbank/einvoice/invoice"
	"trustbank/internal/money"
	"trustbank/internal/wire"
)

// Order is M_i, the buyer's side of the deal: which order at the seller,
// what the buyer paid for it (tax included, in fen), and the invoice
// title (抬头) the buyer wants: a name, and a taxpayer ID when the buyer
// is a business.
type Order struct {
	OrderNo    string
	Amount     int64
	BuyerName  string
	BuyerTaxID string // optional
}

// Deal is m_j, the seller's answer: the order's items and the seller's
// name and tax ID, from which the issuing role builds the invoice.
type Deal struct {
	OrderNo     string
	SellerName  string
	SellerTaxID SID
	Items       []invoice.Item // the inputs only: Amount and Tax are ignored
}

// MaxItems bounds the lines of a deal.
const MaxItems = 256

func (o *Order) encode() []byte {
	w := writer(kindOrder)
	w.String16(o.OrderNo)
	w.U64(uint64(o.Amount))
	w.String16(o.BuyerName)
	w.String16(o.BuyerTaxID)
	return w.B
}

// Validate checks the order's fields.
func (o *Order) Validate() error {
	_, err := decodeOrder(o.encode())
	return err
}

func decodeOrder(b []byte) (*Order, error) {
	r := reader(b, kindOrder)
	var o Order
	o.OrderNo = text(r, MaxOrderNo, false, "order number")
	o.Amount = amount(r, "amount")
	o.BuyerName = text(r, MaxText, false, "buyer name")
	o.BuyerTaxID = text(r, MaxTaxID, true, "buyer tax ID")
	return &o, done(r, "order")
}

func (d *Deal) encode() []byte {
	w := writer(kindDeal)
	w.String16(d.OrderNo)
	w.String16(d.SellerName)
	w.Fixed(d.SellerTaxID[:])
	w.U16(uint16(min(len(d.Items), 0xffff)))
	for _, it := range d.Items {
		w.String16(it.Name)
		w.String16(it.Unit)
		w.U64(uint64(it.Quantity))
		w.U64(uint64(it.UnitPrice))
		w.U64(uint64(it.TaxRate))
	}
	return w.B
}

// Validate checks the deal's fields (the amounts' arithmetic is checked
// when the invoice is computed).
func (d *Deal) Validate() error {
	if len(d.Items) > MaxItems {
		return fmt.Errorf("%w: deal: %d items, at most %d", ErrMalformed, len(d.Items), MaxItems)
	}
	_, err := decodeDeal(d.encode())
	return err
}

func decodeDeal(b []byte) (*Deal, error) {
	r := reader(b, kindDeal)
	var d Deal
	d.OrderNo = text(r, MaxOrderNo, false, "order number")
	d.SellerName = text(r, MaxText, false, "seller name")
	sid := r.Fixed(IDLen, "seller tax ID")
	if r.Err() == nil {
		if _, err := ParseSID(string(sid)); err != nil {
			r.Fail("seller tax ID: %v", err)
		}
		copy(d.SellerTaxID[:], sid)
	}
	n := r.Count(MaxItems, "items")
	if r.Err() == nil && n == 0 {
		r.Fail("items: none")
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		var it invoice.Item
		it.Name = text(r, MaxText, false, "item name")
		it.Unit = text(r, MaxText, true, "unit")
		it.Quantity = amount(r, "quantity")
		it.UnitPrice = amount(r, "unit price")
		it.TaxRate = amount(r, "tax rate")
		if r.Err() == nil && it.TaxRate > 10000 {
			r.Fail("tax rate %d basis points over 100%%", it.TaxRate)
		}
		d.Items = append(d.Items, it)
	}
	return &d, done(r, "deal")
}

// orderQuery is m_i, what the system asks the seller to check.
func encodeOrderNo(k Kind, orderNo string) []byte {
	w := writer(k)
	w.String16(orderNo)
	return w.B
}

func decodeOrderNo(b []byte, k Kind) (string, error) {
	r := reader(b, k)
	no := text(r, MaxOrderNo, false, "order number")
	return no, done(r, "order number")
}

// noticeBody is C_n's plaintext: the order and the invoice issued for it.
type noticeBody struct {
	OrderNo, InvoiceNo string
}

func (n *noticeBody) encode() []byte {
	w := writer(kindNoticeBody)
	w.String16(n.OrderNo)
	w.String16(n.InvoiceNo)
	return w.B
}

func decodeNoticeBody(b []byte) (*noticeBody, error) {
	r := reader(b, kindNoticeBody)
	var n noticeBody
	n.OrderNo = text(r, MaxOrderNo, false, "order number")
	n.InvoiceNo = text(r, MaxOrderNo, false, "invoice number")
	return &n, done(r, "notice")
}

// amount reads a non-negative int64.
func amount(r *wire.Reader, what string) int64 {
	v := r.U64(what)
	if r.Err() == nil && money.CheckAmount(v) != nil {
		r.Fail("%s: %d over the maximum %d", what, v, money.MaxAmount)
	}
	return int64(v)
}

func validUTF8(s string) bool { return utf8.ValidString(s) }

func errLen(what string, n int) error {
	return fmt.Errorf("%w: %s: %d bytes", ErrMalformed, what, n)
}
