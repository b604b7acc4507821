package groupsig

import (
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// Revocation is the public update that revokes the member key (A, X) and
// moves the group to Epoch (BBS04 §7). In a type-3 pairing group there is no
// map ψ: G2 → G1, so the update carries g2' = g2^(1/(γ+x*)) explicitly; the new
// key is g1' = A*, g2', w' = g2·g2'^(−x*). Everyone can check an update
// against the key it updates (Apply does), so it needs no further signature.
type Revocation struct {
	Epoch uint64 // the epoch the update moves to
	A     bls.G1Affine
	X     fr.Element
	G2    bls.G2Affine
}

// Revoke revokes the member key (a, x), which must be valid at the issuer's
// current epoch, moves the issuer's public key to the next epoch and returns
// the update to publish. Revoking costs one G2 and one G1 multiplication
// whatever the size of the group; verification cost does not change at all.
func (ik *IssuerKey) Revoke(a bls.G1Affine, x fr.Element) (*Revocation, error) {
	want, err := ik.KeyFor(&x)
	if err != nil || !want.A.Equal(&a) {
		return nil, fmt.Errorf("%w: (A, x) is not a member key at epoch %d", ErrInvalidKey, ik.PK.Epoch)
	}
	var e fr.Element
	bls12.InvertScalar(&e, e.Add(&ik.Gamma, &x))
	rev := &Revocation{Epoch: ik.PK.Epoch + 1, A: a, X: x, G2: mulG2(&ik.PK.G2, &e)}
	old := ik.PK
	ik.PK = &PublicKey{
		Epoch: rev.Epoch, G1: a, G2: rev.G2, W: mulG2(&rev.G2, &ik.Gamma),
		H: old.H, U: old.U, V: old.V,
	}
	return rev, nil
}

// KeyFor returns the member key with secret x at the issuer's current epoch:
// A = g1^(1/(γ+x)). The issuer uses it to follow its members across
// revocations, so that the opener can name signers at every epoch.
func (ik *IssuerKey) KeyFor(x *fr.Element) (*MemberKey, error) { return ik.keyFor(x) }

// Apply checks rev against pk and returns the public key of the next epoch.
// It checks that (A*, x*) is a member key under pk, e(A*, w·g2^x*) = e(g1, g2),
// and that g2' carries the same exponent, e(A*, g2) = e(g1, g2').
func (pk *PublicKey) Apply(rev *Revocation) (*PublicKey, error) {
	if rev.Epoch != pk.Epoch+1 {
		return nil, fmt.Errorf("%w: update to epoch %d does not follow epoch %d", ErrBadRevocation, rev.Epoch, pk.Epoch)
	}
	mk := MemberKey{Epoch: pk.Epoch, A: rev.A, X: rev.X}
	if err := mk.Check(pk); err != nil {
		return nil, fmt.Errorf("%w: revoked key is not a member key", ErrBadRevocation)
	}
	var negG1 bls.G1Affine
	negG1.Neg(&pk.G1)
	ok, err := bls.PairingCheck([]bls.G1Affine{rev.A, negG1}, []bls.G2Affine{pk.G2, rev.G2})
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: g2' does not match A*", ErrBadRevocation)
	}
	var negX fr.Element
	negX.Neg(&rev.X)
	w := mulG2(&rev.G2, &negX)
	w.Add(&w, &pk.G2)
	return &PublicKey{Epoch: rev.Epoch, G1: rev.A, G2: rev.G2, W: w, H: pk.H, U: pk.U, V: pk.V}, nil
}

// Update returns mk moved to the epoch of rev: A' = (A*/A)^(1/(x−x*)).
// It returns ErrRevoked if rev revokes mk itself, and ErrStaleKey if rev is
// not the next update for mk.
func (mk *MemberKey) Update(rev *Revocation) (*MemberKey, error) {
	if rev.Epoch != mk.Epoch+1 {
		return nil, fmt.Errorf("%w: key at epoch %d, update to epoch %d", ErrStaleKey, mk.Epoch, rev.Epoch)
	}
	var d fr.Element
	d.Sub(&mk.X, &rev.X)
	if d.IsZero() {
		return nil, ErrRevoked
	}
	bls12.InvertScalar(&d, &d)
	var diff bls.G1Affine
	diff.Sub(&rev.A, &mk.A)
	return &MemberKey{Epoch: rev.Epoch, A: mulAffine(&diff, &d), X: mk.X}, nil
}
