package trust

import (
	"sync"
	"time"
)

// challenges is the service's replay cache. It holds the nonces the
// service issued and nobody has answered yet; an authentication must
// answer one of them, and answering removes it. So a replayed
// authentication finds its nonce gone, whether the replay comes a second
// or a year later, and the cache needs no memory of answered nonces.
//
// Bound: a nonce lives at most ttl, and at most max are outstanding
// (Challenge answers ErrBusy beyond that), so the cache holds at most
// max × (8 + NonceSize) bytes plus map overhead — 64 MiB-ish for the
// default 2^20. It is in memory: a restarted service has forgotten every
// outstanding nonce, which refuses more (clients ask again), never less.
type challenges struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	byKey map[[NonceSize]byte]time.Time // nonce → expiry
	order []pendingNonce                // issue order, for expiry
}

type pendingNonce struct {
	nonce   [NonceSize]byte
	expires time.Time
}

func newChallenges(ttl time.Duration, max int) *challenges {
	return &challenges{ttl: ttl, max: max, byKey: map[[NonceSize]byte]time.Time{}}
}

// add records a new nonce issued at now; false if the cache is full.
func (c *challenges) add(n [NonceSize]byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if len(c.byKey) >= c.max {
		return false
	}
	exp := now.Add(c.ttl)
	c.byKey[n] = exp
	c.order = append(c.order, pendingNonce{n, exp})
	return true
}

// has reports whether n is outstanding at now (a cheap check before the
// costly signature verification).
func (c *challenges) has(n [NonceSize]byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.byKey[n]
	return ok && now.Before(exp)
}

// take removes n and reports whether it was outstanding at now: of two
// concurrent answers to one nonce, exactly one takes it.
func (c *challenges) take(n [NonceSize]byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.byKey[n]
	delete(c.byKey, n)
	return ok && now.Before(exp)
}

// expire drops the nonces that expired by now (amortised O(1): the order
// slice is in expiry order).
func (c *challenges) expire(now time.Time) {
	i := 0
	for ; i < len(c.order) && !now.Before(c.order[i].expires); i++ {
		if exp, ok := c.byKey[c.order[i].nonce]; ok && exp.Equal(c.order[i].expires) {
			delete(c.byKey, c.order[i].nonce)
		}
	}
	if i > 0 {
		c.order = c.order[i:]
	}
	if len(c.order) > 2*len(c.byKey)+64 { // answered nonces still listed: compact
		kept := c.order[:0]
		for _, p := range c.order {
			if _, ok := c.byKey[p.nonce]; ok {
				kept = append(kept, p)
			}
		}
		c.order = kept
	}
}
