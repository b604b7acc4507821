package bls12

import (
	"math/big"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Fixed-base multiplication with signed 8-bit digits: a scalar below 2^256 is
// recoded into 33 digits in [-127, 128]; window i holds j·2^(8i)·P for
// j = 1..128, so a multiplication is at most 33 mixed additions and no
// doublings. A table is 33·128 affine points (about 400 KiB).
const (
	windowBits = 8
	numWindows = 256/windowBits + 1
	perWindow  = 1 << (windowBits - 1)
)

// Table is a precomputed fixed-base table for one G1 point. It is read-only
// after construction and safe for concurrent use.
type Table struct {
	base bls.G1Affine
	pts  []bls.G1Affine
}

// NewTable precomputes the table for p (about 2 ms).
func NewTable(p *bls.G1Affine) *Table {
	jac := make([]bls.G1Jac, numWindows*perWindow)
	var b bls.G1Jac
	b.FromAffine(p)
	for w := range numWindows {
		row := jac[w*perWindow : (w+1)*perWindow]
		row[0] = b
		for j := 1; j < perWindow; j++ {
			row[j] = row[j-1]
			row[j].AddAssign(&b)
		}
		b.Double(&row[perWindow-1]) // 2·128·B = 256·B
	}
	return &Table{base: *p, pts: ToAffine(jac)}
}

// Base returns the point the table was built for.
func (t *Table) Base() bls.G1Affine { return t.base }

// MulJac sets acc to acc + s·P and returns acc.
func (t *Table) MulJac(acc *bls.G1Jac, s *fr.Element) *bls.G1Jac {
	limbs := s.Bits() // canonical, little-endian
	carry := 0
	var neg bls.G1Affine
	for w := range numWindows {
		d := carry
		if w < numWindows-1 {
			d += int(limbs[w/8] >> (8 * (w % 8)) & 0xff)
		}
		carry = 0
		if d > perWindow {
			d -= 1 << windowBits
			carry = 1
		}
		switch {
		case d > 0:
			acc.AddMixed(&t.pts[w*perWindow+d-1])
		case d < 0:
			neg.Neg(&t.pts[w*perWindow-d-1])
			acc.AddMixed(&neg)
		}
	}
	return acc
}

// Mul returns s·P in Jacobian coordinates.
func (t *Table) Mul(s *fr.Element) bls.G1Jac {
	acc := Infinity()
	t.MulJac(&acc, s)
	return acc
}

// MulG1 returns s·P for a variable base P (gnark-crypto's GLV method).
func MulG1(p *bls.G1Affine, s *fr.Element) bls.G1Jac {
	var j bls.G1Jac
	j.FromAffine(p)
	var k big.Int
	s.BigInt(&k)
	j.ScalarMultiplication(&j, &k)
	return j
}

// Infinity returns the G1 identity in Jacobian coordinates.
func Infinity() bls.G1Jac {
	var acc bls.G1Jac
	acc.X.SetOne()
	acc.Y.SetOne()
	return acc
}

// ToAffine converts points to affine coordinates with one field inversion
// (Montgomery's trick), on the calling goroutine. The identity maps to
// gnark-crypto's affine identity (0, 0).
func ToAffine(points []bls.G1Jac) []bls.G1Affine {
	out := make([]bls.G1Affine, len(points))
	acc := fp.One()
	for i := range points {
		if points[i].Z.IsZero() {
			continue
		}
		out[i].X = acc // prefix product, inverted below
		acc.Mul(&acc, &points[i].Z)
	}
	acc.Inverse(&acc)
	for i := len(points) - 1; i >= 0; i-- {
		if points[i].Z.IsZero() {
			continue
		}
		var zInv, zInv2 fp.Element
		zInv.Mul(&out[i].X, &acc)
		acc.Mul(&acc, &points[i].Z)
		zInv2.Square(&zInv)
		out[i].X.Mul(&points[i].X, &zInv2)
		out[i].Y.Mul(&points[i].Y, &zInv2).Mul(&out[i].Y, &zInv)
	}
	return out
}
