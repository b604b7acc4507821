package bank

import (
	"errors"
	"testing"
	"time"
)

// The in-memory set of issued challenges is bounded: full of live
// entries it refuses with ErrBusy; once they expire, it makes room.
func TestPendingBounded(t *testing.T) {
	var p pending[int]
	now := time.Now()
	for i := range maxPending {
		var id [IDSize]byte
		id[0], id[1], id[2] = byte(i), byte(i>>8), 1
		must(t, p.put(id, "c"+string(rune(i%1000)), maxPending, i, now.Add(time.Minute), now))
	}
	extra := newID()
	if err := p.put(extra, "new client", maxPending, -1, now.Add(time.Minute), now); !errors.Is(err, ErrBusy) {
		t.Fatalf("put into a full set: %v", err)
	}
	if _, ok := p.get(extra); ok {
		t.Fatal("a refused entry is held")
	}
	later := now.Add(time.Minute)
	must(t, p.put(extra, "new client", maxPending, -1, later.Add(time.Minute), later))
	if v, ok := p.get(extra); !ok || v != -1 {
		t.Fatalf("after expiry: %d, %v", v, ok)
	}
	if len(p.m) != 1 || p.clients() != 1 {
		t.Fatalf("%d entries of %d clients held after the expired were dropped", len(p.m), p.clients())
	}
	p.drop(extra)
	if _, ok := p.get(extra); ok || p.clients() != 0 {
		t.Fatal("a dropped entry is held")
	}
}

// One client holding its quota is refused with ErrRateLimited while
// another client is served; using an entry or letting it expire gives
// the client room again, and a client with nothing held costs no memory.
func TestPendingPerClient(t *testing.T) {
	var p pending[int]
	now := time.Now()
	const quota = 4
	var held [][IDSize]byte
	for i := range quota {
		id := newID()
		held = append(held, id)
		must(t, p.put(id, "flooder", quota, i, now.Add(time.Minute), now))
	}
	if err := p.put(newID(), "flooder", quota, 9, now.Add(time.Minute), now); !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrBusy) {
		t.Fatalf("fifth entry of one client: %v", err)
	}
	must(t, p.put(newID(), "honest", quota, 0, now.Add(time.Minute), now))
	if len(p.m) != quota+1 {
		t.Fatalf("%d entries held", len(p.m))
	}
	p.drop(held[0])
	must(t, p.put(newID(), "flooder", quota, 5, now.Add(time.Minute), now))
	later := now.Add(time.Minute)
	must(t, p.put(newID(), "flooder", quota, 6, later.Add(time.Minute), later))
	if n := len(p.byClient["flooder"]); n != 1 {
		t.Fatalf("flooder holds %d after its entries expired", n)
	}
}
