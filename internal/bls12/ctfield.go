package bls12

import (
	"math/big"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Constant-time field arithmetic. gnark-crypto's fp.Mul and fp.Square run
// branch-free assembly on amd64 with ADX (the final subtraction is a CMOV),
// so they are used as they are. Its fp.Add, Sub, Double and Neg, however,
// branch on whether the result needs reducing, and fp.Inverse is a
// variable-time binary GCD; the functions below replace them on secret data.
// Every mask is 0 or all ones.

// pLimbs is the base-field modulus p, little-endian.
var pLimbs = modulusLimbs()

// pMinus2 is the exponent of Fermat inversion, x^(p−2) = 1/x.
var pMinus2 = new(big.Int).Sub(fp.Modulus(), big.NewInt(2))

func modulusLimbs() [fp.Limbs]uint64 {
	var l [fp.Limbs]uint64
	for i, w := range fp.Modulus().Bits() {
		l[i] = uint64(w)
	}
	return l
}

// isZeroMask returns all ones if x is 0 and 0 otherwise.
func isZeroMask(x uint64) uint64 { return ((x | -x) >> 63) - 1 }

// eqMask returns all ones if a equals b and 0 otherwise.
func eqMask(a, b uint64) uint64 { return isZeroMask(a ^ b) }

// fpIsZeroMask returns all ones if x is 0 and 0 otherwise.
func fpIsZeroMask(x *fp.Element) uint64 {
	var acc uint64
	for _, l := range x {
		acc |= l
	}
	return isZeroMask(acc)
}

// fpSelect sets z to b where mask is all ones and to a where it is 0.
func fpSelect(z, a, b *fp.Element, mask uint64) {
	for i := range z {
		z[i] = a[i] ^ (mask & (a[i] ^ b[i]))
	}
}

// fpAdd sets z = x + y mod p. p < 2^381, so x + y never carries out of the
// top limb; a borrow from subtracting p means x + y < p already.
func fpAdd(z, x, y *fp.Element) {
	var c, b uint64
	t0, c := bits.Add64(x[0], y[0], 0)
	t1, c := bits.Add64(x[1], y[1], c)
	t2, c := bits.Add64(x[2], y[2], c)
	t3, c := bits.Add64(x[3], y[3], c)
	t4, c := bits.Add64(x[4], y[4], c)
	t5, _ := bits.Add64(x[5], y[5], c)
	u0, b := bits.Sub64(t0, pLimbs[0], 0)
	u1, b := bits.Sub64(t1, pLimbs[1], b)
	u2, b := bits.Sub64(t2, pLimbs[2], b)
	u3, b := bits.Sub64(t3, pLimbs[3], b)
	u4, b := bits.Sub64(t4, pLimbs[4], b)
	u5, b := bits.Sub64(t5, pLimbs[5], b)
	m := -b
	z[0] = u0 ^ (m & (u0 ^ t0))
	z[1] = u1 ^ (m & (u1 ^ t1))
	z[2] = u2 ^ (m & (u2 ^ t2))
	z[3] = u3 ^ (m & (u3 ^ t3))
	z[4] = u4 ^ (m & (u4 ^ t4))
	z[5] = u5 ^ (m & (u5 ^ t5))
}

// fpSub sets z = x − y mod p: p is added back under the mask of the borrow.
func fpSub(z, x, y *fp.Element) {
	var b, c uint64
	t0, b := bits.Sub64(x[0], y[0], 0)
	t1, b := bits.Sub64(x[1], y[1], b)
	t2, b := bits.Sub64(x[2], y[2], b)
	t3, b := bits.Sub64(x[3], y[3], b)
	t4, b := bits.Sub64(x[4], y[4], b)
	t5, b := bits.Sub64(x[5], y[5], b)
	m := -b
	z[0], c = bits.Add64(t0, pLimbs[0]&m, 0)
	z[1], c = bits.Add64(t1, pLimbs[1]&m, c)
	z[2], c = bits.Add64(t2, pLimbs[2]&m, c)
	z[3], c = bits.Add64(t3, pLimbs[3]&m, c)
	z[4], c = bits.Add64(t4, pLimbs[4]&m, c)
	z[5], _ = bits.Add64(t5, pLimbs[5]&m, c)
}

// fpCondNeg sets z = −x where mask is all ones and z = x where it is 0.
func fpCondNeg(z, x *fp.Element, mask uint64) {
	var n fp.Element
	var b uint64
	for i := range n {
		n[i], b = bits.Sub64(pLimbs[i], x[i], b)
	}
	keep := fpIsZeroMask(x) | ^mask // −0 is 0, not p
	fpSelect(z, &n, x, keep)
}

// fpInverse sets z = 1/x (and 0 for x = 0) by Fermat's little theorem: a
// fixed sequence of squarings and multiplications that depends only on p.
func fpInverse(z, x *fp.Element) {
	z.Exp(*x, pMinus2)
}

// e2 is an element a0 + a1·u of Fp2 = Fp[u]/(u²+1), the field of G2.
type e2 struct{ a0, a1 fp.Element }

func (z *e2) add(x, y *e2) {
	fpAdd(&z.a0, &x.a0, &y.a0)
	fpAdd(&z.a1, &x.a1, &y.a1)
}

func (z *e2) sub(x, y *e2) {
	fpSub(&z.a0, &x.a0, &y.a0)
	fpSub(&z.a1, &x.a1, &y.a1)
}

// mul is Karatsuba: (a0+a1u)(b0+b1u) = a0b0 − a1b1 + ((a0+a1)(b0+b1) − a0b0 − a1b1)u.
func (z *e2) mul(x, y *e2) {
	var v0, v1, s, t fp.Element
	v0.Mul(&x.a0, &y.a0)
	v1.Mul(&x.a1, &y.a1)
	fpAdd(&s, &x.a0, &x.a1)
	fpAdd(&t, &y.a0, &y.a1)
	s.Mul(&s, &t)
	fpSub(&s, &s, &v0)
	fpSub(&z.a1, &s, &v1)
	fpSub(&z.a0, &v0, &v1)
}

func (z *e2) isZeroMask() uint64 { return fpIsZeroMask(&z.a0) & fpIsZeroMask(&z.a1) }

func (z *e2) selectFrom(a, b *e2, mask uint64) {
	fpSelect(&z.a0, &a.a0, &b.a0, mask)
	fpSelect(&z.a1, &a.a1, &b.a1, mask)
}

func (z *e2) condNeg(x *e2, mask uint64) {
	fpCondNeg(&z.a0, &x.a0, mask)
	fpCondNeg(&z.a1, &x.a1, mask)
}

// inverse sets z = 1/x: 1/(a0+a1u) = (a0 − a1u)/(a0² + a1²).
func (z *e2) inverse(x *e2) {
	var n, t fp.Element
	n.Square(&x.a0)
	t.Square(&x.a1)
	fpAdd(&n, &n, &t)
	fpInverse(&n, &n)
	z.a0.Mul(&x.a0, &n)
	z.a1.Mul(&x.a1, &n)
	fpCondNeg(&z.a1, &z.a1, ^uint64(0))
}

// rMinus2 is the exponent of Fermat inversion in the scalar field.
var rMinus2 = new(big.Int).Sub(fr.Modulus(), big.NewInt(2))

// InvertScalar sets z = 1/x mod r (0 for x = 0) and returns z, in constant
// time: x^(r−2) by a fixed sequence of multiplications. gnark-crypto's
// fr.Element.Inverse is a variable-time binary GCD; use this one for secret
// scalars (1/(γ+x), 1/ξ).
func InvertScalar(z, x *fr.Element) *fr.Element {
	return z.Exp(*x, rMinus2)
}
