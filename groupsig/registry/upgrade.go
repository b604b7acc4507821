package registry

import (
	"bytes"
	"context"
	"fmt"

	"trustbank/groupsig"
)

// upgrade converts a group written before base tags (Group.PerEpochTags:
// its members carry a tag per epoch, schema version 1) to one base tag per
// member. The migration that adds schema version 2 cannot do it in SQL: a
// base tag g1_0^(1/(γ+x)) needs the issuer secret γ. So the first
// LoadIssuer or NewOpener after the upgrade does it here, once: for every
// member it unseals x, computes the base tag, and checks it against the
// member's stored tag of its last epoch rewound to epoch 0 (a wrong key or
// a damaged row stops the upgrade instead of misnaming signers later);
// then RebaseTags records all base tags and join epochs and drops the tags
// per epoch in one transaction. It costs three multiplications per
// member, once; a crash before the commit leaves the old registry intact
// and the next load starts over.
func (is *Issuer) upgrade(ctx context.Context) error {
	g, err := is.store.Group(ctx, is.group)
	if err != nil || !g.PerEpochTags {
		return err
	}
	members, err := is.store.Members(ctx, is.group)
	if err != nil {
		return err
	}
	rw := is.key.Rewinder()
	defer rw.Zeroize()
	if err := catchUp(ctx, is.store, is.group, rw, g.Epoch); err != nil {
		return err
	}
	tags := make([]MemberTag, 0, len(members))
	for _, m := range members {
		base, err := is.legacyBaseTag(rw, m)
		if err != nil {
			return fmt.Errorf("registry: upgrading group %q to base tags: %w", is.group, err)
		}
		tags = append(tags, MemberTag{MemberID: m.ID, Tag: base[:]})
	}
	return is.store.RebaseTags(ctx, is.group, g.Epoch, tags)
}

// legacyBaseTag computes m's base tag from its secret and checks that it
// is the member's stored tag (of epoch m.Epoch) rewound.
func (is *Issuer) legacyBaseTag(rw *groupsig.Rewinder, m Member) (groupsig.Tag, error) {
	x, err := is.secret(m)
	if err != nil {
		return groupsig.Tag{}, fmt.Errorf("member %q: %w", m.ID, err)
	}
	base, err := is.key.BaseTag(is.pk0, &x)
	if err != nil {
		return groupsig.Tag{}, err
	}
	var old groupsig.Tag
	if len(m.Tag) != len(old) {
		return groupsig.Tag{}, fmt.Errorf("member %q: stored tag is %d bytes", m.ID, len(m.Tag))
	}
	copy(old[:], m.Tag)
	rewound, err := rw.Rewind(old, m.Epoch)
	if err != nil {
		return groupsig.Tag{}, fmt.Errorf("member %q: %w", m.ID, err)
	}
	if !bytes.Equal(rewound[:], base[:]) {
		return groupsig.Tag{}, fmt.Errorf("member %q: stored tag of epoch %d is not its key at that epoch", m.ID, m.Epoch)
	}
	return base, nil
}

// catchUp applies the group's updates to rw until it reaches epoch.
func catchUp(ctx context.Context, store Store, group string, rw *groupsig.Rewinder, epoch uint64) error {
	if rw.Epoch() >= epoch {
		return nil
	}
	revs, err := store.Revocations(ctx, group, rw.Epoch())
	if err != nil {
		return err
	}
	for _, r := range revs {
		if err := rw.ApplyEncoded(r.Update); err != nil {
			return fmt.Errorf("registry: group %q: stored update to epoch %d: %w", group, r.Epoch, err)
		}
	}
	if rw.Epoch() < epoch {
		return fmt.Errorf("%w: group %q has no update to epoch %d", ErrNotFound, group, epoch)
	}
	return nil
}
