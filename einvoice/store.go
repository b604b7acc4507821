package einvoice

import (
	"bytes"
	"context"
	"errors"
	"time"

	"trustbank/einvoice/invoice"
)

// ErrNotFound is returned by stores for a missing record.
var ErrNotFound = errors.New("einvoice: not found")

// Seen is one entry of a replay cache: a MAC or nonce (Tag) in a Scope
// ("S_i", "reg", "seller:<sID>"…) of a message timestamped At (which the
// MAC covers: a replay has the same At), kept until the window of At has
// passed (Prune).
type Seen struct {
	Scope string
	Tag   []byte
	At    time.Time
}

// InvoiceState is where an issued invoice is:
//
//	Issued ──(R_i verified)──▶ Confirmed ──(seller acknowledged message 6)──▶ Notified
type InvoiceState uint8

const (
	StateIssued    InvoiceState = 1
	StateConfirmed InvoiceState = 2
	StateNotified  InvoiceState = 3
)

// Next is the one transition function: confirming an issued invoice, or
// recording the seller's acknowledgement of a confirmed one. Repeating a
// step already taken keeps the state (retries are idempotent); skipping
// one is an error.
func (s InvoiceState) Next(to InvoiceState) (InvoiceState, error) {
	switch {
	case to <= s:
		return s, nil
	case to == s+1 && s >= StateIssued:
		return to, nil
	default:
		return s, errors.New("einvoice: invoice state cannot skip a step")
	}
}

// IssuedInvoice is an invoice as the system keeps it.
type IssuedInvoice struct {
	Number    string
	SellerSID SID
	OrderNo   string
	BuyerTag  []byte          // tag of the buyer's eID
	Signed    *invoice.Signed // M_e: the signed invoice document
	State     InvoiceState
	Created   time.Time
}

// SessionRecord is what the system keeps between messages 4 and 5.
type SessionRecord struct {
	ID         [SessionLen]byte
	Number     string
	ConfirmMAC [MACLen]byte // the expected R_i
	Confirmed  bool
}

// Issuance is the one durable commit before message 4: the request's
// S_i used, the buyer's identities moved on, the invoice (or the existing
// one of the same order and buyer), and the session.
type Issuance struct {
	Seen     Seen
	BuyerTag []byte
	Buyer    *BuyerRecord // as the request was checked against, if known (the store may skip reading it again)
	UsedID   []byte       // tag of the identity the request showed
	NextID   []byte       // tag of the identity message 4 hands out
	Invoice  IssuedInvoice
	Session  SessionRecord
}

// MaxPending is how many handed-out identities a buyer may have pending
// at once (concurrent or abandoned sessions; see HasIdentity).
const MaxPending = 4

// BuyerRecord is a registered buyer: tags of its current identity and of
// the identities handed out since it was last used (Pending: 32-byte tags
// concatenated, oldest first, at most MaxPending).
type BuyerRecord struct {
	Tag, Current, Pending []byte
}

// pending splits Pending into its tags.
func (b *BuyerRecord) pending() [][]byte {
	var out [][]byte
	for p := b.Pending; len(p) >= KeyLen; p = p[KeyLen:] {
		out = append(out, p[:KeyLen])
	}
	return out
}

// HasIdentity reports whether tag is the current identity or a pending one.
func (b *BuyerRecord) HasIdentity(tag []byte) bool {
	if bytes.Equal(tag, b.Current) {
		return true
	}
	for _, p := range b.pending() {
		if bytes.Equal(tag, p) {
			return true
		}
	}
	return false
}

// Refresh applies the refresh rule for a request that showed used and
// was handed next: a pending identity, once used, becomes current and
// retires the old current and every other pending one; the current
// identity keeps working (a lost message 4 must not lock the buyer out)
// and next joins the pending ones (the oldest dropped beyond MaxPending).
// It returns false if used is neither current nor pending.
func (b *BuyerRecord) Refresh(used, next []byte) bool {
	if !b.HasIdentity(used) {
		return false
	}
	if !bytes.Equal(used, b.Current) {
		b.Current, b.Pending = used, bytes.Clone(next)
		return true
	}
	keep := b.pending()
	if len(keep) >= MaxPending {
		keep = keep[len(keep)-MaxPending+1:]
	}
	b.Pending = append(bytes.Join(keep, nil), next...)
	return true
}

// SellerRecord is a registered seller.
type SellerRecord struct {
	Tag      []byte
	SID      SID
	Endpoint string
}

