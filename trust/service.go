package trust

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"trustbank/groupsig"
	"trustbank/trust/score"
)

// TierKeys gives a service each tier group's CURRENT public key. Checking
// a signature's epoch against it is the revocation check: a revoked or
// re-grouped member cannot sign at the current epoch. Provider implements
// it in process (reading the registry every call); trusthttp.KeyFeed does
// over HTTP.
type TierKeys interface {
	Current(ctx context.Context, t score.Tier) (*groupsig.PublicKey, error)
}

// FeedbackSink takes a service's signed reports: the Provider, or its
// HTTP client.
type FeedbackSink interface {
	Feedback(ctx context.Context, r *SignedReport) (*Receipt, error)
}

// ServiceConfig configures a cloud service.
type ServiceConfig struct {
	ID       string
	Key      ed25519.PrivateKey // signs feedback; registered at the provider
	Keys     TierKeys
	Feedback FeedbackSink
	Policies [len(score.Tiers)]Policy
	// Window bounds |now − authentication time| and a challenge's life
	// (default 2 minutes).
	Window time.Duration
	// MaxOutstanding bounds unanswered challenges (default 2^20).
	MaxOutstanding int
	// SessionTTL is how long a session stays open to requests and to its
	// report (default DefaultFeedbackWindow); MaxSessions bounds them
	// (default 2^20).
	SessionTTL  time.Duration
	MaxSessions int
	Now         func() time.Time
}

