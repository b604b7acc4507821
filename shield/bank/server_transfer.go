package bank

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

// PreSubmit answers a pre-submitted payment (step 2): the order with a
// fresh nonce, signed by the server key and SM2-encrypted to the key of
// the account's certificate. An account holding Config.PerClient
// unconfirmed orders gets ErrRateLimited.
func (s *Server) PreSubmit(ctx context.Context, m *PreSubmit) (*PreSubmitResponse, error) {
	if err := s.payer(ctx, m.Session, &m.Payment); err != nil {
		return nil, err
	}
	pub, err := s.accountKey(ctx, m.Account)
	if err != nil {
		return nil, err
	}
	o := &Order{ID: newID(), Expires: s.c.Now().Add(s.c.OrderTTL).Truncate(time.Second).UTC(), Payment: m.Payment}
	rand.Read(o.Nonce[:])
	body, err := o.body()
	if err != nil {
		return nil, err
	}
	if o.ServerSig, err = signSM2(s.c.Key, ctxOrder, body); err != nil {
		return nil, err
	}
	enc, err := o.MarshalBinary()
	if err != nil {
		return nil, err
	}
	sealed, err := sm2.EncryptASN1(rand.Reader, pub, enc)
	if err != nil {
		return nil, err
	}
	rec := OrderRecord{ID: o.ID, Account: o.Account, Encoding: enc, Expires: o.Expires}
	if err := s.orders.put(o.ID, "account "+o.Account, s.c.PerClient, rec, o.Expires, s.c.Now()); err != nil {
		return nil, err
	}
	return &PreSubmitResponse{ID: o.ID, Sealed: sealed}, nil
}

// payer checks that the session is live and is the paying account's.
func (s *Server) payer(ctx context.Context, token [TokenSize]byte, p *Payment) error {
	ses, err := s.session(ctx, token)
	if err != nil {
		return err
	}
	if ses.Account != p.Account {
		return fmt.Errorf("%w: session is for %s", ErrSession, ses.Account)
	}
	return nil
}

// Confirm books a card-signed order (steps 4–5): the transaction text
// must be the order exactly as issued, signed by the account's
// certificate key; the nonce is used up in the transfer's transaction. A
// retry of the same confirmation returns the first receipt.
func (s *Server) Confirm(ctx context.Context, m *Confirm) (*Receipt, error) {
	var o Order
	if err := o.UnmarshalBinary(m.Order); err != nil {
		return nil, err
	}
	rec, err := s.issuedOrder(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(rec.Encoding, m.Order) {
		return nil, fmt.Errorf("%w: order %x", ErrOrderMismatch, o.ID[:])
	}
	pub, err := s.accountKey(ctx, rec.Account)
	if err != nil {
		return nil, err
	}
	if err := verifySM2(pub, ctxConfirm, m.Order, m.Sig); err != nil {
		return nil, err
	}
	enc, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	rc, err := s.c.Store.Transfer(ctx, Transfer{ID: o.ID, RequestHash: sm3Sum(enc), Order: &rec,
		Payment: o.Payment, Level: LevelCertificate, At: s.c.Now()})
	if err != nil {
		return nil, err
	}
	s.orders.drop(o.ID)
	return &rc, nil
}

// issuedOrder returns the order as issued: held in memory until its
// first confirmation, then recorded by the store with its transfer (a
// retry finds it there). An order neither holds was never issued, has
// expired, or was lost in a restart before it was confirmed.
func (s *Server) issuedOrder(ctx context.Context, id [IDSize]byte) (OrderRecord, error) {
	if rec, ok := s.orders.get(id); ok {
		return rec, nil
	}
	rec, err := s.c.Store.Order(ctx, id)
	if errors.Is(err, ErrOrder) {
		return rec, fmt.Errorf("%w: %x is not outstanding (expired, or issued before a restart: submit again)", ErrOrder, id[:])
	}
	return rec, err
}

// Transfer books a payment on the session alone: allowed while the
// account's non-counter total of the day (this transfer included) stays
// within DailyLimit; above it ErrCertificateRequired.
func (s *Server) Transfer(ctx context.Context, m *SessionTransfer) (*Receipt, error) {
	if err := s.payer(ctx, m.Session, &m.Payment); err != nil {
		return nil, err
	}
	enc, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	// The session token is not part of the request's identity: a retry
	// under a fresh session is the same request.
	h := sm3Sum(enc[1+TokenSize:])
	rc, err := s.c.Store.Transfer(ctx, Transfer{ID: m.ID, RequestHash: h, Payment: m.Payment, Level: LevelPassword, At: s.c.Now()})
	if err != nil {
		return nil, err
	}
	return &rc, nil
}
