package bls12

import (
	"sync"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// A Table serves two fixed-base multiplications from two layouts, each built
// on first use:
//
//   - Mul and MulJac (constant time, for secret scalars): signed odd digits of
//     ctWidth bits (see recode.go), ctWindows rows of the ctRow odd multiples
//     (2j+1)·2^(ctWidth·i)·P. Every row is read in full and the entry picked
//     with masks, then added with the complete mixed formula: ctWindows
//     additions, no doublings, no branch or address that depends on the scalar.
//   - MulVartime and MulJacVartime (public scalars only): signed 8-bit digits
//     in [−127, 128], vtWindows rows j·2^(8i)·P for j = 1..128, one indexed
//     lookup and at most one addition per window, zero digits skipped.
const (
	ctWidth   = 6
	ctWindows = (fr.Bits + ctWidth - 1) / ctWidth
	ctRow     = 1 << (ctWidth - 1)

	vtBits    = 8
	vtWindows = 256/vtBits + 1
	vtRow     = 1 << (vtBits - 1)
)

// Table is a precomputed fixed-base table for one G1 point. It is read-only
// after construction and safe for concurrent use.
type Table struct {
	base bls.G1Affine

	ctOnce, vtOnce sync.Once
	ct, vt         []bls.G1Affine
}

// NewTable returns the table for p; the rows are computed on first use
// (about 1 ms for the constant-time rows, 3 ms for the variable-time ones).
func NewTable(p *bls.G1Affine) *Table { return &Table{base: *p} }

// Base returns the point the table was built for.
func (t *Table) Base() bls.G1Affine { return t.base }

// Mul returns s·P in Jacobian coordinates, in constant time.
func (t *Table) Mul(s *fr.Element) bls.G1Jac {
	var p g1Proj
	t.mulProj(&p, s, true)
	return p.jac()
}

// MulJac sets acc to acc + s·P and returns acc, in constant time (acc may be
// the identity or any other point).
func (t *Table) MulJac(acc *bls.G1Jac, s *fr.Element) *bls.G1Jac {
	var p g1Proj
	p.fromJac(acc)
	t.mulProj(&p, s, false)
	*acc = p.jac()
	return acc
}

// mulProj adds s·P to p, or sets p = s·P if fresh (saving one addition).
func (t *Table) mulProj(p *g1Proj, s *fr.Element, fresh bool) {
	rows := t.ctRows()
	d := recode(s, ctWidth)
	for i := range ctWindows {
		q := selectAffine(rows[i*ctRow:(i+1)*ctRow], d.idx[i])
		fpCondNeg(&q.Y, &q.Y, d.neg[i])
		if fresh && i == 0 {
			p.x, p.y = q.X, q.Y
			p.z.SetOne()
			continue
		}
		p.addMixed(p, &q)
	}
}

// selectAffine returns row[idx], reading every entry of row.
func selectAffine(row []bls.G1Affine, idx uint64) bls.G1Affine {
	var x, y fp.Element
	for j := range row {
		e, m := &row[j], eqMask(uint64(j), idx)
		x[0] |= m & e.X[0]
		x[1] |= m & e.X[1]
		x[2] |= m & e.X[2]
		x[3] |= m & e.X[3]
		x[4] |= m & e.X[4]
		x[5] |= m & e.X[5]
		y[0] |= m & e.Y[0]
		y[1] |= m & e.Y[1]
		y[2] |= m & e.Y[2]
		y[3] |= m & e.Y[3]
		y[4] |= m & e.Y[4]
		y[5] |= m & e.Y[5]
	}
	return bls.G1Affine{X: x, Y: y}
}

// ctRows builds the odd multiples with the complete formulas and one
// constant-time inversion: the base may be secret (a member's A).
func (t *Table) ctRows() []bls.G1Affine {
	t.ctOnce.Do(func() {
		pts := make([]g1Proj, ctWindows*ctRow)
		var b, b2 g1Proj
		b.fromAffine(&t.base)
		for w := range ctWindows {
			row := pts[w*ctRow : (w+1)*ctRow]
			row[0] = b
			b2.double(&b)
			for j := 1; j < ctRow; j++ {
				row[j].add(&row[j-1], &b2)
			}
			b.add(&row[ctRow-1], &b) // (2^w − 1)·B + B = 2^w·B
		}
		t.ct = projToAffine(pts)
	})
	return t.ct
}

// MulJacVartime sets acc to acc + s·P and returns acc. Its time and memory
// accesses depend on s: use it for public scalars only.
func (t *Table) MulJacVartime(acc *bls.G1Jac, s *fr.Element) *bls.G1Jac {
	rows := t.vtRows()
	limbs := s.Bits() // canonical, little-endian
	carry := 0
	var neg bls.G1Affine
	for w := range vtWindows {
		d := carry
		if w < vtWindows-1 {
			d += int(limbs[w/8] >> (8 * (w % 8)) & 0xff)
		}
		carry = 0
		if d > vtRow {
			d -= 1 << vtBits
			carry = 1
		}
		switch {
		case d > 0:
			acc.AddMixed(&rows[w*vtRow+d-1])
		case d < 0:
			neg.Neg(&rows[w*vtRow-d-1])
			acc.AddMixed(&neg)
		}
	}
	return acc
}

// MulVartime returns s·P in Jacobian coordinates; public scalars only.
func (t *Table) MulVartime(s *fr.Element) bls.G1Jac {
	acc := Infinity()
	t.MulJacVartime(&acc, s)
	return acc
}

func (t *Table) vtRows() []bls.G1Affine {
	t.vtOnce.Do(func() {
		jac := make([]bls.G1Jac, vtWindows*vtRow)
		var b bls.G1Jac
		b.FromAffine(&t.base)
		for w := range vtWindows {
			row := jac[w*vtRow : (w+1)*vtRow]
			row[0] = b
			for j := 1; j < vtRow; j++ {
				row[j] = row[j-1]
				row[j].AddAssign(&b)
			}
			b.Double(&row[vtRow-1]) // 2·128·B = 256·B
		}
		t.vt = ToAffineVartime(jac)
	})
	return t.vt
}
