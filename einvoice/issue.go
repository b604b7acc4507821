package einvoice

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"

	"trustbank/einvoice/invoice"
)

// session is the system's view of one request between messages 1 and 4.
type session struct {
	eID   EID
	b     *BioKey
	tk    [KeyLen]byte // TK_i
	order *Order
	mi    []byte // M_i's encoding, as h hashes it
	sid   SID
}

// Request runs the system's side of messages 1 to 4: it authenticates
// the buyer, checks the deal with the seller (messages 2 and 3), issues
// and signs the invoice, commits, and answers message 4. On any error
// nothing is issued and nothing is recorded.
func (s *System) Request(ctx context.Context, m *Request) (*InvoiceResponse, error) {
	ss, rec, prev, err := s.authenticate(ctx, m)
	if err != nil {
		return nil, err
	}
	defer clear(ss.tk[:])
	seller, err := s.store.Seller(ctx, s.ke.tag("sID", ss.sid[:]))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSeller, ss.sid)
	}
	if err != nil {
		return nil, err
	}
	for try := 1; ; try++ {
		sd, err := s.invoiceFor(ctx, ss, rec, prev, seller)
		if err != nil {
			return nil, err
		}
		resp, err := s.deliver(ctx, m, ss, rec, sd)
		if !errors.Is(err, errNumberTaken) || try == numberTries {
			return resp, err
		}
		// Another number: ask the seller again and sign again (rare: see
		// invoiceNumber).
	}
}

// authenticate checks message 1: window, S_i; opens C_i1 and C_i2; then
// wants the identity registered. It returns the buyer's record and the
// order's invoice if it has one (one read).
func (s *System) authenticate(ctx context.Context, m *Request) (*session, *BuyerRecord, *IssuedInvoice, error) {
	if err := s.fresh(m.T); err != nil {
		return nil, nil, nil, err
	}
	eID, b, err := s.ke.Open(&m.Identity)
	if err != nil {
		return nil, nil, nil, err
	}
	ki := s.ke.BuyerKey(eID, b)
	ss := &session{eID: eID, b: b, tk: sessionKey(&ki, lblTKi, m.T)}
	clear(ki[:])
	want := h(ss.tk[:], lblSi, m.C1, m.C2, eID[:], be32(m.T), m.Rho[:])
	if !macEqual(want[:], m.S[:]) {
		return nil, nil, nil, fmt.Errorf("%w: S_i", ErrAuth)
	}
	if err := ss.open(m); err != nil {
		return nil, nil, nil, err
	}
	rec, prev, err := s.store.BuyerAndInvoice(ctx, s.ke.tag("eID", eID[:]), ss.sid, ss.order.OrderNo)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, ErrUnknownIdentity
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if !rec.HasIdentity(s.idTag(&m.Identity)) {
		return nil, nil, nil, fmt.Errorf("%w: a retired identity", ErrUnknownIdentity)
	}
	return ss, rec, prev, nil
}

// open decrypts C_i1 (sID_j) and C_i2 (M_i).
func (ss *session) open(m *Request) error {
	raw, err := dec(ss.tk[:], "C_i1", m.C1)
	if err != nil {
		return err
	}
	if ss.sid, err = ParseSID(string(raw)); err != nil {
		return err
	}
	if ss.mi, err = dec(ss.tk[:], "C_i2", m.C2); err != nil {
		return err
	}
	ss.order, err = decodeOrder(ss.mi)
	return err
}

// invoiceFor returns the order's invoice: the one already issued to this
// buyer, or a new one from the seller's answer.
func (s *System) invoiceFor(ctx context.Context, ss *session, rec *BuyerRecord, prev *IssuedInvoice, seller *SellerRecord) (*invoice.Signed, error) {
	switch {
	case prev != nil && !bytes.Equal(prev.BuyerTag, rec.Tag):
		return nil, fmt.Errorf("%w: for another buyer", ErrAlreadyInvoiced)
	case prev != nil:
		return prev.Signed, sameOrder(prev.Signed, ss.order) // a retry: the same invoice again
	}
	deal, err := s.verifyDeal(ctx, seller, ss.order.OrderNo)
	if err != nil {
		return nil, err
	}
	return s.issue(deal, ss.order)
}

