package bank

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// Challenge starts a certificate login (the paper's step 2): a fresh
// random nonce, signed with the server key, stored until it is used or
// expires.
func (s *Server) Challenge(ctx context.Context, account string) (*LoginChallenge, error) {
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
	return c, s.c.Store.AddChallenge(ctx, Challenge{ID: c.ID, Account: account, Encoding: enc, Expires: c.Expires})
}

// Login verifies the card's signature over the challenge with the
// account's certificate (chained to the pinned root, not revoked), then
// records the challenge used and the new session in one transaction
// before answering: a replayed response fails, also after a restart.
func (s *Server) Login(ctx context.Context, m *LoginResponse) (*Session, error) {
	c, used, err := s.c.Store.Challenge(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	if used {
		return nil, fmt.Errorf("%w: %x", ErrChallengeUsed, m.ID[:])
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
	return ses, s.c.Store.UseChallenge(ctx, m.ID, s.c.Now(), rec)
}
