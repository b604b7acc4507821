package trust

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"trustbank/groupsig"
	"trustbank/groupsig/registry"
	"trustbank/trust/score"
)

// ProviderConfig configures the identity provider.
type ProviderConfig struct {
	Store    Store          // users, memberships, services, feedback
	Registry registry.Store // the four tier groups
	Keys     *Keys          // the tier groups' manager keys
	Now      func() time.Time
	// FeedbackWindow is how long after an authentication its service may
	// rate it (default DefaultFeedbackWindow).
	FeedbackWindow time.Duration
}

// DefaultFeedbackWindow is how long a service may take to rate a session.
const DefaultFeedbackWindow = 15 * time.Minute

// clockSkew is how far ahead of the provider's clock an authentication's
// time may be.
const clockSkew = 2 * time.Minute

// Validate refuses an incomplete configuration.
func (c *ProviderConfig) Validate() error {
	if c.Store == nil || c.Registry == nil || c.Keys == nil {
		return errors.New("trust: provider needs a store, a registry store and the tier keys")
	}
	if c.FeedbackWindow < 0 {
		return errors.New("trust: negative feedback window")
	}
	return nil
}

// Provider is the identity provider (IDP) of the paper: identity
// registration, group management (four tier groups), trust computation,
// cloud feedback and feedback management, opening and revocation.
type Provider struct {
	cfg    ProviderConfig
	store  Store
	groups [len(score.Tiers)]tierGroup
	locks  [256]sync.Mutex // per-user serialisation, by hash of the id
}

type tierGroup struct {
	issuer *registry.Issuer
	opener *registry.Opener
	keys   *registry.PublicKeys
}

// NewProvider opens the provider: it creates the four tier groups on
// first use (or loads them), then finishes any re-grouping a crash
// interrupted (Recover).
func NewProvider(ctx context.Context, cfg ProviderConfig) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FeedbackWindow == 0 {
		cfg.FeedbackWindow = DefaultFeedbackWindow
	}
	p := &Provider{cfg: cfg, store: cfg.Store}
	for _, t := range score.Tiers {
		name, gk := GroupName(t), cfg.Keys[t]
		is, err := registry.CreateGroup(ctx, cfg.Registry, name, gk.Issuer)
		if errors.Is(err, registry.ErrGroupExists) {
			is, err = registry.LoadIssuer(ctx, cfg.Registry, name, gk.Issuer)
		}
		if err != nil {
			return nil, fmt.Errorf("trust: tier group %s: %w", name, err)
		}
		op, err := registry.NewOpener(ctx, cfg.Registry, name, gk.Opener, gk.Issuer)
		if err != nil {
			return nil, fmt.Errorf("trust: tier group %s: %w", name, err)
		}
		p.groups[t] = tierGroup{issuer: is, opener: op, keys: registry.NewPublicKeys(cfg.Registry, name)}
	}
	return p, p.Recover(ctx)
}

// lock serialises the operations on one user.
func (p *Provider) lock(user string) func() {
	h := fnv.New32a()
	h.Write([]byte(user))
	m := &p.locks[h.Sum32()%uint32(len(p.locks))]
	m.Lock()
	return m.Unlock
}

// RegisterService records a cloud service and the Ed25519 key it signs
// its feedback with (an operator's act). Registering the same id with the
// same key again is a no-op.
func (p *Provider) RegisterService(ctx context.Context, id string, key ed25519.PublicKey) error {
	if err := checkID("service", id); err != nil {
		return err
	}
	if len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: service key of %d bytes", ErrMalformed, len(key))
	}
	return p.store.AddService(ctx, ServiceRecord{ID: id, Key: key, CreatedAt: p.cfg.Now()})
}

// Enrollment is what a user's client holds: its tier and its member key
// in that tier's group. It is secret to the user's client.
type Enrollment struct {
	User string
	Tier score.Tier
	Key  *groupsig.MemberKey
}

// Zeroize clears the member key.
func (e *Enrollment) Zeroize() { e.Key.Zeroize() }

