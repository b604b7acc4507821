package groupsig

import (
	"fmt"
	"sync"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// Rewinder maps a member key of any epoch back to the same member's key
// under the epoch-0 public key (its base tag), so that one tag per member
// names its signatures at every epoch.
//
// A revocation of (A*, x*) at epoch e−1 sets g1_e = A* = g1_{e−1}^(1/(γ+x*)),
// so after the updates x*_1 … x*_e the generator is g1_e = g1_0^ρ_e with
// ρ_e = 1/∏_{j≤e}(γ+x*_j), and a member's key at epoch e is
// A_e = g1_e^(1/(γ+x)) = (g1_0^(1/(γ+x)))^ρ_e = A_0^ρ_e. Hence
// A_0 = A_e^(1/ρ_e), with 1/ρ_e = ∏_{j≤e}(γ+x*_j): computable from γ and the
// public x*_j, one field multiplication per update.
//
// 1/ρ_e is as secret as γ: with it and the published x*_j, γ is a root of
// the degree-e polynomial ∏(X+x*_j) − 1/ρ_e. A Rewinder keeps the factors
// in memory only; never store or publish them.
type Rewinder struct {
	gamma fr.Element

	mu sync.RWMutex
	f  []fr.Element // f[e] = 1/ρ_e; f[0] = 1
}

// Rewinder returns a Rewinder at epoch 0 for the group of ik; Apply the
// group's updates in order to move it forward.
func (ik *IssuerKey) Rewinder() *Rewinder {
	rw := &Rewinder{gamma: ik.Gamma, f: make([]fr.Element, 1)}
	rw.f[0].SetOne()
	return rw
}

// Epoch returns the last epoch rw can rewind from.
func (rw *Rewinder) Epoch() uint64 {
	rw.mu.RLock()
	defer rw.mu.RUnlock()
	return uint64(len(rw.f) - 1)
}

// Apply extends rw by the update to the next epoch. It does not check rev
// against a public key (PublicKey.Apply does); rev must be the group's.
func (rw *Rewinder) Apply(rev *Revocation) error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rev.Epoch != uint64(len(rw.f)) {
		return fmt.Errorf("%w: update to epoch %d does not follow epoch %d", ErrBadRevocation, rev.Epoch, len(rw.f)-1)
	}
	var next fr.Element
	next.Add(&rw.gamma, &rev.X)
	if next.IsZero() {
		return fmt.Errorf("%w: x* = −γ", ErrBadRevocation)
	}
	next.Mul(&next, &rw.f[len(rw.f)-1])
	rw.f = append(rw.f, next)
	return nil
}

// ApplyEncoded is Apply of an encoded update (as MarshalBinary writes it).
// It decodes only the epoch and x*, not the points (which cost about
// 0.1 ms an update to decode), so an opener catching up on many epochs
// pays one field multiplication each; the encoding must come from the
// group's own registry. ErrMalformed for a wrong length or a bad scalar.
func (rw *Rewinder) ApplyEncoded(b []byte) error {
	r := newReader(b, RevocationSize, "revocation")
	epoch := r.uint64()
	r.next(bls12.G1Size)
	x := r.scalar("x")
	if r.err != nil {
		return r.err
	}
	return rw.Apply(&Revocation{Epoch: epoch, X: x})
}

// factor returns 1/ρ_epoch.
func (rw *Rewinder) factor(epoch uint64) (fr.Element, error) {
	rw.mu.RLock()
	defer rw.mu.RUnlock()
	if epoch >= uint64(len(rw.f)) {
		return fr.Element{}, fmt.Errorf("%w: rewinder at epoch %d, key at epoch %d", ErrStaleKey, len(rw.f)-1, epoch)
	}
	return rw.f[epoch], nil
}

// rewind returns a^(1/ρ_epoch) (constant time: the factor is secret).
func (rw *Rewinder) rewind(a *bls.G1Affine, epoch uint64) (Tag, error) {
	f, err := rw.factor(epoch)
	if err != nil {
		return Tag{}, err
	}
	if epoch == 0 {
		return a.Bytes(), nil
	}
	base := bls12.MulG1Affine(a, &f)
	return base.Bytes(), nil
}

// Rewind returns the base tag of the member key whose tag at epoch is t.
func (rw *Rewinder) Rewind(t Tag, epoch uint64) (Tag, error) {
	a, err := bls12.DecodeG1(t[:])
	if err != nil {
		return Tag{}, fmt.Errorf("%w: tag: %v", ErrMalformed, err)
	}
	return rw.rewind(&a, epoch)
}

// BaseTag returns the base tag of the member with secret x: its A under
// pk0, the group's epoch-0 public key, g1_0^(1/(γ+x)). The issuer computes
// it at join whatever the current epoch.
func (ik *IssuerKey) BaseTag(pk0 *PublicKey, x *fr.Element) (Tag, error) {
	if pk0.Epoch != 0 {
		return Tag{}, fmt.Errorf("%w: base tags are under the epoch-0 key, got epoch %d", ErrStaleKey, pk0.Epoch)
	}
	mk, err := (&IssuerKey{Gamma: ik.Gamma, PK: pk0}).keyFor(x)
	if err != nil {
		return Tag{}, err
	}
	return mk.Tag(), nil
}

// Zeroize overwrites γ and the factors.
func (rw *Rewinder) Zeroize() {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.gamma.SetZero()
	for i := range rw.f {
		rw.f[i].SetZero()
	}
}
