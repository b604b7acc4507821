package bls12

import (
	"errors"
	"fmt"
	"io"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Encoded sizes.
const (
	G1Size     = bls.SizeOfG1AffineCompressed // 48
	G2Size     = bls.SizeOfG2AffineCompressed // 96
	ScalarSize = fr.Bytes                     // 32
)

// Errors returned by the decoders. Callers wrap them in their own sentinels.
var (
	ErrPointEncoding  = errors.New("bls12: invalid or non-canonical point encoding")
	ErrPointInfinity  = errors.New("bls12: point at infinity not allowed")
	ErrScalarEncoding = errors.New("bls12: scalar not canonical (must be < r)")
	ErrScalarZero     = errors.New("bls12: zero scalar not allowed")
)

// DecodeG1 decodes a 48-byte compressed G1 point. It rejects wrong lengths,
// non-canonical encodings (anything Bytes would not produce), points off the
// curve or outside the prime-order subgroup, and the point at infinity.
func DecodeG1(b []byte) (bls.G1Affine, error) {
	var p bls.G1Affine
	err := decodePoint(&p, b, G1Size, "G1", func() []byte { e := p.Bytes(); return e[:] })
	return p, err
}

// DecodeG2 decodes a 96-byte compressed G2 point with the same checks as DecodeG1.
func DecodeG2(b []byte) (bls.G2Affine, error) {
	var p bls.G2Affine
	err := decodePoint(&p, b, G2Size, "G2", func() []byte { e := p.Bytes(); return e[:] })
	return p, err
}

// decodePoint is DecodeG1 and DecodeG2; encode re-encodes the decoded p.
func decodePoint(p interface {
	SetBytes([]byte) (int, error)
	IsInfinity() bool
}, b []byte, size int, group string, encode func() []byte) error {
	if len(b) != size {
		return fmt.Errorf("%w: %s wants %d bytes, got %d", ErrPointEncoding, group, size, len(b))
	}
	if _, err := p.SetBytes(b); err != nil { // on-curve and subgroup checks included
		return fmt.Errorf("%w: %v", ErrPointEncoding, err)
	}
	if p.IsInfinity() {
		return ErrPointInfinity
	}
	if string(encode()) != string(b) {
		return ErrPointEncoding
	}
	return nil
}

// DecodeScalar decodes a 32-byte big-endian scalar that must be < r.
// Zero is allowed; use DecodeNonZeroScalar where it is not.
func DecodeScalar(b []byte) (fr.Element, error) {
	var s fr.Element
	if err := s.SetBytesCanonical(b); err != nil {
		return s, ErrScalarEncoding
	}
	return s, nil
}

// DecodeNonZeroScalar is DecodeScalar that also rejects zero.
func DecodeNonZeroScalar(b []byte) (fr.Element, error) {
	s, err := DecodeScalar(b)
	if err == nil && s.IsZero() {
		err = ErrScalarZero
	}
	return s, err
}

// RandomScalar samples a uniform non-zero scalar from r. It reads 48 bytes
// and reduces modulo the group order, so the bias is below 2^-128.
func RandomScalar(r io.Reader) (fr.Element, error) {
	var buf [48]byte
	var s fr.Element
	for {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return s, fmt.Errorf("bls12: reading randomness: %w", err)
		}
		s.SetBytes(buf[:])
		if !s.IsZero() {
			return s, nil
		}
	}
}

// RandomScalars fills out with non-zero random scalars.
func RandomScalars(r io.Reader, out ...*fr.Element) error {
	for _, p := range out {
		s, err := RandomScalar(r)
		if err != nil {
			return err
		}
		*p = s
	}
	return nil
}
