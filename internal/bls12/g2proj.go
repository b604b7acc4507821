package bls12

import (
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

// g2Proj is a G2 point in homogeneous projective coordinates over Fp2, with
// the same complete formulas as g1Proj (see there) for the twist
// y² = x³ + 4(1+u).
type g2Proj struct{ x, y, z e2 }

// g2B3 is 3·b' = 12(1+u).
var g2B3 = e2{fp.NewElement(12), fp.NewElement(12)}

// add sets p = a + b (complete; Renes–Costello–Batina Algorithm 7).
func (p *g2Proj) add(a, b *g2Proj) {
	var t0, t1, t2, t3, t4, x3, y3, z3 e2
	t0.mul(&a.x, &b.x)
	t1.mul(&a.y, &b.y)
	t2.mul(&a.z, &b.z)
	t3.add(&a.x, &a.y)
	t4.add(&b.x, &b.y)
	t3.mul(&t3, &t4)
	t4.add(&t0, &t1)
	t3.sub(&t3, &t4)
	t4.add(&a.y, &a.z)
	x3.add(&b.y, &b.z)
	t4.mul(&t4, &x3)
	x3.add(&t1, &t2)
	t4.sub(&t4, &x3)
	x3.add(&a.x, &a.z)
	y3.add(&b.x, &b.z)
	x3.mul(&x3, &y3)
	y3.add(&t0, &t2)
	y3.sub(&x3, &y3)
	x3.add(&t0, &t0)
	t0.add(&x3, &t0)
	t2.mul(&g2B3, &t2)
	z3.add(&t1, &t2)
	t1.sub(&t1, &t2)
	y3.mul(&g2B3, &y3)
	x3.mul(&t4, &y3)
	t2.mul(&t3, &t1)
	p.x.sub(&t2, &x3)
	y3.mul(&y3, &t0)
	t1.mul(&t1, &z3)
	p.y.add(&t1, &y3)
	t0.mul(&t0, &t3)
	z3.mul(&z3, &t4)
	p.z.add(&z3, &t0)
}

// double sets p = 2a (complete; Algorithm 9).
func (p *g2Proj) double(a *g2Proj) {
	var t0, t1, t2, x3, y3, z3, xy e2
	xy.mul(&a.x, &a.y)
	t0.mul(&a.y, &a.y)
	z3.add(&t0, &t0)
	z3.add(&z3, &z3)
	z3.add(&z3, &z3)
	t1.mul(&a.y, &a.z)
	t2.mul(&a.z, &a.z)
	t2.mul(&g2B3, &t2)
	x3.mul(&t2, &z3)
	y3.add(&t0, &t2)
	z3.mul(&t1, &z3)
	t1.add(&t2, &t2)
	t2.add(&t1, &t2)
	t0.sub(&t0, &t2)
	y3.mul(&t0, &y3)
	p.y.add(&x3, &y3)
	x3.mul(&t0, &xy)
	p.x.add(&x3, &x3)
	p.z = z3
}

func (p *g2Proj) setIdentity() { *p = g2Proj{}; p.y.a0.SetOne() }

func (p *g2Proj) selectFrom(a, b *g2Proj, mask uint64) {
	p.x.selectFrom(&a.x, &b.x, mask)
	p.y.selectFrom(&a.y, &b.y, mask)
	p.z.selectFrom(&a.z, &b.z, mask)
}

func (p *g2Proj) condNeg(mask uint64) { p.y.condNeg(&p.y, mask) }

// fromAffine converts a; gnark-crypto's affine identity (0, 0) becomes (0:1:0).
func (p *g2Proj) fromAffine(a *bls.G2Affine) {
	x := e2{a.X.A0, a.X.A1}
	y := e2{a.Y.A0, a.Y.A1}
	var one e2
	one.a0.SetOne()
	inf := x.isZeroMask() & y.isZeroMask()
	p.x = x
	p.y.selectFrom(&y, &one, inf)
	p.z.selectFrom(&one, &e2{}, inf)
}

// affine converts p in constant time; the identity becomes (0, 0).
func (p *g2Proj) affine() bls.G2Affine {
	var one, zi, x, y e2
	one.a0.SetOne()
	inf := p.z.isZeroMask()
	zi.selectFrom(&p.z, &one, inf)
	zi.inverse(&zi)
	x.mul(&p.x, &zi)
	y.mul(&p.y, &zi)
	x.selectFrom(&x, &e2{}, inf)
	y.selectFrom(&y, &e2{}, inf)
	var a bls.G2Affine
	a.X.A0, a.X.A1 = x.a0, x.a1
	a.Y.A0, a.Y.A1 = y.a0, y.a1
	return a
}
