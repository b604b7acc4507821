package bls12

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

func TestTableMatchesGLV(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	tab := NewTable(&g1)
	var minus1, zero, one, r1 fr.Element
	one.SetOne()
	minus1.Neg(&one)
	scalars := []fr.Element{zero, one, minus1}
	for range 50 {
		s, err := RandomScalar(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		scalars = append(scalars, s)
	}
	// Digits that force carries: 0x80 and 0xff bytes everywhere.
	r1.SetBytes(bytes.Repeat([]byte{0x80}, 31))
	scalars = append(scalars, r1)
	r1.SetBytes(bytes.Repeat([]byte{0xff}, 31))
	scalars = append(scalars, r1)
	for i, s := range scalars {
		got := tab.Mul(&s)
		want := MulG1Vartime(&g1, &s)
		if !got.Equal(&want) {
			t.Fatalf("scalar %d: table and GLV disagree", i)
		}
	}
}

func TestDecodeG1RejectsBadInput(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	good := g1.Bytes()
	if _, err := DecodeG1(good[:]); err != nil {
		t.Fatalf("generator: %v", err)
	}
	var inf bls.G1Affine
	infEnc := inf.Bytes()
	tests := map[string][]byte{
		"fail/short":       good[:47],
		"fail/long":        append(good[:], 0),
		"fail/infinity":    infEnc[:],
		"fail/flip-x":      flip(good[:], 20),
		"fail/no-compress": flip(good[:], 0), // clears the compression flag bit
		"fail/x>=p":        bytes.Repeat([]byte{0xff}, 48),
	}
	for name, b := range tests {
		if _, err := DecodeG1(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err := DecodeG1(infEnc[:])
	if !errors.Is(err, ErrPointInfinity) {
		t.Errorf("infinity: got %v", err)
	}
}

func TestDecodeScalar(t *testing.T) {
	var r fr.Element
	mod := fr.Modulus().FillBytes(make([]byte, 32))
	if _, err := DecodeScalar(mod); !errors.Is(err, ErrScalarEncoding) {
		t.Fatalf("r itself accepted: %v", err)
	}
	if _, err := DecodeNonZeroScalar(make([]byte, 32)); !errors.Is(err, ErrScalarZero) {
		t.Fatalf("zero accepted: %v", err)
	}
	r.SetUint64(7)
	b := r.Bytes()
	if s, err := DecodeScalar(b[:]); err != nil || !s.Equal(&r) {
		t.Fatalf("round trip: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x80
	if i != 0 {
		c[i] ^= 0x01
	}
	return c
}

func BenchmarkTableMul(b *testing.B) {
	_, _, g1, _ := bls.Generators()
	tab := NewTable(&g1)
	s, _ := RandomScalar(rand.Reader)
	tab.Mul(&s) // build the rows
	for b.Loop() {
		tab.Mul(&s)
	}
}

func BenchmarkTableMulVartime(b *testing.B) {
	_, _, g1, _ := bls.Generators()
	tab := NewTable(&g1)
	s, _ := RandomScalar(rand.Reader)
	tab.MulVartime(&s)
	for b.Loop() {
		tab.MulVartime(&s)
	}
}

func BenchmarkMulG1(b *testing.B) {
	_, _, g1, _ := bls.Generators()
	s, _ := RandomScalar(rand.Reader)
	for b.Loop() {
		MulG1(&g1, &s)
	}
}

func BenchmarkMulG1Vartime(b *testing.B) {
	_, _, g1, _ := bls.Generators()
	s, _ := RandomScalar(rand.Reader)
	for b.Loop() {
		MulG1Vartime(&g1, &s)
	}
}

func BenchmarkMulG2(b *testing.B) {
	_, _, _, g2 := bls.Generators()
	s, _ := RandomScalar(rand.Reader)
	for b.Loop() {
		MulG2(&g2, &s)
	}
}

// BenchmarkMulG2Gnark is gnark-crypto's (variable-time) GLV method, for
// comparison with MulG2.
func BenchmarkMulG2Gnark(b *testing.B) {
	_, _, _, g2 := bls.Generators()
	s, _ := RandomScalar(rand.Reader)
	var k big.Int
	s.BigInt(&k)
	var r bls.G2Affine
	for b.Loop() {
		r.ScalarMultiplication(&g2, &k)
	}
}

func BenchmarkNewTable(b *testing.B) {
	_, _, g1, _ := bls.Generators()
	for b.Loop() {
		NewTable(&g1).ctRows()
	}
}

func BenchmarkNewTableVartime(b *testing.B) {
	_, _, g1, _ := bls.Generators()
	for b.Loop() {
		NewTable(&g1).vtRows()
	}
}

func BenchmarkToAffine(b *testing.B) {
	pts := benchPoints(9)
	for b.Loop() {
		ToAffine(pts)
	}
}

func BenchmarkToAffineVartime(b *testing.B) {
	pts := benchPoints(9)
	for b.Loop() {
		ToAffineVartime(pts)
	}
}

func benchPoints(n int) []bls.G1Jac {
	_, _, g1, _ := bls.Generators()
	pts := make([]bls.G1Jac, n)
	for i := range pts {
		s, _ := RandomScalar(rand.Reader)
		pts[i] = MulG1(&g1, &s)
	}
	return pts
}

// pointOffSubgroup finds a point on the G1 curve y² = x³ + 4 that is not in
// the prime-order subgroup (almost every curve point is not: the cofactor
// is large), and a compressed x that is not on the curve at all.
func pointOffSubgroup(t *testing.T) (onCurve, offCurve []byte) {
	var four fp.Element
	four.SetUint64(4)
	for i := uint64(1); onCurve == nil || offCurve == nil; i++ {
		var p bls.G1Affine
		p.X.SetUint64(i)
		var rhs fp.Element
		rhs.Square(&p.X).Mul(&rhs, &p.X).Add(&rhs, &four)
		if p.Y.Sqrt(&rhs) == nil {
			if offCurve == nil {
				b := p.X.Bytes()
				b[0] |= 0x80 // compressed flag
				offCurve = b[:]
			}
			continue
		}
		if onCurve == nil && p.IsOnCurve() && !p.IsInSubGroup() {
			b := p.Bytes()
			onCurve = b[:]
		}
	}
	return onCurve, offCurve
}

func TestDecodeG1RejectsWrongSubgroupAndOffCurve(t *testing.T) {
	wrongSubgroup, offCurve := pointOffSubgroup(t)
	if _, err := DecodeG1(wrongSubgroup); !errors.Is(err, ErrPointEncoding) {
		t.Errorf("point outside the subgroup: %v", err)
	}
	if _, err := DecodeG1(offCurve); !errors.Is(err, ErrPointEncoding) {
		t.Errorf("x not on the curve: %v", err)
	}
}

func TestDecodeG2(t *testing.T) {
	_, _, _, g2 := bls.Generators()
	good := g2.Bytes()
	if _, err := DecodeG2(good[:]); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"fail/short":  good[:95],
		"fail/flip-x": flip(good[:], 50),
		"fail/x>=p":   bytes.Repeat([]byte{0xff}, 96),
	} {
		if _, err := DecodeG2(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var inf bls.G2Affine
	enc := inf.Bytes()
	if _, err := DecodeG2(enc[:]); !errors.Is(err, ErrPointInfinity) {
		t.Errorf("infinity: %v", err)
	}
}

func TestToAffineKeepsInfinity(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	var j bls.G1Jac
	j.FromAffine(&g1)
	out := ToAffine([]bls.G1Jac{j, Infinity(), j})
	if !out[0].Equal(&g1) || !out[1].IsInfinity() || !out[2].Equal(&g1) {
		t.Fatal("ToAffine mishandles the identity")
	}
}
