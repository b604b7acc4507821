package groupsig

import (
	"encoding/binary"
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// SignatureSize is the length of an encoded signature: the epoch, three
// compressed G1 points and six scalars (BBS04's σ = (T1, T2, T3, c, sα, sβ,
// sx, sδ1, sδ2) plus the 8-byte epoch).
const SignatureSize = 8 + 3*bls12.G1Size + 6*bls12.ScalarSize // 344

// Signature is a BBS04 group signature. T1, T2 are a linear encryption of
// the signer's A to the opener; T3 = A·h^(α+β); C is the Fiat–Shamir challenge
// and S the responses (sα, sβ, sx, sδ1, sδ2).
type Signature struct {
	Epoch      uint64
	T1, T2, T3 bls.G1Affine
	C          fr.Element
	S          [5]fr.Element
}

// MarshalBinary encodes sig as SignatureSize bytes: epoch (big-endian),
// T1, T2, T3 (compressed), then c, sα, sβ, sx, sδ1, sδ2 (big-endian).
func (sig *Signature) MarshalBinary() ([]byte, error) {
	return sig.AppendBinary(make([]byte, 0, SignatureSize))
}

// AppendBinary appends the encoding of sig to b.
func (sig *Signature) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint64(b, sig.Epoch)
	for _, p := range []*bls.G1Affine{&sig.T1, &sig.T2, &sig.T3} {
		e := p.Bytes()
		b = append(b, e[:]...)
	}
	e := sig.C.Bytes()
	b = append(b, e[:]...)
	for i := range sig.S {
		e := sig.S[i].Bytes()
		b = append(b, e[:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes a signature. It rejects a wrong length, points that
// are not canonical compressed encodings of non-identity points in the
// prime-order subgroup, and scalars that are not below the group order.
// The result is only well-formed; Verify says whether it is valid.
func (sig *Signature) UnmarshalBinary(b []byte) error {
	if len(b) != SignatureSize {
		return fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(b), SignatureSize)
	}
	var s Signature
	s.Epoch = binary.BigEndian.Uint64(b)
	b = b[8:]
	var err error
	for i, p := range []*bls.G1Affine{&s.T1, &s.T2, &s.T3} {
		if *p, err = bls12.DecodeG1(b[:bls12.G1Size]); err != nil {
			return fmt.Errorf("%w: T%d: %w", ErrMalformed, i+1, err)
		}
		b = b[bls12.G1Size:]
	}
	for i, p := range append([]*fr.Element{&s.C}, &s.S[0], &s.S[1], &s.S[2], &s.S[3], &s.S[4]) {
		if *p, err = bls12.DecodeScalar(b[:bls12.ScalarSize]); err != nil {
			return fmt.Errorf("%w: scalar %d: %w", ErrMalformed, i, err)
		}
		b = b[bls12.ScalarSize:]
	}
	*sig = s
	return nil
}
