package einvoice

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// Registration messages. Each carries one sealed blob: an SM2 ciphertext
// to the system's key (requests) or an SM4-GCM ciphertext under the
// requester's one-time key k_r (answers).
type (
	BuyerRegistration  struct{ Sealed []byte }
	BuyerRegistered    struct{ Sealed []byte }
	SellerRegistration struct{ Sealed []byte }
	SellerRegistered   struct{ Sealed []byte }
)

func marshalSealed(k Kind, sealed []byte, max int) ([]byte, error) {
	if len(sealed) == 0 || len(sealed) > max {
		return nil, errLen("sealed registration", len(sealed))
	}
	w := writer(k)
	w.Bytes16(sealed)
	return w.B, nil
}

func unmarshalSealed(b []byte, k Kind, max int) ([]byte, error) {
	r := reader(b, k)
	s := r.Bytes16(max, "sealed")
	if r.Err() == nil && len(s) == 0 {
		r.Fail("sealed: empty")
	}
	return s, done(r, "registration")
}

// MarshalBinary encodes the message.
func (m *BuyerRegistration) MarshalBinary() ([]byte, error) {
	return marshalSealed(KindBuyerRegistration, m.Sealed, maxSM2)
}

// UnmarshalBinary decodes the message.
func (m *BuyerRegistration) UnmarshalBinary(b []byte) (err error) {
	m.Sealed, err = unmarshalSealed(b, KindBuyerRegistration, maxSM2)
	return err
}

// MarshalBinary encodes the message.
func (m *BuyerRegistered) MarshalBinary() ([]byte, error) {
	return marshalSealed(KindBuyerRegistered, m.Sealed, maxSM2)
}

// UnmarshalBinary decodes the message.
func (m *BuyerRegistered) UnmarshalBinary(b []byte) (err error) {
	m.Sealed, err = unmarshalSealed(b, KindBuyerRegistered, maxSM2)
	return err
}

// MarshalBinary encodes the message.
func (m *SellerRegistration) MarshalBinary() ([]byte, error) {
	return marshalSealed(KindSellerRegistration, m.Sealed, maxSM2+MaxURL)
}

// UnmarshalBinary decodes the message.
func (m *SellerRegistration) UnmarshalBinary(b []byte) (err error) {
	m.Sealed, err = unmarshalSealed(b, KindSellerRegistration, maxSM2+MaxURL)
	return err
}

// MarshalBinary encodes the message.
func (m *SellerRegistered) MarshalBinary() ([]byte, error) {
	return marshalSealed(KindSellerRegistered, m.Sealed, maxSM2)
}

// UnmarshalBinary decodes the message.
func (m *SellerRegistered) UnmarshalBinary(b []byte) (err error) {
	m.Sealed, err = unmarshalSealed(b, KindSellerRegistered, maxSM2)
	return err
}

// regPayload is what a registration request seals: the identifier (eID
// or sID), b_i (buyers), t_0, a nonce, the reply key k_r, and the seller's
// endpoint (sellers).
type regPayload struct {
	ID       [IDLen]byte
	Bio      BioKey
	T        uint32
	Nonce    [NonceLen]byte
	ReplyKey [KeyLen]byte
	Endpoint string
}

func (p *regPayload) encode(k Kind) []byte {
	w := writer(k)
	w.Fixed(p.ID[:])
	if k == kindBuyerReg {
		w.Fixed(p.Bio[:])
	}
	w.U32(p.T)
	w.Fixed(p.Nonce[:])
	w.Fixed(p.ReplyKey[:])
	if k == kindSellerReg {
		w.String16(p.Endpoint)
	}
	return w.B
}

func decodeRegPayload(b []byte, k Kind) (*regPayload, error) {
	r := reader(b, k)
	var p regPayload
	fixed(r, p.ID[:], "identifier")
	if k == kindBuyerReg {
		fixed(r, p.Bio[:], "b_i")
	}
	p.T = r.U32("t_0")
	fixed(r, p.Nonce[:], "nonce")
	fixed(r, p.ReplyKey[:], "k_r")
	if k == kindSellerReg {
		p.Endpoint = text(r, MaxURL, false, "endpoint")
	}
	return &p, done(r, "registration")
}

// replyField is the associated data of a registration answer: it binds
// the answer to the request it answers.
func replyField(kind string, request []byte) string {
	d := sm3.Sum(request)
	return kind + "\x00" + string(d[:])
}

// sealRegistration builds a registration request payload for pub.
func sealRegistration(pub *ecdsa.PublicKey, k Kind, p *regPayload) ([]byte, error) {
	copy(p.Nonce[:], random(NonceLen))
	copy(p.ReplyKey[:], random(KeyLen))
	pt := p.encode(k)
	defer clear(pt)
	return sm2.Encrypt(rand.Reader, pub, pt, nil)
}

