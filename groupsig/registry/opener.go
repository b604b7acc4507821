package registry

import (
	"context"
	"fmt"
	"sync"

	"trustbank/groupsig"
)

// Opener names the signer of a group signature: it decrypts the signer's
// tag with its secret and resolves the tag in the issuer's registry.
type Opener struct {
	group string
	store Store
	key   *groupsig.OpenerKey
	keys  *PublicKeys
}

// NewOpener returns the opener of group.
func NewOpener(store Store, group string, key *groupsig.OpenerKey) *Opener {
	return &Opener{group: group, store: store, key: key, keys: NewPublicKeys(store, group)}
}

// Open verifies sig on msg under the group's public key of the epoch the
// signature names and returns the member who made it. A signature that does
// not verify returns groupsig.ErrInvalidSignature and names nobody.
func (o *Opener) Open(ctx context.Context, msg []byte, sig *groupsig.Signature) (Member, error) {
	pk, err := o.publicKey(ctx, sig.Epoch)
	if err != nil {
		return Member{}, err
	}
	tag, err := o.key.Open(pk, msg, sig)
	if err != nil {
		return Member{}, err
	}
	m, err := o.store.Identify(ctx, o.group, tag[:])
	if err != nil {
		return Member{}, fmt.Errorf("registry: valid signature but its tag is not in the registry: %w", err)
	}
	return m, nil
}

func (o *Opener) publicKey(ctx context.Context, epoch uint64) (*groupsig.PublicKey, error) {
	pk, err := o.keys.At(ctx, epoch)
	if err != nil {
		return nil, err
	}
	if pk.H != o.key.Public.H || pk.U != o.key.Public.U || pk.V != o.key.Public.V {
		return nil, fmt.Errorf("registry: opener key does not belong to group %q", o.group)
	}
	return pk, nil
}

// PublicKeys reads a group's public keys by epoch and keeps them parsed:
// a parsed key carries precomputed tables that are costly to rebuild.
// Verifiers use it to check signatures made at any epoch.
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
