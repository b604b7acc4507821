package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"trustbank/groupsig"
)

// Opener names the signer of a group signature: it decrypts the signer's
// key A with its secret (ξ1, ξ2), rewinds A to the signer's base tag with
// the issuer's secret γ (groupsig.Rewinder), and resolves the base tag in
// the issuer's registry.
type Opener struct {
	group string
	store Store
	key   *groupsig.OpenerKey
	keys  *PublicKeys

	catchUp sync.Mutex // serialises moving rw forward
	rw      *groupsig.Rewinder
}

// NewOpener returns the opener of group. It needs the issuer's key as well
// as its own: opening a signature of epoch e rewinds the recovered key by
// ∏(γ+x*_j) over the revocations so far, and γ is the issuer's secret (see
// the package doc, Roles). The issuer key may be as of any epoch (a key
// file written at setup); both keys are checked against the group. Like
// LoadIssuer, NewOpener first converts a group written before base tags.
func NewOpener(ctx context.Context, store Store, group string, key *groupsig.OpenerKey, ik *groupsig.IssuerKey) (*Opener, error) {
	is, err := LoadIssuer(ctx, store, group, ik)
	if err != nil {
		return nil, err
	}
	o := &Opener{group: group, store: store, key: key, keys: NewPublicKeys(store, group), rw: ik.Rewinder()}
	if _, err := o.publicKey(ctx, is.PublicKey().Epoch); err != nil {
		return nil, err
	}
	return o, nil
}

// Open verifies sig on msg under the group's public key of the epoch the
// signature names and returns the member who made it. A signature that does
// not verify returns groupsig.ErrInvalidSignature and names nobody.
//
// A signature that opens to a revoked member names nobody either: the
// revocation published that member's key (x and, at every earlier epoch, A),
// so anyone can make such signatures now. Open then returns a
// *PublishedKeyError (wrapping ErrKeyPublished) that carries the member; a
// caller may hold it against the member only with independent proof that
// the signature, or what it escrows, is older than the revocation (see
// package doc).
func (o *Opener) Open(ctx context.Context, msg []byte, sig *groupsig.Signature) (Member, error) {
	pk, err := o.publicKey(ctx, sig.Epoch)
	if err != nil {
		return Member{}, err
	}
	if err := o.reach(ctx, sig.Epoch); err != nil {
		return Member{}, err
	}
	tag, err := o.key.OpenRewound(pk, msg, sig, o.rw)
	if err != nil {
		return Member{}, err
	}
	m, err := o.store.Identify(ctx, o.group, tag[:])
	if err != nil {
		return Member{}, fmt.Errorf("registry: valid signature but its tag is not in the registry: %w", err)
	}
	switch {
	case sig.Epoch < m.Epoch:
		return Member{}, fmt.Errorf("%w: valid signature at epoch %d with a key of %q, who joined at epoch %d: that key was never issued",
			ErrNotFound, sig.Epoch, m.ID, m.Epoch)
	case m.Status == Revoked && sig.Epoch >= m.RevokedEpoch:
		return Member{}, fmt.Errorf("%w: valid signature at epoch %d with a key of %q, revoked at epoch %d: that key was never issued",
			ErrNotFound, sig.Epoch, m.ID, m.RevokedEpoch)
	case m.Status == Revoked:
		return Member{}, &PublishedKeyError{Member: m, Epoch: sig.Epoch}
	}
	return m, nil
}

// reach moves the opener's rewinder to epoch (it only ever moves forward,
// one field multiplication per revocation).
func (o *Opener) reach(ctx context.Context, epoch uint64) error {
	if o.rw.Epoch() >= epoch {
		return nil
	}
	o.catchUp.Lock()
	defer o.catchUp.Unlock()
	return catchUp(ctx, o.store, o.group, o.rw, epoch)
}

// ErrKeyPublished: the signature opens to a member whose key at the
// signature's epoch has since been published by a revocation.
var ErrKeyPublished = errors.New("registry: the signer's key was published when it was revoked; anyone can make this signature")

// PublishedKeyError is Open's answer for a signature that opens to a
// revoked member: Member is whom it opens to, Epoch the signature's epoch
// (always before Member.RevokedEpoch).
type PublishedKeyError struct {
	Member Member
	Epoch  uint64
}

func (e *PublishedKeyError) Error() string {
	return fmt.Sprintf("registry: signature at epoch %d opens to %q, whose key was published by the revocation to epoch %d; it proves nothing against them by itself",
		e.Epoch, e.Member.ID, e.Member.RevokedEpoch)
}

func (e *PublishedKeyError) Unwrap() error { return ErrKeyPublished }

// VerifyFresh verifies a signature that must be fresh (an authentication,
// a payment): only a signature at the group's current epoch is accepted,
// whatever older keys still verify. It returns groupsig.ErrWrongEpoch for
// another epoch, so keys published by a revocation are useless for
// anything fresh.
func (p *PublicKeys) VerifyFresh(ctx context.Context, msg []byte, sig *groupsig.Signature) error {
	pk, err := p.Current(ctx)
	if err != nil {
		return err
	}
	return pk.Verify(msg, sig)
}

func (o *Opener) publicKey(ctx context.Context, epoch uint64) (*groupsig.PublicKey, error) {
	pk, err := o.keys.At(ctx, epoch)
	if err != nil {
		return nil, err
	}
	if pk.H != o.key.Public.H || pk.U != o.key.Public.U || pk.V != o.key.Public.V {
		return nil, fmt.Errorf("registry: opener key does not belong to group %q: %w", o.group, groupsig.ErrInvalidKey)
	}
	return pk, nil
}

// PublicKeys reads a group's public keys by epoch and keeps them parsed:
// a parsed key carries precomputed tables that are costly to rebuild.
// Verifiers use At to check evidence made at a past epoch, and VerifyFresh
// (only the current epoch) for anything that must be new.
type PublicKeys struct {
	group string
	store Store

	mu   sync.Mutex
	keys map[uint64]*groupsig.PublicKey
}

// NewPublicKeys returns the key cache of group.
func NewPublicKeys(store Store, group string) *PublicKeys {
	return &PublicKeys{group: group, store: store, keys: map[uint64]*groupsig.PublicKey{}}
}

// At returns the group's public key at epoch. ErrNotFound.
func (p *PublicKeys) At(ctx context.Context, epoch uint64) (*groupsig.PublicKey, error) {
	p.mu.Lock()
	pk := p.keys[epoch]
	p.mu.Unlock()
	if pk != nil {
		return pk, nil
	}
	b, err := p.store.PublicKey(ctx, p.group, epoch)
	if err != nil {
		return nil, err
	}
	if pk, err = groupsig.ParsePublicKey(b); err != nil {
		return nil, fmt.Errorf("registry: stored public key of epoch %d: %w", epoch, err)
	}
	p.mu.Lock()
	if cached := p.keys[epoch]; cached != nil {
		pk = cached
	} else {
		p.keys[epoch] = pk
	}
	p.mu.Unlock()
	return pk, nil
}

// Current returns the group's public key at its current epoch.
func (p *PublicKeys) Current(ctx context.Context) (*groupsig.PublicKey, error) {
	g, err := p.store.Group(ctx, p.group)
	if err != nil {
		return nil, err
	}
	return p.At(ctx, g.Epoch)
}