// Register registers a user whose client authenticates with clientKey:
// trust starts at the paper's 0.5 (tier mediate), and the user joins that
// tier's group. It returns the enrollment for the user's client. Calling
// it again with the same key returns the current enrollment; with another
// key, ErrUserExists. Verifying the person behind the id is the
// operator's business before calling Register.
func (p *Provider) Register(ctx context.Context, id string, clientKey ed25519.PublicKey) (*Enrollment, error) {
	if err := checkID("user", id); err != nil {
		return nil, err
	}
	if len(clientKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: client key of %d bytes", ErrMalformed, len(clientKey))
	}
	unlock := p.lock(id)
	defer unlock()
	st := score.New()
	u := UserRecord{ID: id, ClientKey: clientKey, State: st, Tier: st.Tier(), Generation: 1, Version: 1,
		CreatedAt: p.cfg.Now()}
	u.Member = memberID(id, u.Generation)
	err := p.store.AddUser(ctx, u, Membership{Tier: u.Tier, Member: u.Member, User: id, Status: Pending})
	if errors.Is(err, ErrUserExists) {
		old, gerr := p.store.User(ctx, id)
		if gerr != nil {
			return nil, gerr
		}
		if !old.ClientKey.Equal(clientKey) {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return p.enrollment(ctx, id)
}

func memberID(user string, gen uint64) string { return fmt.Sprintf("%s/%d", user, gen) }

// Enrollment returns the user's current enrollment: its tier and its key
// at the tier group's current epoch (the client's key fetch after a tier
// change or when it fell behind). ErrUserRevoked after the user left.
func (p *Provider) Enrollment(ctx context.Context, user string) (*Enrollment, error) {
	unlock := p.lock(user)
	defer unlock()
	return p.enrollment(ctx, user)
}

func (p *Provider) enrollment(ctx context.Context, user string) (*Enrollment, error) {
	if err := p.settle(ctx, user); err != nil {
		return nil, err
	}
	u, err := p.store.User(ctx, user)
	if err != nil {
		return nil, err
	}
	if u.Revoked {
		return nil, fmt.Errorf("%w: %q", ErrUserRevoked, user)
	}
	mk, err := p.groups[u.Tier].issuer.Join(ctx, u.Member) // the member's key again, at the current epoch
	if err != nil {
		return nil, err
	}
	return &Enrollment{User: user, Tier: u.Tier, Key: mk}, nil
}

// ClientKey returns the key that authenticates the user's client.
func (p *Provider) ClientKey(ctx context.Context, user string) (ed25519.PublicKey, error) {
	u, err := p.store.User(ctx, user)
	return u.ClientKey, err
}

// UserStatus is what the operator sees of a user.
type UserStatus struct {
	User       string
	T          float64
	Tier       score.Tier
	Generation uint64 // how many memberships the user has had
	Revoked    bool
}

// Status returns the user's trust, tier and standing (operator only).
func (p *Provider) Status(ctx context.Context, user string) (UserStatus, error) {
	u, err := p.store.User(ctx, user)
	if err != nil {
		return UserStatus{}, err
	}
	return UserStatus{User: u.ID, T: u.State.T, Tier: u.Tier, Generation: u.Generation, Revoked: u.Revoked}, nil
}

// Revoke is a user's exit: its membership is revoked in its tier group
// (the group moves to a new epoch the user's key cannot follow), the
// provider issues it no key again, and its signatures are refused.
// Revoking a revoked user is a no-op.
func (p *Provider) Revoke(ctx context.Context, user string) error {
	unlock := p.lock(user)
	defer unlock()
	for {
		u, err := p.store.User(ctx, user)
		if err != nil {
			return err
		}
		if u.Revoked {
			return p.settle(ctx, user)
		}
		err = p.store.RevokeUser(ctx, user, u.Version)
		if errors.Is(err, errVersion) {
			continue // another provider process changed the user; read again
		}
		if err != nil {
			return err
		}
		return p.settle(ctx, user)
	}
}

// Open names the user behind an authentication (the provider alone holds
// the opener keys). A signature at an epoch whose key a later revocation
// published names nobody by itself: Open then returns an error wrapping
// registry.ErrKeyPublished that says whom it opens to.
func (p *Provider) Open(ctx context.Context, a *Authentication) (string, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	m, err := p.groups[a.Tier].opener.Open(ctx, a.AuthMessage.Bytes(), &a.Signature)
	var pub *registry.PublishedKeyError
	switch {
	case errors.As(err, &pub):
		user, uerr := p.store.MemberUser(ctx, a.Tier, pub.Member.ID)
		return "", fmt.Errorf("%w (opens to user %q, member %s: %v)", err, user, pub.Member.ID, uerr)
	case err != nil:
		return "", notMember(err)
	}
	return p.store.MemberUser(ctx, a.Tier, m.ID)
}

// notMember maps a signature that does not verify, or names an epoch the
// group never had, to ErrNotMember.
func notMember(err error) error {
	if errors.Is(err, groupsig.ErrInvalidSignature) || errors.Is(err, registry.ErrNotFound) ||
		errors.Is(err, groupsig.ErrWrongEpoch) {
		return fmt.Errorf("%w: %v", ErrNotMember, err)
	}
	return err
}

// PublicKey returns a tier group's public key at epoch.
func (p *Provider) PublicKey(ctx context.Context, t score.Tier, epoch uint64) (*groupsig.PublicKey, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: tier %d", ErrMalformed, t)
	}
	return p.groups[t].keys.At(ctx, epoch)
}

// Current returns a tier group's current public key; it reads the group's
// epoch from the registry every time, so a key is never served after the
// revocation that ended it (the TierKeys a co-located service uses).
func (p *Provider) Current(ctx context.Context, t score.Tier) (*groupsig.PublicKey, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: tier %d", ErrMalformed, t)
	}
	return p.groups[t].keys.Current(ctx)
}

// Updates returns a tier group's revocation updates after epoch `after`,
// for clients (MemberKey.Update) and services (PublicKey.Apply).
func (p *Provider) Updates(ctx context.Context, t score.Tier, after uint64) ([]*groupsig.Revocation, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: tier %d", ErrMalformed, t)
	}
	return p.groups[t].issuer.Updates(ctx, after)
}