// Store is the system's storage. Every method is atomic and durable when
// it returns nil (MarkNotified excepted, see there).
type Store interface {
	// RegisterBuyer records the registration nonce (ErrReplay if seen)
	// and sets the buyer's current identity, dropping any pending one.
	RegisterBuyer(ctx context.Context, b BuyerRecord, seen Seen) error
	// Buyer returns a registered buyer or ErrNotFound.
	Buyer(ctx context.Context, tag []byte) (*BuyerRecord, error)
	// RegisterSeller records the nonce (ErrReplay if seen) and the seller.
	RegisterSeller(ctx context.Context, s SellerRecord, seen Seen) error
	// Seller returns a registered seller or ErrNotFound.
	Seller(ctx context.Context, tag []byte) (*SellerRecord, error)
	// InvoiceFor returns the invoice of a seller's order or ErrNotFound.
	InvoiceFor(ctx context.Context, seller SID, orderNo string) (*IssuedInvoice, error)
	// BuyerAndInvoice is Buyer and InvoiceFor in one read: the buyer
	// (ErrNotFound if not registered) and the order's invoice (nil if
	// none).
	BuyerAndInvoice(ctx context.Context, tag []byte, seller SID, orderNo string) (*BuyerRecord, *IssuedInvoice, error)
	// Issue commits an issuance (group-committed with concurrent ones):
	// ErrReplay if Seen is known, ErrUnknownIdentity if UsedID is neither
	// the buyer's current nor pending identity, ErrAlreadyInvoiced if the
	// order has an invoice of another buyer or, of this buyer, with
	// another number than is.Invoice's (a concurrent request issued one
	// first; is.Invoice.Number equal to the stored one is a redelivery).
	// On error nothing is recorded.
	Issue(ctx context.Context, is *Issuance) (*IssuedInvoice, error)
	// Session returns a session or ErrNotFound.
	Session(ctx context.Context, id [SessionLen]byte) (*SessionRecord, error)
	// Confirm checks r against the session's R_i in constant time
	// (ErrAuth; ErrUnknownSession for no session), marks the session's
	// invoice confirmed (idempotent) and returns it without its document
	// (Signed nil: the notice needs only the number, the seller and the
	// order).
	Confirm(ctx context.Context, id [SessionLen]byte, r [MACLen]byte) (*IssuedInvoice, error)
	// MarkNotified records the seller's acknowledgement of the notice of
	// a confirmed invoice (of any other, it changes nothing). It is the
	// one write that need not be durable when it returns: the notice is
	// at-least-once, and an acknowledgement a crash loses only makes
	// ResendNotices send the notice again, which the seller answers
	// idempotently.
	MarkNotified(ctx context.Context, number string) error
	// Unnotified lists confirmed invoices whose notice is not
	// acknowledged (acknowledgements recorded before the call count).
	Unnotified(ctx context.Context) ([]IssuedInvoice, error)
	// Prune drops replay-cache entries of messages timestamped before
	// before.
	Prune(ctx context.Context, before time.Time) (int64, error)
}

// OrderRecord is an order in a seller's book.
type OrderRecord struct {
	Deal      Deal
	InvoiceNo string // "" until the notice names the invoice
}

// SellerStore is a seller's storage: its order book and replay cache.
type SellerStore interface {
	// AddOrder adds an order to seller's book (ErrAlreadyInvoiced if the
	// number is taken).
	AddOrder(ctx context.Context, seller SID, d Deal) error
	// Order returns an order or ErrUnknownOrder.
	Order(ctx context.Context, seller SID, orderNo string) (*OrderRecord, error)
	// See records a MAC in the replay cache, durably; ErrReplay if known.
	See(ctx context.Context, seen Seen) error
	// SeeOrder is See, then Order in the same commit: the MAC is
	// recorded even if there is no such order (ErrUnknownOrder).
	SeeOrder(ctx context.Context, seen Seen, seller SID, orderNo string) (*OrderRecord, error)
	// MarkInvoiced records the notice's MAC (ErrReplay if known) and the
	// invoice of an order: idempotent for the same invoice number,
	// ErrAlreadyInvoiced for another, ErrUnknownOrder for no order.
	MarkInvoiced(ctx context.Context, seller SID, orderNo, invoiceNo string, seen Seen) error
	// Prune drops replay-cache entries of messages timestamped before
	// before.
	Prune(ctx context.Context, before time.Time) (int64, error)
}