// Validate refuses an incomplete configuration and fills in defaults.
func (c *ServiceConfig) Validate() error {
	if err := checkID("service", c.ID); err != nil {
		return err
	}
	if len(c.Key) != ed25519.PrivateKeySize || c.Keys == nil || c.Feedback == nil {
		return errors.New("trust: a service needs its Ed25519 key, the tier keys and a feedback sink")
	}
	c.Window = cmp0(c.Window, 2*time.Minute)
	c.SessionTTL = cmp0(c.SessionTTL, DefaultFeedbackWindow)
	c.MaxOutstanding = cmp0(c.MaxOutstanding, 1<<20)
	c.MaxSessions = cmp0(c.MaxSessions, 1<<20)
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func cmp0[T time.Duration | int](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Service is a cloud service: it authenticates users by tier, serves them
// by the tier's policy and rates each session to the provider.
type Service struct {
	cfg        ServiceConfig
	challenges *challenges
	buckets    [len(score.Tiers)]*bucket

	mu       sync.Mutex
	sessions map[[NonceSize]byte]*session
}

type session struct {
	tier     score.Tier
	auth     Authentication
	expires  time.Time
	requests int
}

// Session is what a service knows of an authenticated user: a
// transaction id and a tier.
type Session struct {
	Transaction [NonceSize]byte
	Tier        score.Tier
}

// NewService returns a service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, challenges: newChallenges(cfg.Window, cfg.MaxOutstanding), sessions: map[[NonceSize]byte]*session{}}
	for t, p := range cfg.Policies {
		s.buckets[t] = newBucket(p.Rate, p.Burst)
	}
	return s, nil
}

// ID returns the service's id.
func (s *Service) ID() string { return s.cfg.ID }

// Challenge issues a fresh challenge (ErrBusy when too many are out).
func (s *Service) Challenge() (Challenge, error) {
	c, err := newChallenge(s.cfg.ID)
	if err != nil {
		return c, err
	}
	if !s.challenges.add(c.Nonce, s.cfg.Now()) {
		return Challenge{}, ErrBusy
	}
	return c, nil
}

// Authenticate checks an answer to one of the service's challenges: for
// this service, within the time window, an outstanding challenge, a
// signature at the claimed tier group's current epoch (the revocation
// check) that verifies under that tier's key — one verification. It opens
// a session whose transaction id is the challenge nonce.
func (s *Service) Authenticate(ctx context.Context, a *Authentication) (Session, error) {
	now := s.cfg.Now()
	if err := a.check(); err != nil {
		return Session{}, err
	}
	if a.Service != s.cfg.ID {
		return Session{}, fmt.Errorf("%w: %q", ErrWrongService, a.Service)
	}
	if d := now.Sub(a.Time).Abs(); d > s.cfg.Window {
		return Session{}, fmt.Errorf("%w: %s away (window %s)", ErrExpired, d.Truncate(time.Millisecond), s.cfg.Window)
	}
	if !s.challenges.has(a.Nonce, now) {
		return Session{}, ErrReplay
	}
	pk, err := s.cfg.Keys.Current(ctx, a.Tier)
	if err != nil {
		return Session{}, err
	}
	if a.Signature.Epoch != pk.Epoch {
		return Session{}, fmt.Errorf("%w: tier %s is at epoch %d, the signature at %d", ErrStaleKey, a.Tier, pk.Epoch, a.Signature.Epoch)
	}
	if err := pk.Verify(a.AuthMessage.Bytes(), &a.Signature); err != nil {
		return Session{}, fmt.Errorf("%w: tier %s", ErrNotMember, a.Tier)
	}
	if !s.challenges.take(a.Nonce, now) { // a concurrent copy got there first
		return Session{}, ErrReplay
	}
	s.open(a, now)
	return Session{Transaction: a.Nonce, Tier: a.Tier}, nil
}

// open records the session of a.
func (s *Service) open(a *Authentication, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= s.cfg.MaxSessions {
		for k, v := range s.sessions {
			if !now.Before(v.expires) {
				delete(s.sessions, k)
			}
		}
	}
	s.sessions[a.Nonce] = &session{tier: a.Tier, auth: *a, expires: now.Add(s.cfg.SessionTTL)}
}

// Grant is the service's answer to an allowed request.
type Grant struct {
	Tier      score.Tier
	Feature   string
	Remaining int // requests left in the session
}

// Serve answers one request of a session by its tier's policy: the
// feature must be the tier's, the session and the tier must have requests
// left, and a tier with an attribute check must pass it.
func (s *Service) Serve(ctx context.Context, txn [NonceSize]byte, feature string, attrs map[string]string) (Grant, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	ss := s.sessions[txn]
	if ss == nil || !now.Before(ss.expires) {
		s.mu.Unlock()
		return Grant{}, ErrNoSession
	}
	t, p := ss.tier, &s.cfg.Policies[ss.tier]
	if ss.requests >= p.MaxRequests {
		s.mu.Unlock()
		return Grant{}, fmt.Errorf("%w: session used its %d requests", ErrRateLimited, p.MaxRequests)
	}
	ss.requests++
	left := p.MaxRequests - ss.requests
	s.mu.Unlock()
	if err := p.allows(ctx, t, feature, attrs); err != nil {
		return Grant{}, err
	}
	if !s.buckets[t].take(now) {
		return Grant{}, fmt.Errorf("%w: tier %s", ErrRateLimited, t)
	}
	return Grant{Tier: t, Feature: feature, Remaining: left}, nil
}

// Report rates a session with T_c ∈ [0, 1] and sends the signed report to
// the provider. On an error the session stays, and Report may be called
// again: the provider counts the report once. After the receipt the
// session is closed.
func (s *Service) Report(ctx context.Context, txn [NonceSize]byte, tc float64) (*Receipt, error) {
	s.mu.Lock()
	ss := s.sessions[txn]
	s.mu.Unlock()
	if ss == nil {
		return nil, ErrNoSession
	}
	r := Report{Service: s.cfg.ID, Transaction: txn, Tc: tc, Auth: ss.auth}
	sr, err := r.Sign(s.cfg.Key)
	if err != nil {
		return nil, err
	}
	rc, err := s.cfg.Feedback.Feedback(ctx, sr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.sessions, txn)
	s.mu.Unlock()
	return rc, nil
}
