package bank

import (
	"fmt"
	"sync"
	"time"
)

// maxPending bounds the challenges (and, separately, the orders) a server
// holds in memory at once: 2^16 of each, a few MB, far above what the
// two-minute TTLs let honest clients keep outstanding.
const maxPending = 1 << 16

// DefaultPerClient is Config.PerClient's default: how many challenges one
// client (remote address), and how many orders one account, may have
// outstanding at once. An honest device has one or two; 16 leaves room
// for a few retries and a few devices behind one address.
const DefaultPerClient = 16

// pending holds what the server issued but nobody has used yet (login
// challenges, orders) in memory only: losing it in a crash loses nothing
// that was acknowledged — the device's answer to a lost challenge or
// order is refused and it asks again (see "Durability" in doc.go). It is
// bounded twice: in all (maxPending, ErrBusy) and per client (the
// server's quota, ErrRateLimited), and it forgets entries when they
// expire.
type pending[T any] struct {
	mu sync.Mutex
	m  map[[IDSize]byte]pendingEntry[T]
	// byClient indexes the entries by the client they were issued to;
	// a client with none has no key, so it holds no memory either.
	byClient map[string]map[[IDSize]byte]time.Time
}

type pendingEntry[T any] struct {
	v       T
	client  string
	expires time.Time
}

// put holds v for client until expires. A client already holding quota
// live entries is refused with ErrRateLimited; when the whole set is full
// it first drops what expired at now, then refuses with ErrBusy.
func (p *pending[T]) put(id [IDSize]byte, client string, quota int, v T, expires, now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[[IDSize]byte]pendingEntry[T])
		p.byClient = make(map[string]map[[IDSize]byte]time.Time)
	}
	if len(p.byClient[client]) >= quota {
		for k, exp := range p.byClient[client] {
			if !now.Before(exp) {
				p.remove(k)
			}
		}
	}
	if n := len(p.byClient[client]); n >= quota {
		return fmt.Errorf("%w: %d outstanding (at most %d)", ErrRateLimited, n, quota)
	}
	if len(p.m) >= maxPending {
		for k, e := range p.m {
			if !now.Before(e.expires) {
				p.remove(k)
			}
		}
	}
	if len(p.m) >= maxPending {
		return fmt.Errorf("%w: %d outstanding", ErrBusy, len(p.m))
	}
	p.m[id] = pendingEntry[T]{v, client, expires}
	if p.byClient[client] == nil {
		p.byClient[client] = make(map[[IDSize]byte]time.Time)
	}
	p.byClient[client][id] = expires
	return nil
}

// get returns the entry held under id, if any.
func (p *pending[T]) get(id [IDSize]byte) (T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[id]
	return e.v, ok
}

// drop forgets id (after its use is durable: the store refuses it from
// then on).
func (p *pending[T]) drop(id [IDSize]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove(id)
}

// remove forgets id; p.mu is held.
func (p *pending[T]) remove(id [IDSize]byte) {
	e, ok := p.m[id]
	if !ok {
		return
	}
	delete(p.m, id)
	delete(p.byClient[e.client], id)
	if len(p.byClient[e.client]) == 0 {
		delete(p.byClient, e.client)
	}
}

// clients is how many clients hold entries (for tests of the bound).
func (p *pending[T]) clients() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byClient)
}

// size is how many entries are held.
func (p *pending[T]) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}
