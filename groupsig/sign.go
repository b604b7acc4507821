package groupsig

import (
	"fmt"
	"io"
	"sync"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// challengeDST separates this scheme's Fiat–Shamir hash from every other use
// of hash-to-field (RFC 9380 expand_message_xmd with SHA-256).
const challengeDST = "TRUSTBANK-GROUPSIG-V1-BBS04-BLS12381-CHALLENGE"

// Sign signs msg with member key mk under pk (BBS04 §5, with the pairing
// product of R3 folded into one two-term multi-pairing, see doc.go).
// Every scalar here is secret, so every multiplication is internal/bls12's
// constant-time one: fixed bases (u, v, h and the member's A) served from
// precomputed tables, scanned in full for each digit.
func (mk *MemberKey) Sign(rand io.Reader, pk *PublicKey, msg []byte) (*Signature, error) {
	if mk.Epoch != pk.Epoch {
		return nil, fmt.Errorf("%w: key epoch %d, public key epoch %d", ErrStaleKey, mk.Epoch, pk.Epoch)
	}
	var alpha, beta fr.Element
	if err := bls12.RandomScalars(rand, &alpha, &beta); err != nil {
		return nil, err
	}
	defer alpha.SetZero()
	defer beta.SetZero()
	return mk.sign(rand, pk, &alpha, &beta, msg)
}

// sign makes the signature whose linear encryption of A uses (α, β):
// T1 = u^α, T2 = v^β, T3 = A·h^(α+β). Sign picks them at random; SignEscrow
// takes them from an escrow made earlier.
func (mk *MemberKey) sign(rand io.Reader, pk *PublicKey, alpha, beta *fr.Element, msg []byte) (*Signature, error) {
	pre := pk.precomp()
	var ra, rb, rx, rd1, rd2 fr.Element
	if err := bls12.RandomScalars(rand, &ra, &rb, &rx, &rd1, &rd2); err != nil {
		return nil, err
	}
	var ab, t fr.Element
	ab.Add(alpha, beta)

	// T1 = u^α, T2 = v^β, T3 = A·h^(α+β)
	jac := make([]bls.G1Jac, 0, 9)
	jac = append(jac, pre.u.Mul(alpha), pre.v.Mul(beta))
	t3 := pre.h.Mul(&ab)
	bls12.AddMixed(&t3, &mk.A)
	jac = append(jac, t3)

	// R1 = u^rα, R2 = v^rβ, R4 = T1^rx·u^-rδ1 = u^(α·rx − rδ1), R5 = v^(β·rx − rδ2)
	jac = append(jac, pre.u.Mul(&ra), pre.v.Mul(&rb))
	t.Mul(alpha, &rx).Sub(&t, &rd1)
	jac = append(jac, pre.u.Mul(&t))
	t.Mul(beta, &rx).Sub(&t, &rd2)
	jac = append(jac, pre.v.Mul(&t))

	// R3 = e(T3,g2)^rx · e(h,w)^-(rα+rβ) · e(h,g2)^-(rδ1+rδ2)
	//    = e(A^rx · h^((α+β)·rx − rδ1 − rδ2), g2) · e(h^-(rα+rβ), w)
	x := mk.table().Mul(&rx)
	t.Mul(&ab, &rx).Sub(&t, &rd1).Sub(&t, &rd2)
	pre.h.MulJac(&x, &t)
	t.Add(&ra, &rb).Neg(&t)
	y := pre.h.Mul(&t)

	// gnark-crypto's Miller loop and final exponentiation branch on the
	// values of their inputs, and x, y depend on the secrets: blind them.
	// With Z1, Z2 random, e(x, g2)·e(y, w) = e(x+Z1, g2)·e(y+Z2, w)·
	// e(−Z1, g2)·e(−Z2, w), and each of the four points alone is uniform.
	var z1, z2 fr.Element
	if err := bls12.RandomScalars(rand, &z1, &z2); err != nil {
		return nil, err
	}
	zj1, zj2 := pre.g1.Mul(&z1), pre.g1.Mul(&z2)
	bls12.Add(&x, &zj1)
	bls12.Add(&y, &zj2)
	jac = append(jac, x, y, zj1, zj2)

	aff := bls12.ToAffine(jac)
	r3, err := pairR3Blinded(pre, &aff[7], &aff[8], &aff[9], &aff[10])
	if err != nil {
		return nil, err
	}
	sig := &Signature{Epoch: pk.Epoch, T1: aff[0], T2: aff[1], T3: aff[2]}
	sig.C = challenge(pre, &sig.T1, &sig.T2, &sig.T3, &aff[3], &aff[4], &aff[5], &aff[6], &r3, msg)

	// s = r + c·secret for (α, β, x, δ1 = x·α, δ2 = x·β)
	var d1, d2 fr.Element
	d1.Mul(&mk.X, alpha)
	d2.Mul(&mk.X, beta)
	for i, p := range [5][2]*fr.Element{{&ra, alpha}, {&rb, beta}, {&rx, &mk.X}, {&rd1, &d1}, {&rd2, &d2}} {
		sig.S[i].Mul(&sig.C, p[1]).Add(&sig.S[i], p[0])
	}
	for _, s := range []*fr.Element{&ra, &rb, &rx, &rd1, &rd2, &d1, &d2, &ab, &t, &z1, &z2} {
		s.SetZero()
	}
	return sig, nil
}

// pairR3 computes e(x, g2)·e(y, w) with the precomputed lines of g2 and w:
// one two-term Miller loop and one final exponentiation.
//
// gnark-crypto v0.22.0's MillerLoopFixedQ scales the lines it is given in
// place (by 1/y and −x/y of each P), so precomputed lines survive one call
// only and cannot be shared between goroutines. We hand it a pooled copy.
func pairR3(pre *precomputed, x, y *bls.G1Affine) (bls.GT, error) {
	buf := linesPool.Get().(*[2]lines)
	defer linesPool.Put(buf)
	*buf = pre.lines
	ml, err := bls.MillerLoopFixedQ([]bls.G1Affine{*x, *y}, buf[:])
	if err != nil {
		return bls.GT{}, err
	}
	return bls.FinalExponentiation(&ml), nil
}

var linesPool = sync.Pool{New: func() any { return new([2]lines) }}

// pairR3Blinded computes e(xb, g2)·e(yb, w)·e(−z1, g2)·e(−z2, w) — the
// signer's R3 from blinded inputs, xb = x + z1 and yb = y + z2 — as one
// four-term Miller loop and one final exponentiation.
func pairR3Blinded(pre *precomputed, xb, yb, z1, z2 *bls.G1Affine) (bls.GT, error) {
	buf := blindLinesPool.Get().(*[4]lines)
	defer blindLinesPool.Put(buf)
	buf[0], buf[1], buf[2], buf[3] = pre.lines[0], pre.lines[1], pre.lines[0], pre.lines[1]
	ml, err := bls.MillerLoopFixedQ([]bls.G1Affine{*xb, *yb, bls12.NegAffine(z1), bls12.NegAffine(z2)}, buf[:])
	if err != nil {
		return bls.GT{}, err
	}
	return bls.FinalExponentiation(&ml), nil
}

var blindLinesPool = sync.Pool{New: func() any { return new([4]lines) }}

// challenge is c = H(digest(gpk), T1, T2, T3, R1, R2, R4, R5, R3, msg).
// Every item but msg has a fixed length, so the encoding is unambiguous.
func challenge(pre *precomputed, t1, t2, t3, r1, r2, r4, r5 *bls.G1Affine, r3 *bls.GT, msg []byte) fr.Element {
	buf := make([]byte, 0, 32+7*bls12.G1Size+bls.SizeOfGT+len(msg))
	buf = append(buf, pre.digest[:]...)
	for _, p := range []*bls.G1Affine{t1, t2, t3, r1, r2, r4, r5} {
		e := p.Bytes()
		buf = append(buf, e[:]...)
	}
	e := r3.Bytes()
	buf = append(buf, e[:]...)
	buf = append(buf, msg...)
	c, err := fr.Hash(buf, []byte(challengeDST), 1)
	if err != nil { // only for a DST over 255 bytes or an output over 65535 bytes
		panic("groupsig: hash to field: " + err.Error())
	}
	return c[0]
}
