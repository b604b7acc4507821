package bls12

import (
	"math/big"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Variable-base multiplication in constant time: the odd multiples
// P, 3P, …, (2^w−1)P are computed on the fly, then the signed odd digits of
// the scalar (recode.go) are processed from the top, w doublings and one
// complete addition of a row entry picked by a full scan per window.
const varWidth = 5

// MulG1 returns s·P for a variable base P, in constant time.
func MulG1(p *bls.G1Affine, s *fr.Element) bls.G1Jac {
	var base g1Proj
	base.fromAffine(p)
	var tab [1 << (varWidth - 1)]g1Proj
	var p2 g1Proj
	tab[0] = base
	p2.double(&base)
	for j := 1; j < len(tab); j++ {
		tab[j].add(&tab[j-1], &p2)
	}
	d := recode(s, varWidth)
	m := numWindowsFor(varWidth)
	var acc, q g1Proj
	selectProj(&acc, tab[:], d.idx[m-1])
	acc.condNeg(d.neg[m-1])
	for i := m - 2; i >= 0; i-- {
		for range varWidth {
			acc.double(&acc)
		}
		selectProj(&q, tab[:], d.idx[i])
		q.condNeg(d.neg[i])
		acc.add(&acc, &q)
	}
	return acc.jac()
}

// MulG1Affine is MulG1 followed by a constant-time conversion to affine.
func MulG1Affine(p *bls.G1Affine, s *fr.Element) bls.G1Affine {
	j := MulG1(p, s)
	return Affine(&j)
}

func selectProj(q *g1Proj, tab []g1Proj, idx uint64) {
	*q = g1Proj{}
	for j := range tab {
		m := eqMask(uint64(j), idx)
		q.selectFrom(q, &tab[j], m)
	}
}

// MulG2 returns s·P in G2, in constant time (affine, converted in constant
// time). It is slower than gnark-crypto's GLV method; trustbank uses it only
// to make and check keys.
func MulG2(p *bls.G2Affine, s *fr.Element) bls.G2Affine {
	var base, p2 g2Proj
	base.fromAffine(p)
	var tab [1 << (varWidth - 1)]g2Proj
	tab[0] = base
	p2.double(&base)
	for j := 1; j < len(tab); j++ {
		tab[j].add(&tab[j-1], &p2)
	}
	d := recode(s, varWidth)
	m := numWindowsFor(varWidth)
	var acc, q g2Proj
	selectProj2(&acc, tab[:], d.idx[m-1])
	acc.condNeg(d.neg[m-1])
	for i := m - 2; i >= 0; i-- {
		for range varWidth {
			acc.double(&acc)
		}
		selectProj2(&q, tab[:], d.idx[i])
		q.condNeg(d.neg[i])
		acc.add(&acc, &q)
	}
	return acc.affine()
}

func selectProj2(q *g2Proj, tab []g2Proj, idx uint64) {
	*q = g2Proj{}
	for j := range tab {
		q.selectFrom(q, &tab[j], eqMask(uint64(j), idx))
	}
}

// MulG1Vartime returns s·P for a variable base P with gnark-crypto's GLV
// method. Its time depends on s: use it for public scalars only.
func MulG1Vartime(p *bls.G1Affine, s *fr.Element) bls.G1Jac {
	var j bls.G1Jac
	j.FromAffine(p)
	var k big.Int
	s.BigInt(&k)
	j.ScalarMultiplication(&j, &k)
	return j
}
