package ecash

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"

	"trustbank/groupsig"
)

// AIK enrolment: GU registers a platform key only after the TPM that holds
// it has proved so by credential activation against its endorsement key.
//
//	Device (TPM)                                   GU (Enroller)
//	EnrollRequest{identity, EK cert, AIK public} ─▶ EK cert chains to a trusted
//	                                                 manufacturer CA; AIK is a
//	                                                 restricted fixedTPM key;
//	                                                 secret s ← random;
//	                                                 credential ← MakeCredential(EK, Name(AIK), s)
//	◀──────────── EnrollChallenge{id, credential, expires}
//	s' ← ActivateCredential(AIK, EK, credential)
//	EnrollAnswer{id, s'} ──────────────────────────▶ challenge id taken (single use),
//	                                                 not expired, s' = s →
//	◀──────────── member key                          register(identity, AIK)
//
// Challenges live in memory: a restarted registry forgets them, and the
// device begins again.

// ErrEnrollment is returned for an answer to no pending challenge: never
// begun, answered before (a challenge takes one answer, right or wrong),
// or forgotten by a restart.
var ErrEnrollment = errors.New("ecash: no pending enrolment challenge with this id")

// Endorser checks a device's EK certificate and AIK and makes a credential
// for secret that only the TPM holding both can activate (package attest's
// *Endorser implements it).
type Endorser interface {
	MakeCredential(ekCert, aik, secret []byte) ([]byte, error)
}

// EnrollRequest is the device's first message: who enrols, its TPM's EK
// certificate (DER) and its AIK's public area (an encoded TPMT_PUBLIC).
type EnrollRequest struct {
	Identity string
	EKCert   []byte
	AIK      []byte
}

// EnrollChallenge is GU's answer: a credential to activate by Expires.
type EnrollChallenge struct {
	ID         [16]byte
	Credential []byte
	Expires    time.Time
}

// EnrollAnswer is the device's second message: the activated secret.
type EnrollAnswer struct {
	ID     [16]byte
	Secret []byte
}

// EnrollConfig configures an Enroller.
type EnrollConfig struct {
	TTL        time.Duration // how long a challenge may be answered; default 5 minutes
	MaxPending int           // challenges held at once; default 1024
	Now        func() time.Time
}

// Enroller runs AIK enrolment for a user registry.
type Enroller struct {
	users   *UserRegistry
	ek      Endorser
	cfg     EnrollConfig
	mu      sync.Mutex
	pending map[[16]byte]*pendingEnrollment
}

// pendingEnrollment is a challenge awaiting its answer.
type pendingEnrollment struct {
	identity string
	aik      []byte
	secret   [32]byte
	expires  time.Time
}

// zero wipes the secret.
func (p *pendingEnrollment) zero() { clear(p.secret[:]) }

// NewEnroller returns the enrolment of users, trusting the TPMs ek trusts.
func NewEnroller(users *UserRegistry, ek Endorser, cfg EnrollConfig) *Enroller {
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Minute
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 1024
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Enroller{users: users, ek: ek, cfg: cfg, pending: map[[16]byte]*pendingEnrollment{}}
}

// Begin checks the request and returns a challenge for the device's TPM.
// A refused EK certificate or AIK is ErrAttestation.
func (e *Enroller) Begin(ctx context.Context, q *EnrollRequest) (*EnrollChallenge, error) {
	if q.Identity == "" || len(q.Identity) > maxAccountID || len(q.EKCert) == 0 || len(q.AIK) == 0 {
		return nil, fmt.Errorf("%w: enrolment needs an identity of 1 to %d bytes, an EK certificate and an AIK", ErrMalformed, maxAccountID)
	}
	p := &pendingEnrollment{identity: q.Identity, aik: q.AIK, expires: e.cfg.Now().Add(e.cfg.TTL)}
	rand.Read(p.secret[:])
	cred, err := e.ek.MakeCredential(q.EKCert, q.AIK, p.secret[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAttestation, err)
	}
	ch := &EnrollChallenge{Credential: cred, Expires: p.expires}
	rand.Read(ch.ID[:])
	if err := e.hold(ch.ID, p); err != nil {
		return nil, err
	}
	return ch, nil
}

// hold records a pending challenge, first dropping expired ones.
func (e *Enroller) hold(id [16]byte, p *pendingEnrollment) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	for k, old := range e.pending {
		if now.After(old.expires) {
			old.zero()
			delete(e.pending, k)
		}
	}
	if len(e.pending) >= e.cfg.MaxPending {
		return fmt.Errorf("%w: %d enrolments pending; try again later", ErrEnrollment, len(e.pending))
	}
	e.pending[id] = p
	return nil
}

// take removes and returns the pending challenge id (nil if none).
func (e *Enroller) take(id [16]byte) *pendingEnrollment {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.pending[id]
	delete(e.pending, id)
	return p
}

// Finish checks the answer and registers the AIK for the identity that
// began the enrolment, returning its user-group member key. The challenge
// is used up whatever the outcome: ErrEnrollment for an unknown or used
// one, ErrExpired for a late answer, ErrAttestation for a wrong secret.
func (e *Enroller) Finish(ctx context.Context, a *EnrollAnswer) (*groupsig.MemberKey, error) {
	p := e.take(a.ID)
	if p == nil {
		return nil, ErrEnrollment
	}
	defer p.zero()
	if e.cfg.Now().After(p.expires) {
		return nil, fmt.Errorf("%w: enrolment challenge expired at %s", ErrExpired, p.expires.UTC().Format(time.RFC3339))
	}
	if subtle.ConstantTimeCompare(a.Secret, p.secret[:]) != 1 {
		return nil, fmt.Errorf("%w: the answer is not the credential's secret: this TPM does not hold the AIK", ErrAttestation)
	}
	return e.users.register(ctx, p.identity, p.aik)
}
