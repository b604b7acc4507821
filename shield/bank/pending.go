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

// pending holds what the server issued but nobody has used yet (login
// challenges, orders) in memory only: losing it in a crash loses nothing
// that was acknowledged — the device's answer to a lost challenge or
// order is refused and it asks again (see "Durability" in doc.go). It is
// bounded and forgets entries when they expire.
type pending[T any] struct {
	mu sync.Mutex
	m  map[[IDSize]byte]pendingEntry[T]
}

type pendingEntry[T any] struct {
	v       T
	expires time.Time
}

// put holds v until expires; when full it first drops what expired at
// now, then refuses with ErrBusy.
func (p *pending[T]) put(id [IDSize]byte, v T, expires, now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[[IDSize]byte]pendingEntry[T])
	}
	if len(p.m) >= maxPending {
		for k, e := range p.m {
			if !now.Before(e.expires) {
				delete(p.m, k)
			}
		}
	}
	if len(p.m) >= maxPending {
		return fmt.Errorf("%w: %d outstanding", ErrBusy, len(p.m))
	}
	p.m[id] = pendingEntry[T]{v, expires}
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
	delete(p.m, id)
}
