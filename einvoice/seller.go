package einvoice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"trustbank/einvoice/invoice"
)

// SellerConfig configures a Seller.
type SellerConfig struct {
	SID    SID
	Name   string       // the seller's name on invoices
	Key    [KeyLen]byte // K_j, from registration
	Store  SellerStore
	Window time.Duration    // 0: DefaultWindow
	Now    func() time.Time // nil: time.Now
}

// Seller is an enterprise's invoicing server: its order book and its side
// of messages 2, 3 and 6.
type Seller struct {
	sid   SID
	name  string
	key   [KeyLen]byte
	store SellerStore
	clock
}

// NewSeller returns the seller of cfg.
func NewSeller(cfg SellerConfig) (*Seller, error) {
	if cfg.Store == nil {
		return nil, errors.New("einvoice: seller config: no store")
	}
	if _, err := ParseSID(cfg.SID.String()); err != nil {
		return nil, err
	}
	if cfg.Name == "" || len(cfg.Name) > MaxText {
		return nil, fmt.Errorf("%w: seller name of %d bytes", ErrMalformed, len(cfg.Name))
	}
	return &Seller{sid: cfg.SID, name: cfg.Name, key: cfg.Key, store: cfg.Store, clock: newClock(cfg.Window, cfg.Now)}, nil
}

// SID is the seller's identifier.
func (s *Seller) SID() SID { return s.sid }

// Zero overwrites K_j.
func (s *Seller) Zero() { clear(s.key[:]) }

// AddOrder puts a paid order in the book and returns its total, tax
// included, in fen: what the buyer paid and will state in M_i. The items
// must make a valid invoice (package einvoice/invoice).
func (s *Seller) AddOrder(ctx context.Context, orderNo string, items []invoice.Item) (int64, error) {
	d := Deal{OrderNo: orderNo, SellerName: s.name, SellerTaxID: s.sid, Items: items}
	if err := d.Validate(); err != nil {
		return 0, err
	}
	total, err := s.Total(&d)
	if err != nil {
		return 0, err
	}
	return total, s.store.AddOrder(ctx, s.sid, d)
}

// Total is a deal's invoice total, tax included, in fen.
func (s *Seller) Total(d *Deal) (int64, error) { return d.total(s.now()) }

// total computes the deal's invoice total (tax included) as the issuing
// role will.
func (d *Deal) total(now time.Time) (int64, error) {
	now = now.In(invoice.ChinaTime)
	inv := &invoice.Invoice{Number: invoiceNumber(now), IssueDate: now.Format(invoice.DateLayout),
		Seller: invoice.Party{Name: d.SellerName, TaxID: d.SellerTaxID.String()}, Buyer: invoice.Party{Name: "-"}, Items: d.Items}
	if err := inv.Compute(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return inv.Total, nil
}

// Order returns an order of the book.
func (s *Seller) Order(ctx context.Context, orderNo string) (*OrderRecord, error) {
	return s.store.Order(ctx, s.sid, orderNo)
}

// Verify is the seller's side of messages 2 and 3: it authenticates the
// system (S_e, window, not replayed: recorded durably), looks the order
// up and answers with its deal m_j.
func (s *Seller) Verify(ctx context.Context, m *VerifyRequest) (*VerifyResponse, error) {
	if err := s.fresh(m.T); err != nil {
		return nil, err
	}
	tk := sessionKey(&s.key, lblTKj, m.T)
	defer clear(tk[:])
	want := h(tk[:], lblSe, m.C, s.sid[:], be32(m.T))
	if !macEqual(want[:], m.S[:]) {
		return nil, fmt.Errorf("%w: S_e", ErrAuth)
	}
	mi, err := dec(tk[:], "C_e", m.C)
	if err != nil {
		return nil, err
	}
	orderNo, err := decodeOrderNo(mi, kindVerifyBody)
	if err != nil {
		return nil, err
	}
	o, err := s.store.SeeOrder(ctx, s.seen("seller:S_e:"+s.sid.String(), m.S[:], m.T), s.sid, orderNo)
	if err != nil {
		return nil, err
	}
	if o.InvoiceNo != "" {
		return nil, fmt.Errorf("%w: order %q has invoice %s", ErrAlreadyInvoiced, orderNo, o.InvoiceNo)
	}
	resp := &VerifyResponse{C: enc(tk[:], "C_j", o.Deal.encode()), T: s.stamp()}
	resp.S = h(tk[:], lblSj, resp.C, mi, be32(resp.T), m.S[:])
	return resp, nil
}

// Notice is the seller's side of message 6: it authenticates the system
// (S_n, window, not replayed) and records the order as invoiced with the
// invoice number, durably and idempotently.
func (s *Seller) Notice(ctx context.Context, m *Notice) error {
	if err := s.fresh(m.T); err != nil {
		return err
	}
	tk := sessionKey(&s.key, lblTKn, m.T)
	defer clear(tk[:])
	want := h(tk[:], lblSn, m.C, s.sid[:], be32(m.T))
	if !macEqual(want[:], m.S[:]) {
		return fmt.Errorf("%w: S_n", ErrAuth)
	}
	pt, err := dec(tk[:], "C_n", m.C)
	if err != nil {
		return err
	}
	n, err := decodeNoticeBody(pt)
	if err != nil {
		return err
	}
	return s.store.MarkInvoiced(ctx, s.sid, n.OrderNo, n.InvoiceNo, s.seen("seller:S_n:"+s.sid.String(), m.S[:], m.T))
}
