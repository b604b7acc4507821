package bls12

import (
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

// Infinity returns the G1 identity in Jacobian coordinates.
func Infinity() bls.G1Jac {
	var acc bls.G1Jac
	acc.X.SetOne()
	acc.Y.SetOne()
	return acc
}

// ToAffine converts points to affine coordinates with one field inversion
// (Montgomery's trick), in constant time: the inversion is Fermat's and the
// identity, which maps to gnark-crypto's affine identity (0, 0), is handled
// with masks. Use it for points that depend on secrets.
func ToAffine(points []bls.G1Jac) []bls.G1Affine {
	zs := make([]fp.Element, len(points))
	inf := make([]uint64, len(points))
	one := fp.One()
	for i := range points {
		inf[i] = fpIsZeroMask(&points[i].Z)
		fpSelect(&zs[i], &points[i].Z, &one, inf[i])
	}
	batchInvert(zs)
	out := make([]bls.G1Affine, len(points))
	for i := range points {
		var z2 fp.Element
		z2.Square(&zs[i])
		out[i].X.Mul(&points[i].X, &z2)
		out[i].Y.Mul(&points[i].Y, &z2).Mul(&out[i].Y, &zs[i])
		fpSelect(&out[i].X, &out[i].X, &fp.Element{}, inf[i])
		fpSelect(&out[i].Y, &out[i].Y, &fp.Element{}, inf[i])
	}
	return out
}

// Affine converts one point, in constant time (see ToAffine).
func Affine(p *bls.G1Jac) bls.G1Affine { return ToAffine([]bls.G1Jac{*p})[0] }

// projToAffine converts projective points, none of them the identity, in
// constant time.
func projToAffine(points []g1Proj) []bls.G1Affine {
	zs := make([]fp.Element, len(points))
	for i := range points {
		zs[i] = points[i].z
	}
	batchInvert(zs)
	out := make([]bls.G1Affine, len(points))
	for i := range points {
		out[i].X.Mul(&points[i].x, &zs[i])
		out[i].Y.Mul(&points[i].y, &zs[i])
	}
	return out
}

// batchInvert replaces each (non-zero) element by its inverse with one
// constant-time inversion.
func batchInvert(zs []fp.Element) {
	prefix := make([]fp.Element, len(zs))
	acc := fp.One()
	for i := range zs {
		prefix[i] = acc
		acc.Mul(&acc, &zs[i])
	}
	fpInverse(&acc, &acc)
	for i := len(zs) - 1; i >= 0; i-- {
		var inv fp.Element
		inv.Mul(&acc, &prefix[i])
		acc.Mul(&acc, &zs[i])
		zs[i] = inv
	}
}

// ToAffineVartime is ToAffine with gnark-crypto's variable-time inversion:
// for public points only.
func ToAffineVartime(points []bls.G1Jac) []bls.G1Affine {
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

// NegAffine returns −p in constant time (gnark-crypto's Neg branches on
// zero in its field negation). The identity stays the identity.
func NegAffine(p *bls.G1Affine) bls.G1Affine {
	out := *p
	fpCondNeg(&out.Y, &p.Y, ^uint64(0))
	return out
}
