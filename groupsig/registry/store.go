package registry

import (
	"context"
	"errors"
	"time"
)

// Store errors. Backends return them (possibly wrapped) so callers can test
// with errors.Is whatever the backend.
var (
	ErrNotFound      = errors.New("registry: not found")
	ErrGroupExists   = errors.New("registry: group already exists")
	ErrMemberExists  = errors.New("registry: member id already in use")
	ErrEpochConflict = errors.New("registry: group epoch changed concurrently; retry")
	ErrNotActive     = errors.New("registry: member is revoked")
)

// Status is a member's state. The only transition is Active → Revoked.
type Status string

const (
	Active  Status = "active"
	Revoked Status = "revoked"
)

// Group is a group as the store records it: its name, current key epoch and
// the public key of that epoch (groupsig encoding). PerEpochTags marks a
// group written before schema version 2, whose members still carry a tag
// per epoch; RebaseTags converts it (LoadIssuer and NewOpener do).
type Group struct {
	Name         string
	Epoch        uint64
	PublicKey    []byte
	CreatedAt    time.Time
	PerEpochTags bool
}

// Member is one registry entry. Secret is the member's x sealed by the
// issuer (see Issuer); Tag is the member's base tag, the encoding of its A
// under the group's epoch-0 key (groupsig.Rewinder), which names its
// signatures of every epoch; Epoch is the epoch the member joined at.
type Member struct {
	ID           string
	Secret       []byte
	Tag          []byte
	Epoch        uint64
	Status       Status
	JoinedAt     time.Time
	RevokedEpoch uint64 // the epoch whose update revoked the member; 0 while active
}

// Revocation is one recorded revocation: the update that moves the group to
// Epoch and the new public key. It touches no other member's entry.
type Revocation struct {
	Epoch     uint64
	MemberID  string
	Update    []byte // groupsig.Revocation encoding
	PublicKey []byte // groupsig.PublicKey at Epoch
	At        time.Time
}

// MemberTag is a member's base tag (RebaseTags).
type MemberTag struct {
	MemberID string
	Tag      []byte
}

// Store persists groups, their members and their revocation history. Every
// method is atomic: it takes effect entirely or not at all, and once it has
// returned nil the effect is durable. Implementations are safe for
// concurrent use.
type Store interface {
	// CreateGroup records a new group at g.Epoch (normally 0).
	// ErrGroupExists if the name is taken.
	CreateGroup(ctx context.Context, g Group) error
	// Group returns the group at its current epoch. ErrNotFound.
	Group(ctx context.Context, name string) (Group, error)
	// PublicKey returns the group's public key at epoch. ErrNotFound.
	PublicKey(ctx context.Context, group string, epoch uint64) ([]byte, error)
	// AddMember records m, whose Epoch must be the group's current epoch
	// (ErrEpochConflict otherwise). ErrMemberExists if m.ID is taken;
	// ErrNotFound if the group does not exist.
	AddMember(ctx context.Context, group string, m Member) error
	// Member returns one member. ErrNotFound.
	Member(ctx context.Context, group, id string) (Member, error)
	// Members returns all members, active and revoked, in join order.
	Members(ctx context.Context, group string) ([]Member, error)
	// Identify returns the member whose base tag is tag. ErrNotFound.
	Identify(ctx context.Context, group string, tag []byte) (Member, error)
	// Revoke records r: the group must be at r.Epoch−1 (ErrEpochConflict
	// otherwise) and r.MemberID must be active (ErrNotActive, ErrNotFound).
	// It costs O(1) rows whatever the size of the group.
	Revoke(ctx context.Context, group string, r Revocation) error
	// Revocations returns the revocations to epochs after `after`, in order.
	Revocations(ctx context.Context, group string, after uint64) ([]Revocation, error)
	// RebaseTags converts a group with PerEpochTags: tags gives every
	// member its base tag, each member's Epoch becomes the epoch it joined
	// at, and the tags per epoch are dropped. The group must be at epoch
	// and tags must cover exactly its members (ErrEpochConflict otherwise).
	// On a group already converted it does nothing.
	RebaseTags(ctx context.Context, group string, epoch uint64, tags []MemberTag) error
}
