package einvoice

import (
	"context"
	"fmt"
)

// Confirm is the system's side of message 5: R_i checked against the
// session, the invoice confirmed (durably), then message 6 to the seller.
// A repeated confirmation changes nothing; it resends the notice only if
// the seller has not acknowledged it yet. A notice
// the seller did not acknowledge is left for ResendNotices; Confirm
// still succeeds (the buyer's part is done).
func (s *System) Confirm(ctx context.Context, m *Confirm) error {
	inv, err := s.store.Confirm(ctx, m.Session, m.R) // checks R_i
	if err != nil || inv.State == StateNotified {
		return err
	}
	s.notify(ctx, inv) // failure: resent by ResendNotices
	return nil
}

// notify sends message 6 for a confirmed invoice and records the
// seller's acknowledgement.
func (s *System) notify(ctx context.Context, inv *IssuedInvoice) error {
	seller, err := s.store.Seller(ctx, s.ke.tag("sID", inv.SellerSID[:]))
	if err != nil {
		return fmt.Errorf("einvoice: notice for %s: seller: %w", inv.Number, err)
	}
	kj := s.ke.SellerKey(inv.SellerSID)
	tn := s.stamp()
	tk := sessionKey(&kj, lblTKn, tn)
	defer clear(tk[:])
	body := noticeBody{OrderNo: inv.OrderNo, InvoiceNo: inv.Number}
	n := &Notice{C: enc(tk[:], "C_n", body.encode()), T: tn}
	n.S = h(tk[:], lblSn, n.C, inv.SellerSID[:], be32(tn))
	if err := s.sellers.Notify(ctx, seller.Endpoint, n); err != nil {
		return fmt.Errorf("%w: notice for %s: %w", ErrSeller, inv.Number, err)
	}
	return s.store.MarkNotified(ctx, inv.Number)
}

// ResendNotices sends message 6 for every confirmed invoice the seller
// has not acknowledged (after a crash or an unreachable seller). It
// returns how many were acknowledged now, and the first error.
func (s *System) ResendNotices(ctx context.Context) (int, error) {
	pending, err := s.store.Unnotified(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var first error
	for i := range pending {
		if err := s.notify(ctx, &pending[i]); err != nil {
			first = cmpErr(first, err)
			continue
		}
		n++
	}
	return n, first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