// verifyDeal runs messages 2 and 3 with the seller.
func (s *System) verifyDeal(ctx context.Context, seller *SellerRecord, orderNo string) (*Deal, error) {
	kj := s.ke.SellerKey(seller.SID)
	te := s.stamp()
	tk := sessionKey(&kj, lblTKj, te)
	defer clear(tk[:])
	mi := encodeOrderNo(kindVerifyBody, orderNo)
	req := &VerifyRequest{C: enc(tk[:], "C_e", mi), T: te}
	req.S = h(tk[:], lblSe, req.C, seller.SID[:], be32(te))
	resp, err := s.sellers.Verify(ctx, seller.Endpoint, req)
	if err != nil {
		return nil, sellerError(err)
	}
	if err := s.fresh(resp.T); err != nil {
		return nil, err
	}
	want := h(tk[:], lblSj, resp.C, mi, be32(resp.T), req.S[:])
	if !macEqual(want[:], resp.S[:]) {
		return nil, fmt.Errorf("%w: S_j", ErrAuth)
	}
	pt, err := dec(tk[:], "C_j", resp.C)
	if err != nil {
		return nil, err
	}
	deal, err := decodeDeal(pt)
	if err != nil {
		return nil, err
	}
	if deal.OrderNo != orderNo || deal.SellerTaxID != seller.SID {
		return nil, fmt.Errorf("%w: the seller answered for another order", ErrDealMismatch)
	}
	return deal, nil
}

// issue builds and signs the invoice of a deal, and wants its total to be
// what the buyer paid.
func (s *System) issue(deal *Deal, o *Order) (*invoice.Signed, error) {
	now := s.now().In(invoice.ChinaTime)
	inv := &invoice.Invoice{
		Number:    invoiceNumber(now),
		IssueDate: now.Format(invoice.DateLayout),
		Seller:    invoice.Party{Name: deal.SellerName, TaxID: deal.SellerTaxID.String()},
		Buyer:     invoice.Party{Name: o.BuyerName, TaxID: o.BuyerTaxID},
		Items:     deal.Items,
	}
	sd, err := invoice.Sign(s.signer, inv)
	if errors.Is(err, invoice.ErrInvalid) {
		return nil, fmt.Errorf("%w: %w", ErrDealMismatch, err)
	}
	if err != nil {
		return nil, err
	}
	if sd.Invoice.Total != o.Amount {
		return nil, fmt.Errorf("%w: invoice total %d fen, the buyer paid %d", ErrDealMismatch, sd.Invoice.Total, o.Amount)
	}
	return sd, nil
}

// invoiceNumber is a fresh 20-digit number: the year's last two digits,
// 11 digits of milliseconds since the year began (China Standard Time)
// and 7 digits of a counter of this process that starts at random.
// Numbers issued later sort later, so the store's index of numbers grows
// at its end (package doc, "Storage"). One process never repeats a
// number unless it issues 10⁷ invoices within one millisecond (or its
// clock goes back and it issues 10⁷ in between); two processes on one
// database may collide, rarely: the store refuses a number it has
// (errNumberTaken) and Request asks the seller and issues again, under
// a new number.
func invoiceNumber(now time.Time) string {
	now = now.In(invoice.ChinaTime)
	ms := now.Sub(time.Date(now.Year(), 1, 1, 0, 0, 0, 0, invoice.ChinaTime)).Milliseconds()
	return fmt.Sprintf("%02d%011d%07d", now.Year()%100, ms, invoiceSeq.Add(1)%10_000_000)
}

// invoiceSeq is invoiceNumber's counter.
var invoiceSeq = func() *atomic.Uint64 {
	n, err := rand.Int(rand.Reader, big.NewInt(10_000_000))
	if err != nil {
		panic(err)
	}
	var c atomic.Uint64
	c.Store(n.Uint64())
	return &c
}()

