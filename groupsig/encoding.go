package groupsig

import (
	"encoding/binary"
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// Encoded sizes of keys and updates. Every encoding is fixed-size and
// canonical: decoding and re-encoding gives the same bytes.
const (
	PublicKeySize  = 8 + 4*bls12.G1Size + 2*bls12.G2Size                // 392
	MemberKeySize  = 8 + bls12.G1Size + bls12.ScalarSize                // 88
	IssuerKeySize  = bls12.ScalarSize + PublicKeySize                   // 424
	OpenerKeySize  = 2*bls12.ScalarSize + 3*bls12.G1Size                // 208
	RevocationSize = 8 + bls12.G1Size + bls12.ScalarSize + bls12.G2Size // 184
)

// reader consumes a fixed-size encoding field by field and keeps the first error.
type reader struct {
	b   []byte
	err error
}

func newReader(b []byte, want int, what string) *reader {
	r := &reader{b: b}
	if len(b) != want {
		r.err = fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, what, len(b), want)
	}
	return r
}

func (r *reader) next(n int) []byte {
	if r.err != nil {
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) fail(field string, err error) {
	if r.err == nil && err != nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrMalformed, field, err)
	}
}

func (r *reader) uint64() uint64 { return binary.BigEndian.Uint64(r.next(8)) }

func (r *reader) g1(field string) bls.G1Affine {
	return readField(r, field, bls12.G1Size, bls12.DecodeG1)
}

func (r *reader) g2(field string) bls.G2Affine {
	return readField(r, field, bls12.G2Size, bls12.DecodeG2)
}

func (r *reader) scalar(field string) fr.Element {
	return readField(r, field, bls12.ScalarSize, bls12.DecodeNonZeroScalar)
}

// readField reads one n-byte field with decode, unless an error came first.
func readField[T any](r *reader, field string, n int, decode func([]byte) (T, error)) T {
	var v T
	b := r.next(n)
	if r.err == nil {
		var err error
		v, err = decode(b)
		r.fail(field, err)
	}
	return v
}

func appendG1(b []byte, ps ...*bls.G1Affine) []byte {
	for _, p := range ps {
		e := p.Bytes()
		b = append(b, e[:]...)
	}
	return b
}

func appendG2(b []byte, ps ...*bls.G2Affine) []byte {
	for _, p := range ps {
		e := p.Bytes()
		b = append(b, e[:]...)
	}
	return b
}

func appendScalar(b []byte, ss ...*fr.Element) []byte {
	for _, s := range ss {
		e := s.Bytes()
		b = append(b, e[:]...)
	}
	return b
}

// MarshalBinary encodes pk as epoch ‖ g1 ‖ h ‖ u ‖ v ‖ g2 ‖ w.
func (pk *PublicKey) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, PublicKeySize), pk.Epoch)
	b = appendG1(b, &pk.G1, &pk.H, &pk.U, &pk.V)
	return appendG2(b, &pk.G2, &pk.W), nil
}

// UnmarshalBinary decodes a public key; every point must be a canonical
// encoding of a non-identity subgroup element.
func (pk *PublicKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, PublicKeySize, "public key")
	epoch := r.uint64()
	g1, h, u, v := r.g1("g1"), r.g1("h"), r.g1("u"), r.g1("v")
	g2, w := r.g2("g2"), r.g2("w")
	if r.err != nil {
		return r.err
	}
	*pk = PublicKey{Epoch: epoch, G1: g1, H: h, U: u, V: v, G2: g2, W: w}
	return nil
}

// ParsePublicKey decodes a public key.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	pk := new(PublicKey)
	if err := pk.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return pk, nil
}

// MarshalBinary encodes mk as epoch ‖ A ‖ x.
func (mk *MemberKey) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, MemberKeySize), mk.Epoch)
	b = appendG1(b, &mk.A)
	return appendScalar(b, &mk.X), nil
}

// ParseMemberKey decodes a member key. It checks the encoding only; call
// Check to verify the key against the group public key.
func ParseMemberKey(b []byte) (*MemberKey, error) {
	r := newReader(b, MemberKeySize, "member key")
	mk := &MemberKey{Epoch: r.uint64(), A: r.g1("A"), X: r.scalar("x")}
	if r.err != nil {
		return nil, r.err
	}
	return mk, nil
}

// MarshalBinary encodes ik as γ ‖ public key.
func (ik *IssuerKey) MarshalBinary() ([]byte, error) {
	b := appendScalar(make([]byte, 0, IssuerKeySize), &ik.Gamma)
	pk, _ := ik.PK.MarshalBinary()
	return append(b, pk...), nil
}

// ParseIssuerKey decodes an issuer key and checks w = g2^γ.
func ParseIssuerKey(b []byte) (*IssuerKey, error) {
	r := newReader(b, IssuerKeySize, "issuer key")
	gamma := r.scalar("gamma")
	pkb := r.next(PublicKeySize)
	if r.err != nil {
		return nil, r.err
	}
	pk, err := ParsePublicKey(pkb)
	if err != nil {
		return nil, err
	}
	if w := mulG2(&pk.G2, &gamma); !w.Equal(&pk.W) {
		return nil, fmt.Errorf("%w: issuer secret does not match w", ErrInvalidKey)
	}
	return &IssuerKey{Gamma: gamma, PK: pk}, nil
}

// MarshalBinary encodes ok as ξ1 ‖ ξ2 ‖ h ‖ u ‖ v.
func (ok *OpenerKey) MarshalBinary() ([]byte, error) {
	b := appendScalar(make([]byte, 0, OpenerKeySize), &ok.Xi1, &ok.Xi2)
	return appendG1(b, &ok.Public.H, &ok.Public.U, &ok.Public.V), nil
}

// ParseOpenerKey decodes an opener key and checks u^ξ1 = v^ξ2 = h.
func ParseOpenerKey(b []byte) (*OpenerKey, error) {
	r := newReader(b, OpenerKeySize, "opener key")
	ok := &OpenerKey{Xi1: r.scalar("xi1"), Xi2: r.scalar("xi2")}
	ok.Public = OpenerPublicKey{H: r.g1("h"), U: r.g1("u"), V: r.g1("v")}
	if r.err != nil {
		return nil, r.err
	}
	hu, hv := mulAffine(&ok.Public.U, &ok.Xi1), mulAffine(&ok.Public.V, &ok.Xi2)
	if !hu.Equal(&ok.Public.H) || !hv.Equal(&ok.Public.H) {
		return nil, fmt.Errorf("%w: opener secrets do not match h, u, v", ErrInvalidKey)
	}
	return ok, nil
}

// MarshalBinary encodes rev as epoch ‖ A* ‖ x* ‖ g2'.
func (rev *Revocation) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, RevocationSize), rev.Epoch)
	b = appendG1(b, &rev.A)
	b = appendScalar(b, &rev.X)
	return appendG2(b, &rev.G2), nil
}

// ParseRevocation decodes a revocation update. It checks the encoding only;
// PublicKey.Apply checks the update against the key it updates.
func ParseRevocation(b []byte) (*Revocation, error) {
	r := newReader(b, RevocationSize, "revocation")
	rev := &Revocation{Epoch: r.uint64(), A: r.g1("A"), X: r.scalar("x"), G2: r.g2("g2")}
	if r.err != nil {
		return nil, r.err
	}
	return rev, nil
}
