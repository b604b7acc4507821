package einvoice

import (
	"crypto/ecdsa"
	"fmt"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice/invoice"
)

// BuyerConfig is what a buyer's app is configured with (not secret).
type BuyerConfig struct {
	Root *smx509.Certificate // the CA root invoices must chain to
	Now  func() time.Time    // nil: time.Now
}

// Buyer is the buyer's app. What it stores is the fuzzy extractor's
// helper and its credentials K_i and (HID_i, Hb_i, ρ) sealed under
// w = h(b_i, eID_i): nothing opens without the buyer's ID number and a
// face that reproduces b_i.
type Buyer struct {
	cfg    BuyerConfig
	mu     sync.Mutex
	helper []byte // biometric.Helper, marshalled
	wallet []byte // ENC_w(K_i ‖ identity)
}

// walletKey is w = h(b_i, eID_i).
func walletKey(eID EID, b *BioKey) [KeyLen]byte { return h(b[:], lblSeal, eID[:]) }

// seal stores K_i and id in the wallet under w.
func (bu *Buyer) seal(w *[KeyLen]byte, ki *[KeyLen]byte, id *Identity) {
	creds := encodeCreds(ki, id)
	defer clear(creds)
	bu.wallet = enc(w[:], "wallet", creds)
}

// open opens the wallet under w.
func (bu *Buyer) open(w *[KeyLen]byte) ([KeyLen]byte, Identity, error) {
	pt, err := dec(w[:], "wallet", bu.wallet)
	if err != nil {
		return [KeyLen]byte{}, Identity{}, ErrBiometric
	}
	defer clear(pt)
	return decodeCreds(pt, kindBuyerCreds)
}

// MarshalBinary is what the app keeps on the phone: helper and sealed
// wallet (no key in clear).
func (bu *Buyer) MarshalBinary() ([]byte, error) {
	bu.mu.Lock()
	defer bu.mu.Unlock()
	w := writer(kindWallet)
	w.Bytes16(bu.helper)
	w.Bytes16(bu.wallet)
	return w.B, nil
}

// LoadBuyer reads what MarshalBinary wrote.
func LoadBuyer(b []byte, cfg BuyerConfig) (*Buyer, error) {
	r := reader(b, kindWallet)
	helper := r.Bytes16(maxCipher, "helper")
	wallet := r.Bytes16(maxCipher, "wallet")
	if err := done(r, "app state"); err != nil {
		return nil, err
	}
	if len(wallet) != len(encodeCreds(&[KeyLen]byte{}, &Identity{}))+EncOverhead {
		return nil, errLen("wallet", len(wallet))
	}
	return newBuyer(cfg, helper, wallet), nil
}

func nowOf(cfg BuyerConfig) time.Time {
	if cfg.Now == nil {
		return time.Now()
	}
	return cfg.Now()
}

func newBuyer(cfg BuyerConfig, helper, wallet []byte) *Buyer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Buyer{cfg: cfg, helper: append([]byte(nil), helper...), wallet: append([]byte(nil), wallet...)}
}

// PendingBuyer is a buyer's registration in flight.
type PendingBuyer struct {
	eID      EID
	bio      BioKey
	helper   []byte
	replyKey [KeyLen]byte
	request  []byte
}

// newBuyerRegistration seals (eID, b_i) to the system.
func newBuyerRegistration(pub *ecdsa.PublicKey, eID EID, bio *BioKey, helper []byte, now time.Time) (*BuyerRegistration, *PendingBuyer, error) {
	p := &regPayload{ID: eID, Bio: *bio, T: uint32(now.Unix())}
	defer clear(p.Bio[:])
	sealed, err := sealRegistration(pub, kindBuyerReg, p)
	if err != nil {
		return nil, nil, err
	}
	m := &BuyerRegistration{Sealed: sealed}
	req, err := m.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	return m, &PendingBuyer{eID: eID, bio: *bio, helper: helper, replyKey: p.ReplyKey, request: req}, nil
}

