package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/groupsig"
	"trustbank/internal/bls12"
)

// Issuer is the group's issuing authority: it admits members (Join) and
// revokes them (Revoke), keeping the registry the opener resolves
// signatures against. One Issuer value serialises its own operations; the
// store's epoch checks make concurrent issuers on one database safe too
// (the loser gets ErrEpochConflict).
type Issuer struct {
	group string
	store Store
	seal  *sealer

	pk0 *groupsig.PublicKey // the epoch-0 key, under which base tags are made

	mu  sync.Mutex
	key *groupsig.IssuerKey // PK is the group's current public key
}

// CreateGroup records a new group with the given keys (from groupsig.Setup
// or GenerateIssuerKey) at epoch 0 and returns its issuer.
func CreateGroup(ctx context.Context, store Store, name string, ik *groupsig.IssuerKey) (*Issuer, error) {
	if ik.PK.Epoch != 0 {
		return nil, fmt.Errorf("registry: new group %q needs an epoch-0 key, got epoch %d", name, ik.PK.Epoch)
	}
	pkb, _ := ik.PK.MarshalBinary()
	if err := store.CreateGroup(ctx, Group{Name: name, PublicKey: pkb, CreatedAt: time.Now()}); err != nil {
		return nil, err
	}
	return newIssuer(name, store, ik, ik.PK)
}

// LoadIssuer returns the issuer of an existing group. ik may be the key as it
// was at any epoch (a key file written at setup): its secret γ must match
// the group, and the issuer continues from the store's current epoch.
//
// A group written before base tags (Group.PerEpochTags) is converted first,
// once (see upgrade.go).
func LoadIssuer(ctx context.Context, store Store, name string, ik *groupsig.IssuerKey) (*Issuer, error) {
	cur, pk0, err := groupKey(ctx, store, name, ik)
	if err != nil {
		return nil, err
	}
	is, err := newIssuer(name, store, cur, pk0)
	if err != nil {
		return nil, err
	}
	return is, is.upgrade(ctx)
}

// groupKey checks that ik's γ belongs to group and returns the issuer key
// at the group's current epoch and the group's epoch-0 public key.
func groupKey(ctx context.Context, store Store, name string, ik *groupsig.IssuerKey) (cur *groupsig.IssuerKey, pk0 *groupsig.PublicKey, err error) {
	g, err := store.Group(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	pk, err := groupsig.ParsePublicKey(g.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("registry: group %q: stored public key: %w", name, err)
	}
	cur = &groupsig.IssuerKey{Gamma: ik.Gamma, PK: pk}
	enc, _ := cur.MarshalBinary()
	if _, err := groupsig.ParseIssuerKey(enc); err != nil { // checks w = g2^γ
		return nil, nil, fmt.Errorf("registry: issuer key does not belong to group %q: %w", name, err)
	}
	if pk.Epoch == 0 {
		return cur, pk, nil
	}
	b, err := store.PublicKey(ctx, name, 0)
	if err != nil {
		return nil, nil, err
	}
	if pk0, err = groupsig.ParsePublicKey(b); err != nil {
		return nil, nil, fmt.Errorf("registry: group %q: stored epoch-0 key: %w", name, err)
	}
	return cur, pk0, nil
}

func newIssuer(name string, store Store, ik *groupsig.IssuerKey, pk0 *groupsig.PublicKey) (*Issuer, error) {
	gamma := ik.Gamma.Bytes()
	s, err := newSealer(gamma[:])
	if err != nil {
		return nil, err
	}
	return &Issuer{group: name, store: store, seal: s, key: ik, pk0: pk0}, nil
}

// PublicKey returns the group's current public key.
func (is *Issuer) PublicKey() *groupsig.PublicKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.key.PK
}

