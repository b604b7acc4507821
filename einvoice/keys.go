package einvoice

import "fmt"

// MasterKey is the system's master key Ke. Everything the system derives
// for a buyer or a seller comes from it, so it stores no per-party key.
type MasterKey [KeyLen]byte

// NewMasterKey returns a fresh random Ke.
func NewMasterKey() *MasterKey {
	var k MasterKey
	copy(k[:], random(KeyLen))
	return &k
}

// Zero overwrites the key.
func (ke *MasterKey) Zero() { clear(ke[:]) }

// BioKey is b_i, the buyer's 32-byte biometric key (a fuzzy extractor's
// output).
type BioKey [KeyLen]byte

// Identity is a buyer's anonymous identity, as shown in a request:
//
//	HID_i = eID_i ⊕ h(b_i, Ke, ρ)   (18 bytes)
//	Hb_i  = b_i ⊕ h(HID_i, Ke)      (32 bytes)
//	ρ                                (16 random bytes, fresh per identity)
type Identity struct {
	HID [IDLen]byte
	Hb  [KeyLen]byte
	Rho [SaltLen]byte
}

// BuyerKey is K_i = h(Ke, eID_i, b_i).
func (ke *MasterKey) BuyerKey(eID EID, b *BioKey) [KeyLen]byte {
	return h(ke[:], lblKi, eID[:], b[:])
}

// SellerKey is K_j = h(Ke, sID_j).
func (ke *MasterKey) SellerKey(sID SID) [KeyLen]byte {
	return h(ke[:], lblKj, sID[:])
}

// NewIdentity makes a fresh anonymous identity of (eID, b) with a new ρ.
func (ke *MasterKey) NewIdentity(eID EID, b *BioKey) Identity {
	var id Identity
	copy(id.Rho[:], random(SaltLen))
	copy(id.HID[:], xor(eID[:], mask(IDLen, b[:], lblHID, ke[:], id.Rho[:])))
	copy(id.Hb[:], xor(b[:], mask(KeyLen, id.HID[:], lblHb, ke[:])))
	return id
}

// Open recovers b_i = Hb_i ⊕ h(HID_i, Ke) and eID_i = HID_i ⊕ h(b_i, Ke, ρ).
// It cannot tell a forged identity: the eID it returns is then garbage,
// which the registration lookup and the MAC refuse. It fails only if the
// recovered eID is not even well-formed.
func (ke *MasterKey) Open(id *Identity) (EID, *BioKey, error) {
	var b BioKey
	copy(b[:], xor(id.Hb[:], mask(KeyLen, id.HID[:], lblHb, ke[:])))
	raw := xor(id.HID[:], mask(IDLen, b[:], lblHID, ke[:], id.Rho[:]))
	eID, err := ParseEID(string(raw))
	if err != nil {
		return EID{}, nil, fmt.Errorf("%w: %v", ErrUnknownIdentity, err)
	}
	return eID, &b, nil
}

// tag is a keyed hash the system stores instead of an identifier:
// h(Ke, "tag", kind, x…). A stolen database names nobody without Ke.
func (ke *MasterKey) tag(kind string, parts ...[]byte) []byte {
	t := h(ke[:], lblTag, append([][]byte{[]byte(kind)}, parts...)...)
	return t[:]
}

// sessionKey is TK = h(K, t) under label lbl (TK_i, TK_j, TK_n).
func sessionKey(k *[KeyLen]byte, lbl string, t uint32) [KeyLen]byte {
	return h(k[:], lbl, be32(t))
}
