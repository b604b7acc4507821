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

	mu   sync.Mutex
	keys map[uint64]*groupsig.PublicKey // parsed public keys by epoch (their tables are costly)
}

// NewOpener returns the opener of group.
func NewOpener(store Store, group string, key *groupsig.OpenerKey) *Opener {
	return &Opener{group: group, store: store, key: key, keys: map[uint64]*groupsig.PublicKey{}}
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
	o.mu.Lock()
	pk := o.keys[epoch]
	o.mu.Unlock()
	if pk != nil {
		return pk, nil
	}
	b, err := o.store.PublicKey(ctx, o.group, epoch)
	if err != nil {
		return nil, err
	}
	if pk, err = groupsig.ParsePublicKey(b); err != nil {
		return nil, fmt.Errorf("registry: stored public key of epoch %d: %w", epoch, err)
	}
	if pk.H != o.key.Public.H || pk.U != o.key.Public.U || pk.V != o.key.Public.V {
		return nil, fmt.Errorf("registry: opener key does not belong to group %q", o.group)
	}
	o.mu.Lock()
	o.keys[epoch] = pk
	o.mu.Unlock()
	return pk, nil
}
