package groupsig

import (
	"encoding/binary"
	"fmt"
	"io"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// EscrowSize is the length of an encoded escrow: the epoch and three
// compressed G1 points.
const EscrowSize = 8 + 3*bls12.G1Size // 152

// Escrow is the linear encryption (T1, T2, T3) = (u^α, v^β, A·h^(α+β)) of a
// member's credential A to the opener at one key epoch: the first half of a
// BBS04 signature, made ahead of it. A party that commits to an escrow (an
// e-cash coin does, under the module's blind signature) can later demand
// signatures for exactly that escrow (VerifyEscrow): only the member whose A
// is inside can make them, and every one of them opens to that member.
// Escrows made with fresh (α, β) are unlinkable (BBS04 §5, under DLIN).
type Escrow struct {
	Epoch      uint64
	T1, T2, T3 bls.G1Affine
}

// EscrowSecret is the randomness (α, β) of an escrow, which its member keeps
// to sign for it later. Zeroize it when the escrow is no longer needed.
type EscrowSecret struct {
	Alpha, Beta fr.Element
}

// Zeroize overwrites the secret scalars.
func (s *EscrowSecret) Zeroize() { s.Alpha.SetZero(); s.Beta.SetZero() }

// Escrow encrypts mk's A under pk with (α, β) drawn from rand. A reader
// that is a deterministic stream (a wallet's seed-derived coin secrets)
// gives the same escrow again, so a restored wallet can re-derive it.
func (mk *MemberKey) Escrow(rand io.Reader, pk *PublicKey) (*Escrow, *EscrowSecret, error) {
	if mk.Epoch != pk.Epoch {
		return nil, nil, fmt.Errorf("%w: key epoch %d, public key epoch %d", ErrStaleKey, mk.Epoch, pk.Epoch)
	}
	sec := new(EscrowSecret)
	if err := bls12.RandomScalars(rand, &sec.Alpha, &sec.Beta); err != nil {
		return nil, nil, err
	}
	pre := pk.precomp()
	var ab fr.Element
	ab.Add(&sec.Alpha, &sec.Beta)
	t3 := pre.h.Mul(&ab)
	bls12.AddMixed(&t3, &mk.A)
	ab.SetZero()
	aff := bls12.ToAffine([]bls.G1Jac{pre.u.Mul(&sec.Alpha), pre.v.Mul(&sec.Beta), t3})
	return &Escrow{Epoch: pk.Epoch, T1: aff[0], T2: aff[1], T3: aff[2]}, sec, nil
}

// SignEscrow signs msg with a signature whose linear encryption is exactly
// esc, made earlier by Escrow with sec. It fails with ErrStaleKey if mk, pk
// and esc are not all at one epoch, and with ErrEscrowMismatch if sec and
// mk do not make esc.
func (mk *MemberKey) SignEscrow(rand io.Reader, pk *PublicKey, esc *Escrow, sec *EscrowSecret, msg []byte) (*Signature, error) {
	if mk.Epoch != pk.Epoch || esc.Epoch != pk.Epoch {
		return nil, fmt.Errorf("%w: key epoch %d, escrow epoch %d, public key epoch %d", ErrStaleKey, mk.Epoch, esc.Epoch, pk.Epoch)
	}
	sig, err := mk.sign(rand, pk, &sec.Alpha, &sec.Beta, msg)
	if err != nil {
		return nil, err
	}
	if got := sig.Escrow(); !got.Equal(esc) {
		return nil, ErrEscrowMismatch
	}
	return sig, nil
}

// VerifyEscrow reports whether sig is a valid group signature on msg under
// pk whose linear encryption is exactly esc. It returns nil,
// ErrEscrowMismatch, ErrWrongEpoch or ErrInvalidSignature.
func (pk *PublicKey) VerifyEscrow(msg []byte, sig *Signature, esc *Escrow) error {
	if got := sig.Escrow(); !got.Equal(esc) {
		return ErrEscrowMismatch
	}
	return pk.Verify(msg, sig)
}

// Escrow returns the linear encryption a signature carries.
func (sig *Signature) Escrow() Escrow {
	return Escrow{Epoch: sig.Epoch, T1: sig.T1, T2: sig.T2, T3: sig.T3}
}

// Equal reports whether e and o are the same escrow.
func (e *Escrow) Equal(o *Escrow) bool {
	return e.Epoch == o.Epoch && e.T1.Equal(&o.T1) && e.T2.Equal(&o.T2) && e.T3.Equal(&o.T3)
}

// MarshalBinary encodes the escrow as EscrowSize bytes: the epoch
// (big-endian), then T1, T2, T3 compressed.
func (e *Escrow) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, EscrowSize), e.Epoch)
	for _, p := range []*bls.G1Affine{&e.T1, &e.T2, &e.T3} {
		enc := p.Bytes()
		b = append(b, enc[:]...)
	}
	return b, nil
}

// ParseEscrow decodes an escrow, rejecting non-canonical encodings as the
// signature decoder does.
func ParseEscrow(b []byte) (*Escrow, error) {
	if len(b) != EscrowSize {
		return nil, fmt.Errorf("%w: escrow is %d bytes, want %d", ErrMalformed, len(b), EscrowSize)
	}
	e := &Escrow{Epoch: binary.BigEndian.Uint64(b)}
	b = b[8:]
	var err error
	for i, p := range []*bls.G1Affine{&e.T1, &e.T2, &e.T3} {
		if *p, err = bls12.DecodeG1(b[:bls12.G1Size]); err != nil {
			return nil, fmt.Errorf("%w: T%d: %w", ErrMalformed, i+1, err)
		}
		b = b[bls12.G1Size:]
	}
	return e, nil
}