// openRegistration decrypts and checks a registration request: its kind,
// its time and its nonce's scope.
func (s *System) openRegistration(sealed []byte, k Kind) (*regPayload, Seen, error) {
	pt, err := sm2.Decrypt(s.key, sealed)
	if err != nil {
		return nil, Seen{}, fmt.Errorf("%w: registration does not decrypt", ErrAuth)
	}
	defer clear(pt)
	p, err := decodeRegPayload(pt, k)
	if err != nil {
		return nil, Seen{}, err
	}
	if err := s.fresh(p.T); err != nil {
		return nil, Seen{}, err
	}
	return p, s.seen("reg", p.Nonce[:], p.T), nil
}

// RegisterBuyer is the system's side of buyer registration.
func (s *System) RegisterBuyer(ctx context.Context, m *BuyerRegistration) (*BuyerRegistered, error) {
	p, seen, err := s.openRegistration(m.Sealed, kindBuyerReg)
	if err != nil {
		return nil, err
	}
	defer clear(p.Bio[:])
	eID, err := ParseEID(string(p.ID[:]))
	if err != nil {
		return nil, err
	}
	id := s.ke.NewIdentity(eID, &p.Bio)
	if err := s.store.RegisterBuyer(ctx, BuyerRecord{Tag: s.ke.tag("eID", eID[:]), Current: s.idTag(&id)}, seen); err != nil {
		return nil, err
	}
	ki := s.ke.BuyerKey(eID, &p.Bio)
	creds := encodeCreds(&ki, &id)
	defer clear(creds)
	req, _ := m.MarshalBinary()
	return &BuyerRegistered{Sealed: enc(p.ReplyKey[:], replyField("BuyerRegistered", req), creds)}, nil
}

// RegisterSeller is the system's side of seller registration.
func (s *System) RegisterSeller(ctx context.Context, m *SellerRegistration) (*SellerRegistered, error) {
	p, seen, err := s.openRegistration(m.Sealed, kindSellerReg)
	if err != nil {
		return nil, err
	}
	sid, err := ParseSID(string(p.ID[:]))
	if err != nil {
		return nil, err
	}
	if err := s.store.RegisterSeller(ctx, SellerRecord{Tag: s.ke.tag("sID", sid[:]), SID: sid, Endpoint: p.Endpoint}, seen); err != nil {
		return nil, err
	}
	kj := s.ke.SellerKey(sid)
	w := writer(kindSellerAnswer)
	w.Fixed(kj[:])
	req, _ := m.MarshalBinary()
	return &SellerRegistered{Sealed: enc(p.ReplyKey[:], replyField("SellerRegistered", req), w.B)}, nil
}

// PendingSeller is a seller's registration in flight.
type PendingSeller struct {
	sid      SID
	replyKey [KeyLen]byte
	request  []byte
}

// NewSellerRegistration starts a seller's registration with the system
// whose registration key is pub; endpoint is where the system reaches the
// seller's invoicing server.
func NewSellerRegistration(pub *ecdsa.PublicKey, sid SID, endpoint string, now time.Time) (*SellerRegistration, *PendingSeller, error) {
	p := &regPayload{ID: sid, T: uint32(now.Unix()), Endpoint: endpoint}
	sealed, err := sealRegistration(pub, kindSellerReg, p)
	if err != nil {
		return nil, nil, err
	}
	m := &SellerRegistration{Sealed: sealed}
	req, err := m.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	return m, &PendingSeller{sid: sid, replyKey: p.ReplyKey, request: req}, nil
}

// Finish opens the system's answer and returns K_j.
func (p *PendingSeller) Finish(m *SellerRegistered) ([KeyLen]byte, error) {
	var kj [KeyLen]byte
	pt, err := dec(p.replyKey[:], replyField("SellerRegistered", p.request), m.Sealed)
	if err != nil {
		return kj, err
	}
	r := reader(pt, kindSellerAnswer)
	fixed(r, kj[:], "K_j")
	return kj, done(r, "seller registration answer")
}

// creds is the buyer's registration answer: K_i and the identity.
func encodeCreds(ki *[KeyLen]byte, id *Identity) []byte {
	w := writer(kindBuyerCreds)
	w.Fixed(ki[:])
	w.Fixed(id.HID[:])
	w.Fixed(id.Hb[:])
	w.Fixed(id.Rho[:])
	return w.B
}

func decodeCreds(b []byte, k Kind) ([KeyLen]byte, Identity, error) {
	r := reader(b, k)
	var ki [KeyLen]byte
	var id Identity
	fixed(r, ki[:], "K_i")
	fixed(r, id.HID[:], "HID_i")
	fixed(r, id.Hb[:], "Hb_i")
	fixed(r, id.Rho[:], "rho")
	return ki, id, done(r, "credentials")
}