// Finish opens the system's answer and returns the registered app.
func (p *PendingBuyer) Finish(m *BuyerRegistered, cfg BuyerConfig) (*Buyer, error) {
	defer clear(p.bio[:])
	pt, err := dec(p.replyKey[:], replyField("BuyerRegistered", p.request), m.Sealed)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	ki, id, err := decodeCreds(pt, kindBuyerCreds)
	if err != nil {
		return nil, err
	}
	bu := newBuyer(cfg, p.helper, nil)
	w := walletKey(p.eID, &p.bio)
	bu.seal(&w, &ki, &id)
	clear(w[:])
	clear(ki[:])
	return bu, nil
}

// BuyerSession is one issuance in flight on the app: after Request,
// before Finish.
type BuyerSession struct {
	bu    *Buyer
	eID   EID
	sid   SID
	order Order
	mi    []byte
	tk    [KeyLen]byte
	w     [KeyLen]byte // to reseal the refreshed identity
	ki    [KeyLen]byte
	done  bool
}

// request builds message 1 with b_i already reproduced.
func (bu *Buyer) request(eID EID, bio *BioKey, sid SID, o Order) (*Request, *BuyerSession, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	bu.mu.Lock()
	defer bu.mu.Unlock()
	w := walletKey(eID, bio)
	ki, id, err := bu.open(&w)
	if err != nil {
		return nil, nil, err
	}
	t := uint32(bu.cfg.Now().Unix())
	ss := &BuyerSession{bu: bu, eID: eID, sid: sid, order: o, mi: o.encode(), tk: sessionKey(&ki, lblTKi, t), w: w, ki: ki}
	m := &Request{Identity: id, T: t}
	m.C1 = enc(ss.tk[:], "C_i1", sid[:])
	m.C2 = enc(ss.tk[:], "C_i2", ss.mi)
	m.S = h(ss.tk[:], lblSi, m.C1, m.C2, eID[:], be32(t), id.Rho[:])
	return m, ss, nil
}

// Finish checks message 4 (s_e; M_e signed under the pinned root and
// matching the order asked for), stores the refreshed identity, and
// returns message 5 and the invoice. A session finishes once, whatever
// the outcome: after an error the app starts a new request.
func (ss *BuyerSession) Finish(m *InvoiceResponse) (*Confirm, *invoice.Signed, error) {
	if ss.done {
		return nil, nil, ErrSessionState
	}
	ss.done = true // every outcome ends the session
	defer ss.Zero()
	want := h(ss.tk[:], lblse, m.C, ss.eID[:], ss.mi, m.Session[:])
	if !macEqual(want[:], m.S[:]) {
		return nil, nil, fmt.Errorf("%w: s_e", ErrAuth)
	}
	pt, err := dec(ss.tk[:], "c_e", m.C)
	if err != nil {
		return nil, nil, err
	}
	signed, next, err := decodeDelivery(pt)
	if err != nil {
		return nil, nil, err
	}
	sd, err := ss.check(signed)
	if err != nil {
		return nil, nil, err
	}
	ss.bu.mu.Lock()
	ss.bu.seal(&ss.w, &ss.ki, &next)
	ss.bu.mu.Unlock()
	return &Confirm{Session: m.Session, R: h(ss.tk[:], lblRi, ss.eID[:], ss.sid[:], ss.mi, m.S[:])}, sd, nil
}

// check verifies M_e and wants it to be the invoice of the order asked for.
func (ss *BuyerSession) check(signed []byte) (*invoice.Signed, error) {
	sd, err := invoice.ParseBinary(signed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvoice, err)
	}
	if err := sd.Verify(ss.bu.cfg.Root); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvoice, err)
	}
	inv := &sd.Invoice
	switch {
	case inv.Total != ss.order.Amount:
		return nil, fmt.Errorf("%w: total %d fen, paid %d", ErrInvoice, inv.Total, ss.order.Amount)
	case inv.Seller.TaxID != ss.sid.String():
		return nil, fmt.Errorf("%w: seller %s, asked %s", ErrInvoice, inv.Seller.TaxID, ss.sid)
	case inv.Buyer.Name != ss.order.BuyerName || inv.Buyer.TaxID != ss.order.BuyerTaxID:
		return nil, fmt.Errorf("%w: made out to %q", ErrInvoice, inv.Buyer.Name)
	}
	return sd, nil
}

// Zero overwrites the session's keys.
func (ss *BuyerSession) Zero() {
	clear(ss.tk[:])
	clear(ss.w[:])
	clear(ss.ki[:])
}
