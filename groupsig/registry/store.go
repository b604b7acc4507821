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
// the public key of that epoch (groupsig encoding).
type Group struct {
	Name      string
	Epoch     uint64
	PublicKey []byte
	CreatedAt time.Time
}

// Member is one registry entry. Secret is the member's x sealed by the
// issuer (see Issuer); Tag is the encoding of the member's A at Epoch, the
// value Open recovers from a signature. Tags of earlier epochs stay
// resolvable through Identify.
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
// Epoch, the new public key, and the new tag of every member that stays.
type Revocation struct {
	Epoch     uint64
	MemberID  string
	Update    []byte // groupsig.Revocation encoding
	PublicKey []byte // groupsig.PublicKey at Epoch
	Tags      []MemberTag
	At        time.Time
}

// MemberTag is a member's tag at a new epoch.
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
	// Identify returns the member whose key had tag at any epoch. ErrNotFound.
	Identify(ctx context.Context, group string, tag []byte) (Member, error)
	// Revoke records r: the group must be at r.Epoch−1 (ErrEpochConflict
	// otherwise), r.MemberID must be active (ErrNotActive, ErrNotFound), and
	// r.Tags must give a new tag to exactly the other active members
	// (ErrEpochConflict otherwise, e.g. when a member joined meanwhile).
	Revoke(ctx context.Context, group string, r Revocation) error
	// Revocations returns the revocations to epochs after `after`, in order.
	Revocations(ctx context.Context, group string, after uint64) ([]Revocation, error)
}
