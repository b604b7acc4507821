package bls12

import (
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

// g1Proj is a G1 point in homogeneous projective coordinates (X:Y:Z),
// x = X/Z, y = Y/Z; the identity is (0:1:0). The formulas are the complete
// ones of Renes, Costello and Batina (EUROCRYPT 2016, Algorithms 7–9 for
// a = 0): they hold for every pair of inputs in the prime-order subgroup,
// the identity and P = ±Q included, so nothing branches on the points.
type g1Proj struct{ x, y, z fp.Element }

// mulB3 sets z = 3b·x = 12x for G1's y² = x³ + 4, with additions.
func mulB3(z, x *fp.Element) {
	var x4 fp.Element
	fpAdd(&x4, x, x)
	fpAdd(&x4, &x4, &x4)
	fpAdd(z, &x4, &x4)
	fpAdd(z, z, &x4)
}

func (p *g1Proj) setIdentity() { *p = g1Proj{}; p.y.SetOne() }

// add sets p = a + b (Algorithm 7: 12M + 2·m3b).
func (p *g1Proj) add(a, b *g1Proj) {
	var t0, t1, t2, t3, t4, x3, y3 fp.Element
	t0.Mul(&a.x, &b.x)
	t1.Mul(&a.y, &b.y)
	t2.Mul(&a.z, &b.z)
	fpAdd(&t3, &a.x, &a.y)
	fpAdd(&t4, &b.x, &b.y)
	t3.Mul(&t3, &t4)
	fpAdd(&t4, &t0, &t1)
	fpSub(&t3, &t3, &t4)
	fpAdd(&t4, &a.y, &a.z)
	fpAdd(&x3, &b.y, &b.z)
	t4.Mul(&t4, &x3)
	fpAdd(&x3, &t1, &t2)
	fpSub(&t4, &t4, &x3)
	fpAdd(&x3, &a.x, &a.z)
	fpAdd(&y3, &b.x, &b.z)
	x3.Mul(&x3, &y3)
	fpAdd(&y3, &t0, &t2)
	fpSub(&y3, &x3, &y3)
	p.finish(&t0, &t1, &t2, &t3, &t4, &y3)
}

// addMixed sets p = a + (q.X : q.Y : 1) (Algorithm 8: 11M + 2·m3b). q must
// not be the identity, which has no affine form.
func (p *g1Proj) addMixed(a *g1Proj, q *bls.G1Affine) {
	var t0, t1, t3, t4, y3 fp.Element
	t0.Mul(&a.x, &q.X)
	t1.Mul(&a.y, &q.Y)
	fpAdd(&t3, &q.X, &q.Y)
	fpAdd(&t4, &a.x, &a.y)
	t3.Mul(&t3, &t4)
	fpAdd(&t4, &t0, &t1)
	fpSub(&t3, &t3, &t4)
	t4.Mul(&q.Y, &a.z)
	fpAdd(&t4, &t4, &a.y)
	y3.Mul(&q.X, &a.z)
	fpAdd(&y3, &y3, &a.x)
	p.finish(&t0, &t1, &a.z, &t3, &t4, &y3)
}

// finish is the common tail of Algorithms 7 and 8, from t0 = X1X2,
// t1 = Y1Y2, t2 = Z1Z2, t3 = X1Y2+X2Y1, t4 = Y1Z2+Y2Z1, y3 = X1Z2+X2Z1.
func (p *g1Proj) finish(t0, t1, z12, t3, t4, y3 *fp.Element) {
	var x3, z3, t2 fp.Element
	fpAdd(&x3, t0, t0)
	fpAdd(t0, &x3, t0)
	mulB3(&t2, z12)
	fpAdd(&z3, t1, &t2)
	fpSub(t1, t1, &t2)
	mulB3(y3, y3)
	x3.Mul(t4, y3)
	t2.Mul(t3, t1)
	fpSub(&p.x, &t2, &x3)
	y3.Mul(y3, t0)
	t1.Mul(t1, &z3)
	fpAdd(&p.y, t1, y3)
	t0.Mul(t0, t3)
	z3.Mul(&z3, t4)
	fpAdd(&p.z, &z3, t0)
}

// double sets p = 2a (Algorithm 9: 6M + 2S + 1·m3b).
func (p *g1Proj) double(a *g1Proj) {
	var t0, t1, t2, x3, y3, z3, xy fp.Element
	xy.Mul(&a.x, &a.y) // read before p, which may be a, is written
	t0.Square(&a.y)
	fpAdd(&z3, &t0, &t0)
	fpAdd(&z3, &z3, &z3)
	fpAdd(&z3, &z3, &z3)
	t1.Mul(&a.y, &a.z)
	t2.Square(&a.z)
	mulB3(&t2, &t2)
	x3.Mul(&t2, &z3)
	fpAdd(&y3, &t0, &t2)
	z3.Mul(&t1, &z3)
	fpAdd(&t1, &t2, &t2)
	fpAdd(&t2, &t1, &t2)
	fpSub(&t0, &t0, &t2)
	y3.Mul(&t0, &y3)
	fpAdd(&p.y, &x3, &y3)
	x3.Mul(&t0, &xy)
	fpAdd(&p.x, &x3, &x3)
	p.z = z3
}

// selectFrom sets p to b where mask is all ones and to a where it is 0.
func (p *g1Proj) selectFrom(a, b *g1Proj, mask uint64) {
	fpSelect(&p.x, &a.x, &b.x, mask)
	fpSelect(&p.y, &a.y, &b.y, mask)
	fpSelect(&p.z, &a.z, &b.z, mask)
}

// condNeg negates p where mask is all ones.
func (p *g1Proj) condNeg(mask uint64) { fpCondNeg(&p.y, &p.y, mask) }

// fromJac converts Jacobian (X:Y:Z), x = X/Z², y = Y/Z³, to projective
// (XZ : Y : Z³); any Jacobian point with Z = 0 becomes (0:1:0).
func (p *g1Proj) fromJac(j *bls.G1Jac) {
	var z2, one fp.Element
	one.SetOne()
	z2.Square(&j.Z)
	p.x.Mul(&j.X, &j.Z)
	p.z.Mul(&z2, &j.Z)
	fpSelect(&p.y, &j.Y, &one, fpIsZeroMask(&j.Z))
}

// jac converts p to Jacobian (XZ : YZ² : Z), the identity to gnark-crypto's (1:1:0).
func (p *g1Proj) jac() bls.G1Jac {
	var j bls.G1Jac
	var z2, one fp.Element
	one.SetOne()
	z2.Square(&p.z)
	j.X.Mul(&p.x, &p.z)
	j.Y.Mul(&p.y, &z2)
	j.Z = p.z
	inf := fpIsZeroMask(&p.z)
	fpSelect(&j.X, &j.X, &one, inf)
	fpSelect(&j.Y, &j.Y, &one, inf)
	return j
}

// fromAffine converts a; gnark-crypto's affine identity (0, 0) becomes (0:1:0).
func (p *g1Proj) fromAffine(a *bls.G1Affine) {
	var one fp.Element
	one.SetOne()
	inf := fpIsZeroMask(&a.X) & fpIsZeroMask(&a.Y)
	p.x = a.X
	fpSelect(&p.y, &a.Y, &one, inf)
	fpSelect(&p.z, &one, &fp.Element{}, inf)
}

// Add sets p = p + q in constant time (gnark-crypto's G1Jac.AddAssign
// branches on its field reductions). It returns p.
func Add(p, q *bls.G1Jac) *bls.G1Jac {
	var a, b g1Proj
	a.fromJac(p)
	b.fromJac(q)
	a.add(&a, &b)
	*p = a.jac()
	return p
}

// AddMixed sets p = p + q in constant time; q may be the affine identity.
// It returns p.
func AddMixed(p *bls.G1Jac, q *bls.G1Affine) *bls.G1Jac {
	var a, b g1Proj
	a.fromJac(p)
	b.fromAffine(q)
	a.add(&a, &b)
	*p = a.jac()
	return p
}
