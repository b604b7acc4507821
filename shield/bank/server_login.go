package bank

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// Challenge is ChallengeFrom with the account as the client: for callers
// with no network peer to tell clients apart.
func (s *Server) Challenge(ctx context.Context, account string) (*LoginChallenge, error) {
	return s.ChallengeFrom(ctx, "account "+account, account)
}

// ChallengeFrom starts a certificate login (the paper's step 2): a fresh
// random nonce, signed with the server key, held in memory until it is
// used or expires (a crash forgets it: the device asks again). The
// request is unauthenticated, so it counts against client (a remote
// address): one that holds Config.PerClient unused challenges gets
// ErrRateLimited, and other clients keep theirs.
func (s *Server) ChallengeFrom(ctx context.Context, client, account string) (*LoginChallenge, error) {
	if err := checkField("account", account, maxAccountID); err != nil {
		return nil, err
	}
	c := &LoginChallenge{ID: newID(), Account: account, Expires: s.c.Now().Add(s.c.ChallengeTTL).Truncate(time.Second).UTC()}
	rand.Read(c.Nonce[:])
	body, err := c.body()
	if err != nil {
		return nil, err
	}
	if c.ServerSig, err = signSM2(s.c.Key, ctxChallenge, body); err != nil {
		return nil, err
	}
	enc, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return c, s.challenges.put(c.ID, client, s.c.PerClient, Challenge{ID: c.ID, Account: account, Encoding: enc, Expires: c.Expires}, c.Expires, s.c.Now())
}

// Login verifies the card's signature over the challenge with the
// account's certificate (chained to the pinned root, not revoked), then
// records the challenge used and the new session in one transaction
// before answering: a replayed response fails, also after a restart.
//
// A signature the bound certificate does not verify may be the card's
// new key after a re-enrollment whose confirmation was lost: if the
// certificate of one of the account's pending enrollments verifies it
// (and chains, is valid now, not revoked), the same transaction binds
// that enrollment (implicit confirmation, see the package doc).
func (s *Server) Login(ctx context.Context, m *LoginResponse) (*Session, error) {
	c, ok := s.challenges.get(m.ID)
	if !ok {
		return nil, s.lostChallenge(ctx, m.ID)
	}
	if !s.c.Now().Before(c.Expires) {
		return nil, fmt.Errorf("%w: expired", ErrChallenge)
	}
	bind, err := s.loginSigner(ctx, c, m.Sig)
	if err != nil {
		return nil, err
	}
	ses, rec := s.newSession(c.Account, LevelCertificate)
	if bind == nil {
		err = s.c.Store.UseChallenge(ctx, c, s.c.Now(), rec)
	} else {
		err = s.c.Store.UseChallengeBinding(ctx, c, s.c.Now(), rec, *bind)
	}
	if err != nil {
		return nil, err
	}
	s.challenges.drop(c.ID)
	return ses, nil
}

// maxImplicit bounds how many pending enrollments (the newest) a login
// that the bound certificate refuses is tried against: each costs one
// SM2 verification.
const maxImplicit = 4

// loginSigner checks sig over c with the account's bound certificate
// (nil: no binding needed); failing that, with the certificates of its
// pending enrollments, and returns the id of the one that verifies it.
func (s *Server) loginSigner(ctx context.Context, c Challenge, sig []byte) (*[IDSize]byte, error) {
	err := s.boundSigner(ctx, c, sig)
	if err == nil || !refusedKey(err) {
		return nil, err
	}
	es, perr := s.c.Store.PendingEnrollments(ctx, c.Account, maxImplicit)
	if perr != nil {
		return nil, perr
	}
	for _, e := range es {
		cert, perr := smx509.ParseCertificate(e.Cert)
		if perr != nil || verifySM2(ecdsaKey(cert), ctxLogin, c.Encoding, sig) != nil {
			continue
		}
		if _, _, perr := s.c.Trust.Verify(ctx, e.Cert, s.c.Now()); perr != nil {
			return nil, fmt.Errorf("pending enrollment %x: %w", e.ID[:], perr)
		}
		return &e.ID, nil
	}
	// A concurrent login may have bound the enrollment between our two
	// reads: the bound certificate is then the one that signed.
	if s.boundSigner(ctx, c, sig) == nil {
		return nil, nil
	}
	return nil, err
}

// boundSigner checks sig over c with the account's bound certificate.
func (s *Server) boundSigner(ctx context.Context, c Challenge, sig []byte) error {
	pub, err := s.accountKey(ctx, c.Account)
	if err != nil {
		return err
	}
	return verifySM2(pub, ctxLogin, c.Encoding, sig)
}

// refusedKey reports whether err says the bound certificate does not
// accept a login (none bound, invalid, revoked, another key signed):
// the cases where a pending enrollment may.
func refusedKey(err error) bool {
	for _, e := range []error{ErrNotEnrolled, ErrCertificate, ErrRevoked, ErrBadSignature} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// lostChallenge is the error for a challenge the server does not hold:
// ErrChallengeUsed if the store recorded its use, else ErrChallenge (never
// issued, expired, or issued before a restart).
func (s *Server) lostChallenge(ctx context.Context, id [IDSize]byte) error {
	_, err := s.c.Store.Challenge(ctx, id)
	if err == nil {
		return fmt.Errorf("%w: %x", ErrChallengeUsed, id[:])
	}
	if errors.Is(err, ErrChallenge) {
		return fmt.Errorf("%w: %x is not outstanding (expired, or issued before a restart: ask again)", ErrChallenge, id[:])
	}
	return err
}
