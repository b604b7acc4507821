package ledger

import (
	"hash/maphash"
	"sync"
)

// seenSet remembers the moneys this process booked, so the replay check
// needs no database read for them. A money whose time is after horizon
// (the bank's start plus the allowed clock skew) cannot have been booked by
// an earlier process — that process refused money from further in the
// future than its own clock plus the skew — so for such money the set is
// the whole truth. A hit is confirmed in the book (the set keeps 64-bit
// hashes). Moneys past the validity window are dropped: they are refused
// as expired before the replay check.
type seenSet struct {
	mu      sync.Mutex
	seed    maphash.Seed
	times   map[uint64]int64 // hash of (payer, time) → money time
	horizon int64
	adds    int
}

func newSeenSet(horizon int64) *seenSet {
	return &seenSet{seed: maphash.MakeSeed(), times: map[uint64]int64{}, horizon: horizon}
}

// covers reports whether the set alone answers for money made at t.
func (s *seenSet) covers(t int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return t > s.horizon
}

// reset forgets every money and moves the horizon (after the book is
// reloaded: a money whose commit failed, or seemed to, is then checked in
// the book).
func (s *seenSet) reset(horizon int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.times)
	s.horizon, s.adds = horizon, 0
}

func (s *seenSet) has(id []byte) bool {
	h := maphash.Bytes(s.seed, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.times[h]
	return ok
}

// add records booked moneys; every so often it drops those made before
// oldest.
func (s *seenSet) add(ids [][]byte, times []int64, oldest int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, id := range ids {
		s.times[maphash.Bytes(s.seed, id)] = times[i]
	}
	s.adds += len(ids)
	if s.adds >= 1<<16 {
		s.adds = 0
		for h, t := range s.times {
			if t < oldest {
				delete(s.times, h)
			}
		}
	}
}
