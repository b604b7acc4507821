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
		must(t, p.put(id, i, now.Add(time.Minute), now))
	}
	extra := newID()
	if err := p.put(extra, -1, now.Add(time.Minute), now); !errors.Is(err, ErrBusy) {
		t.Fatalf("put into a full set: %v", err)
	}
	if _, ok := p.get(extra); ok {
		t.Fatal("a refused entry is held")
	}
	later := now.Add(time.Minute)
	must(t, p.put(extra, -1, later.Add(time.Minute), later))
	if v, ok := p.get(extra); !ok || v != -1 {
		t.Fatalf("after expiry: %d, %v", v, ok)
	}
	if len(p.m) != 1 {
		t.Fatalf("%d entries held after the expired were dropped", len(p.m))
	}
	p.drop(extra)
	if _, ok := p.get(extra); ok {
		t.Fatal("a dropped entry is held")
	}
}
