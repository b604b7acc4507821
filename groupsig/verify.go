package groupsig

import (
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// Verify reports whether sig is a valid group signature on msg under pk.
// It returns nil, ErrWrongEpoch (the signature names another key epoch) or
// ErrInvalidSignature. The cost does not depend on the number of members or
// of revoked members.
func (pk *PublicKey) Verify(msg []byte, sig *Signature) error {
	if sig.Epoch != pk.Epoch {
		return fmt.Errorf("%w: signature epoch %d, public key epoch %d", ErrWrongEpoch, sig.Epoch, pk.Epoch)
	}
	pre := pk.precomp()
	c, ok := pk.recompute(pre, msg, sig)
	if !ok || !c.Equal(&sig.C) {
		return ErrInvalidSignature
	}
	return nil
}

// recompute rebuilds R1..R5 from the responses and returns the challenge
// they hash to; the signature is valid exactly when it equals sig.C.
// ok is false only if the pairing could not be computed.
//
//	R1 = u^sα · T1^-c              R2 = v^sβ · T2^-c
//	R4 = T1^sx · u^-sδ1            R5 = T2^sx · v^-sδ2
//	R3 = e(T3^sx · h^-(sδ1+sδ2) · g1^-c, g2) · e(T3^c · h^-(sα+sβ), w)
func (pk *PublicKey) recompute(pre *precomputed, msg []byte, sig *Signature) (c fr.Element, ok bool) {
	sa, sb, sx, sd1, sd2 := &sig.S[0], &sig.S[1], &sig.S[2], &sig.S[3], &sig.S[4]
	var negC, t fr.Element
	negC.Neg(&sig.C)

	r1 := bls12.MulG1Vartime(&sig.T1, &negC)
	pre.u.MulJacVartime(&r1, sa)
	r2 := bls12.MulG1Vartime(&sig.T2, &negC)
	pre.v.MulJacVartime(&r2, sb)
	r4 := bls12.MulG1Vartime(&sig.T1, sx)
	t.Neg(sd1)
	pre.u.MulJacVartime(&r4, &t)
	r5 := bls12.MulG1Vartime(&sig.T2, sx)
	t.Neg(sd2)
	pre.v.MulJacVartime(&r5, &t)

	x := bls12.MulG1Vartime(&sig.T3, sx)
	t.Add(sd1, sd2).Neg(&t)
	pre.h.MulJacVartime(&x, &t)
	pre.g1.MulJacVartime(&x, &negC)
	y := bls12.MulG1Vartime(&sig.T3, &sig.C)
	t.Add(sa, sb).Neg(&t)
	pre.h.MulJacVartime(&y, &t)

	aff := bls12.ToAffineVartime([]bls.G1Jac{r1, r2, r4, r5, x, y})
	r3, err := pairR3(pre, &aff[4], &aff[5])
	if err != nil {
		return c, false
	}
	return challenge(pre, &sig.T1, &sig.T2, &sig.T3, &aff[0], &aff[1], &aff[2], &aff[3], &r3, msg), true
}
