package trust

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"trustbank/groupsig"
	"trustbank/trust/score"
)

// Directory is what a user's client needs from the provider: its own
// enrollment (authenticated by the client's key over HTTP), the tier
// groups' public keys and their revocation updates. Provider implements
// it; so does trusthttp's client.
type Directory interface {
	Enrollment(ctx context.Context, user string) (*Enrollment, error)
	PublicKey(ctx context.Context, t score.Tier, epoch uint64) (*groupsig.PublicKey, error)
	Updates(ctx context.Context, t score.Tier, after uint64) ([]*groupsig.Revocation, error)
}

// UserClient is the user's side: it holds the member key of the user's
// current tier and answers services' challenges with group signatures.
type UserClient struct {
	dir  Directory
	user string

	mu sync.Mutex
	e  *Enrollment
	pk *groupsig.PublicKey // the tier group's key at e.Key.Epoch
}

// NewUserClient returns the client of an enrollment (from Register or
// Enrollment), after checking the key against its group's public key.
func NewUserClient(ctx context.Context, dir Directory, e *Enrollment) (*UserClient, error) {
	c := &UserClient{dir: dir, user: e.User}
	return c, c.adopt(ctx, e)
}

// adopt makes e the client's enrollment; the caller holds mu or owns c.
func (c *UserClient) adopt(ctx context.Context, e *Enrollment) error {
	pk, err := c.dir.PublicKey(ctx, e.Tier, e.Key.Epoch)
	if err != nil {
		return err
	}
	if err := e.Key.Check(pk); err != nil {
		return fmt.Errorf("trust: enrollment key does not fit tier %s: %w", e.Tier, err)
	}
	if c.e != nil {
		c.e.Zeroize()
	}
	c.e, c.pk = e, pk
	return nil
}

// Tier returns the tier the client currently signs for.
func (c *UserClient) Tier() score.Tier {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.e.Tier
}

// Sync brings the client's key to its tier group's current epoch by the
// published updates; if an update revokes it — the user was re-grouped,
// or left — it fetches its new enrollment (ErrUserRevoked if it left).
func (c *UserClient) Sync(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	revs, err := c.dir.Updates(ctx, c.e.Tier, c.e.Key.Epoch)
	if err != nil {
		return err
	}
	for _, rev := range revs {
		mk, err := c.e.Key.Update(rev)
		if errors.Is(err, groupsig.ErrRevoked) {
			return c.refetch(ctx)
		}
		if err != nil {
			return err
		}
		pk, err := c.pk.Apply(rev)
		if err != nil {
			return err
		}
		c.e.Key.Zeroize()
		c.e = &Enrollment{User: c.user, Tier: c.e.Tier, Key: mk}
		c.pk = pk
	}
	return nil
}

func (c *UserClient) refetch(ctx context.Context) error {
	e, err := c.dir.Enrollment(ctx, c.user)
	if err != nil {
		return err
	}
	return c.adopt(ctx, e)
}

// Answer signs the challenge at time now under the client's current key:
// the message names the service, the nonce, the time and the tier.
func (c *UserClient) Answer(ch Challenge, now time.Time) (*Authentication, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := &Authentication{AuthMessage: AuthMessage{Service: ch.Service, Nonce: ch.Nonce, Time: now.Truncate(time.Millisecond), Tier: c.e.Tier}}
	sig, err := c.e.Key.Sign(rand.Reader, c.pk, a.AuthMessage.Bytes())
	if err != nil {
		return nil, err
	}
	a.Signature = *sig
	return a, nil
}

// Close destroys the member key.
func (c *UserClient) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.e.Zeroize()
}
