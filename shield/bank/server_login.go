package bank

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
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
func (s *Server) Login(ctx context.Context, m *LoginResponse) (*Session, error) {
	c, ok := s.challenges.get(m.ID)
	if !ok {
		return nil, s.lostChallenge(ctx, m.ID)
	}
	if !s.c.Now().Before(c.Expires) {
		return nil, fmt.Errorf("%w: expired", ErrChallenge)
	}
	pub, err := s.accountKey(ctx, c.Account)
	if err != nil {
		return nil, err
	}
	if err := verifySM2(pub, ctxLogin, c.Encoding, m.Sig); err != nil {
		return nil, err
	}
	ses, rec := s.newSession(c.Account, LevelCertificate)
	if err := s.c.Store.UseChallenge(ctx, c, s.c.Now(), rec); err != nil {
		return nil, err
	}
	s.challenges.drop(c.ID)
	return ses, nil
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