// numberTries is how many numbers Request tries for one invoice.
const numberTries = 3

// newSessionID is a fresh session handle: 6 bytes of the Unix time in
// milliseconds, then 10 random bytes. Handles made later sort later, so
// the store's session index grows at its end; the time in it is that of
// message 4, which an eavesdropper sees go by anyway.
func newSessionID(now time.Time) [SessionLen]byte {
	var id [SessionLen]byte
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (8 * (5 - i)))
	}
	copy(id[6:], random(SessionLen-6))
	return id
}

// deliver commits the issuance and builds message 4.
func (s *System) deliver(ctx context.Context, m *Request, ss *session, rec *BuyerRecord, sd *invoice.Signed) (*InvoiceResponse, error) {
	next := s.ke.NewIdentity(ss.eID, ss.b)
	now := s.now()
	resp := &InvoiceResponse{Session: newSessionID(now)}
	is := &Issuance{
		Seen:     s.seen("S_i", m.S[:], m.T),
		BuyerTag: rec.Tag, Buyer: rec, UsedID: s.idTag(&m.Identity), NextID: s.idTag(&next),
		Invoice: IssuedInvoice{Number: sd.Invoice.Number, SellerSID: ss.sid, OrderNo: ss.order.OrderNo, BuyerTag: rec.Tag,
			Signed: sd, State: StateIssued, Created: now},
		Session: SessionRecord{ID: resp.Session},
	}
	signed, err := sd.MarshalBinary()
	if err != nil {
		return nil, err
	}
	resp.C = enc(ss.tk[:], "c_e", encodeDelivery(signed, &next))
	resp.S = h(ss.tk[:], lblse, resp.C, ss.eID[:], ss.mi, resp.Session[:])
	is.Session.ConfirmMAC = h(ss.tk[:], lblRi, ss.eID[:], ss.sid[:], ss.mi, resp.S[:])
	if _, err := s.store.Issue(ctx, is); err != nil {
		return nil, err
	}
	return resp, nil
}

// delivery is c_e's plaintext: M_e (its binary export,
// invoice.Signed.MarshalBinary) and the refreshed identity.
func encodeDelivery(signed []byte, next *Identity) []byte {
	w := writer(kindDelivery)
	w.Grow(4 + len(signed) + SaltLen + IDLen + KeyLen)
	w.Bytes32(signed)
	w.Fixed(next.Rho[:])
	w.Fixed(next.HID[:])
	w.Fixed(next.Hb[:])
	return w.B
}

func decodeDelivery(b []byte) ([]byte, Identity, error) {
	r := reader(b, kindDelivery)
	var id Identity
	signed := r.Bytes32(invoice.MaxJSON, "M_e")
	fixed(r, id.Rho[:], "rho'")
	fixed(r, id.HID[:], "HID'")
	fixed(r, id.Hb[:], "Hb'")
	return signed, id, done(r, "delivery")
}

// sellerError keeps the seller's refusals about the order (no such order,
// already invoiced) and makes every other failure of the seller's
// ErrSeller, so a seller's ErrAuth is never taken for the buyer's.
func sellerError(err error) error {
	for _, keep := range []error{ErrUnknownOrder, ErrAlreadyInvoiced} {
		if errors.Is(err, keep) {
			return fmt.Errorf("%w: the seller says: %v", keep, err)
		}
	}
	return fmt.Errorf("%w: %v", ErrSeller, err)
}

// sameOrder wants an invoice issued before to be the one the order asks
// for now (amount and title), so a retry never delivers a mismatch.
func sameOrder(sd *invoice.Signed, o *Order) error {
	inv := &sd.Invoice
	if inv.Total != o.Amount || inv.Buyer.Name != o.BuyerName || inv.Buyer.TaxID != o.BuyerTaxID {
		return fmt.Errorf("%w: the order's invoice %s says total %d fen for %q", ErrDealMismatch, inv.Number, inv.Total, inv.Buyer.Name)
	}
	return nil
}