// Join admits member id and returns its key, to be sent to the member over
// a private channel, and records the member with its base tag (two
// fixed-base multiplications: A at the current epoch and the base tag,
// whatever the epoch). Join is idempotent: for an id that is already an
// active member it returns that member's current key again; for a revoked
// id it returns ErrNotActive.
func (is *Issuer) Join(ctx context.Context, id string) (*groupsig.MemberKey, error) {
	if id == "" {
		return nil, fmt.Errorf("registry: empty member id")
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	switch m, err := is.store.Member(ctx, is.group, id); {
	case err == nil:
		return is.currentKey(m)
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	mk, err := is.key.Issue(rand.Reader)
	if err != nil {
		return nil, err
	}
	x := mk.X.Bytes()
	sealed, err := is.seal.seal(rand.Reader, is.group, id, x[:])
	if err != nil {
		return nil, err
	}
	tag, err := is.key.BaseTag(is.pk0, &mk.X)
	if err != nil {
		return nil, err
	}
	err = is.store.AddMember(ctx, is.group, Member{
		ID: id, Secret: sealed, Tag: tag[:], Epoch: mk.Epoch, Status: Active, JoinedAt: time.Now(),
	})
	if err != nil {
		return nil, is.refreshOn(ctx, err)
	}
	return mk, nil
}

// refreshOn passes err on; if it is ErrEpochConflict (another issuer moved
// the group), it first reloads the current public key so a retry works.
func (is *Issuer) refreshOn(ctx context.Context, err error) error {
	if !errors.Is(err, ErrEpochConflict) {
		return err
	}
	g, gerr := is.store.Group(ctx, is.group)
	if gerr != nil {
		return err
	}
	if pk, perr := groupsig.ParsePublicKey(g.PublicKey); perr == nil {
		is.key = &groupsig.IssuerKey{Gamma: is.key.Gamma, PK: pk}
	}
	return err
}

// currentKey recomputes an active member's key at the current epoch.
func (is *Issuer) currentKey(m Member) (*groupsig.MemberKey, error) {
	if m.Status != Active {
		return nil, fmt.Errorf("%w: %q", ErrNotActive, m.ID)
	}
	x, err := is.secret(m)
	if err != nil {
		return nil, err
	}
	mk, err := is.key.KeyFor(&x)
	if err != nil {
		return nil, err
	}
	tag, err := is.key.BaseTag(is.pk0, &x)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(tag[:], m.Tag) || m.Epoch > mk.Epoch {
		return nil, fmt.Errorf("registry: member %q: stored base tag or join epoch does not match its secret", m.ID)
	}
	return mk, nil
}

func (is *Issuer) secret(m Member) (x fr.Element, err error) {
	b, err := is.seal.open(is.group, m.ID, m.Secret)
	if err != nil {
		return x, err
	}
	return bls12.DecodeNonZeroScalar(b)
}

// Revoke revokes member id: the group moves to the next epoch and the
// update is stored for members and verifiers to fetch (Updates). No other
// member's entry changes, since entries hold base tags (groupsig.Rewinder),
// so revoking costs O(1) whatever the size of the group: one key
// computation and one update at the issuer, three rows in the store, and
// nothing at verification.
func (is *Issuer) Revoke(ctx context.Context, id string) (*groupsig.Revocation, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	target, err := is.store.Member(ctx, is.group, id)
	if err != nil {
		return nil, err
	}
	if target.Status != Active {
		return nil, fmt.Errorf("%w: %q", ErrNotActive, id)
	}
	tx, err := is.secret(target)
	if err != nil {
		return nil, err
	}
	next := &groupsig.IssuerKey{Gamma: is.key.Gamma, PK: is.key.PK}
	old, err := next.KeyFor(&tx)
	if err != nil {
		return nil, err
	}
	rev, err := next.Revoke(old.A, old.X)
	if err != nil {
		return nil, err
	}
	rec := Revocation{Epoch: rev.Epoch, MemberID: id, At: time.Now()}
	rec.Update, _ = rev.MarshalBinary()
	rec.PublicKey, _ = next.PK.MarshalBinary()
	if err := is.store.Revoke(ctx, is.group, rec); err != nil {
		return nil, is.refreshOn(ctx, err)
	}
	is.key = next
	return rev, nil
}

// Member returns the registry entry of id (ErrNotFound).
func (is *Issuer) Member(ctx context.Context, id string) (Member, error) {
	return is.store.Member(ctx, is.group, id)
}

// Updates returns the revocation updates after epoch `after`, in order, for
// members (MemberKey.Update) and verifiers (PublicKey.Apply) to catch up.
func (is *Issuer) Updates(ctx context.Context, after uint64) ([]*groupsig.Revocation, error) {
	return Updates(ctx, is.store, is.group, after)
}

// Updates reads the revocation updates of group after epoch `after`.
func Updates(ctx context.Context, store Store, group string, after uint64) ([]*groupsig.Revocation, error) {
	recs, err := store.Revocations(ctx, group, after)
	if err != nil {
		return nil, err
	}
	out := make([]*groupsig.Revocation, 0, len(recs))
	for _, r := range recs {
		rev, err := groupsig.ParseRevocation(r.Update)
		if err != nil {
			return nil, fmt.Errorf("registry: stored update to epoch %d: %w", r.Epoch, err)
		}
		out = append(out, rev)
	}
	return out, nil
}
