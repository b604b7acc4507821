package trust

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"trustbank/trust/score"
)

// MembershipStatus is where one tier-group membership of a user stands.
// Transitions (Membership.Next): pending → active (joined in the
// registry), pending|active → leaving (a tier change or the user's exit,
// recorded in the same transaction as its cause), leaving → left (revoked
// in the registry, or never joined). A user has exactly one pending or
// active membership until it exits, and then none.
type MembershipStatus string

const (
	Pending MembershipStatus = "pending"
	Active  MembershipStatus = "active"
	Leaving MembershipStatus = "leaving"
	Left    MembershipStatus = "left"
)

// Next checks the transition from s to to.
func (s MembershipStatus) Next(to MembershipStatus) error {
	switch {
	case s == Pending && (to == Active || to == Leaving),
		s == Active && to == Leaving,
		s == Leaving && to == Left:
		return nil
	default:
		return fmt.Errorf("trust: membership cannot go from %q to %q", s, to)
	}
}

// Membership is one registry member of a tier group, owned by a user.
// Member is the registry member id: "<user>/<generation>".
type Membership struct {
	Tier   score.Tier
	Member string
	User   string
	Status MembershipStatus
}

// UserRecord is a user at the identity provider. Tier and Member name its
// current membership; Version counts the record's changes (optimistic
// concurrency between provider processes).
type UserRecord struct {
	ID         string
	ClientKey  ed25519.PublicKey // authenticates the user's client (key fetch)
	Revoked    bool
	State      score.State
	Tier       score.Tier
	Member     string
	Generation uint64
	Version    uint64
	CreatedAt  time.Time
}

// ServiceRecord is a cloud service registered at the provider: its
// Ed25519 key signs its feedback reports.
type ServiceRecord struct {
	ID        string
	Key       ed25519.PublicKey
	CreatedAt time.Time
}

// FeedbackRecord is one counted report: the idempotency key (Service,
// Transaction), whom it rated, and the digest of the report, so that a
// retry is recognised and another report for the same transaction is not.
type FeedbackRecord struct {
	Service     string
	Transaction [NonceSize]byte
	User        string
	Tc          float64
	T           float64 // the user's trust after the report
	Digest      [32]byte
	At          time.Time
}

// Errors of the store that only the provider sees.
var (
	errDuplicateFeedback = errors.New("trust: feedback for this transaction already recorded")
	errVersion           = errors.New("trust: user record changed concurrently")
	errNoFeedback        = errors.New("trust: no feedback for this transaction")
)

// Store persists the provider's users, memberships, services and
// feedback. Every method is atomic, durable once it returns nil, and safe
// for concurrent use. The four tier groups themselves live in a
// groupsig/registry Store.
type Store interface {
	// AddService records s; the same id with the same key again is a
	// no-op, with another key ErrServiceExists.
	AddService(ctx context.Context, s ServiceRecord) error
	// Service returns a service. ErrUnknownService.
	Service(ctx context.Context, id string) (ServiceRecord, error)
	// AddUser records u with its first membership m (status Pending).
	// ErrUserExists if the id is taken.
	AddUser(ctx context.Context, u UserRecord, m Membership) error
	// User returns a user. ErrUnknownUser.
	User(ctx context.Context, id string) (UserRecord, error)
	// MemberUser returns the user owning a tier group's member id, in any
	// status. ErrUnknownUser.
	MemberUser(ctx context.Context, tier score.Tier, member string) (string, error)
	// Memberships returns a user's memberships that are not Left.
	Memberships(ctx context.Context, user string) ([]Membership, error)
	// Unsettled returns the users with a Pending or Leaving membership.
	Unsettled(ctx context.Context) ([]string, error)
	// SetMembership moves a membership from one status to another
	// (errVersion if it is not in `from`).
	SetMembership(ctx context.Context, tier score.Tier, member string, from, to MembershipStatus) error
	// Feedback returns the report counted for (service, transaction).
	// errNoFeedback.
	Feedback(ctx context.Context, service string, txn [NonceSize]byte) (FeedbackRecord, error)
	// RecordFeedback, in one transaction: inserts f (errDuplicateFeedback
	// if its key is taken), replaces the user record at version
	// u.Version−1 by u (errVersion otherwise) and, if move is not nil,
	// moves the user's previous membership to Leaving and adds move
	// (Pending) — a re-grouping.
	RecordFeedback(ctx context.Context, f FeedbackRecord, u UserRecord, move *Membership) error
	// RevokeUser marks the user revoked at version+1 (errVersion if the
	// record is not at version) and moves its membership to Leaving.
	RevokeUser(ctx context.Context, id string, version uint64) error
}
