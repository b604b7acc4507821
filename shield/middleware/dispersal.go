package middleware

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"sort"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/secretsharing"
	"github.com/emmansun/gmsm/sm3"
)

// Dispersal is the shape of the Shamir split: T shares of FileShares +
// CardShares rebuild the key; the file's shares sit among Slots slots.
// Neither half alone reaches T.
type Dispersal struct {
	T          int // threshold
	FileShares int // shares in the sandbox file (< T)
	CardShares int // shares in the card's EF (< T)
	Slots      int // slots of the sandbox file (≥ FileShares, ≤ MaxSlots)
}

// DefaultDispersal is 3 of 4: two shares in the file among 32 slots, two
// in the card; any one share may be lost or corrupted.
var DefaultDispersal = Dispersal{T: 3, FileShares: 2, CardShares: 2, Slots: 32}

// Validate checks that neither half alone holds T shares.
func (d Dispersal) Validate() error {
	switch {
	case d.T < 2, d.FileShares < 1, d.CardShares < 1:
		return fmt.Errorf("%w: dispersal needs T ≥ 2 and shares on both sides", ErrConfig)
	case d.FileShares >= d.T || d.CardShares >= d.T:
		return fmt.Errorf("%w: one side alone would rebuild the key", ErrConfig)
	case d.FileShares+d.CardShares < d.T:
		return fmt.Errorf("%w: fewer shares than the threshold", ErrConfig)
	case d.Slots < d.FileShares || d.Slots > MaxSlots || d.CardShares > 255-cardIDBase:
		return fmt.Errorf("%w: slots", ErrConfig)
	}
	return nil
}

// share is one point (ID, value) of the polynomial.
type share struct {
	id int
	v  []byte
}

// disperse draws a fresh secret w, seals plain (the host keys) under it
// and splits it: the file's shares at the slots cc (the card's challenge)
// selects, decoys elsewhere, the card's shares in the record.
func disperse(plain []byte, serial [8]byte, cc []byte, d Dispersal) (*Sandbox, *record, error) {
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	w := group.P256.RandomNonZeroScalar(rand.Reader)
	defer w.SetUint64(0)
	ss := secretsharing.New(rand.Reader, uint(d.T-1), w)
	sb := &Sandbox{Serial: serial, Slots: make([][]byte, d.Slots)}
	for i := range sb.Slots {
		sb.Slots[i], _ = group.P256.RandomScalar(rand.Reader).MarshalBinary()
	}
	r := &record{T: d.T, Positions: positions(cc, d.FileShares, d.Slots)}
	for _, p := range r.Positions {
		sb.Slots[p], _ = ss.ShareWithID(scalarID(int(p) + 1)).Value.MarshalBinary()
	}
	for j := range d.CardShares {
		id := cardIDBase + 1 + j
		v, _ := ss.ShareWithID(scalarID(id)).Value.MarshalBinary()
		r.CardIDs, r.Card = append(r.CardIDs, byte(id)), append(r.Card, v)
	}
	sb.seal(w, plain)
	return sb, r, nil
}

// shares lists every real share: the file's at the record's positions
// and the card's, in the order the card's challenge cc picks them.
func (r *record) shares(sb *Sandbox, cc []byte) ([]share, error) {
	var out []share
	for _, p := range r.Positions {
		if int(p) >= len(sb.Slots) {
			return nil, fmt.Errorf("%w: position outside the sandbox", ErrSandbox)
		}
		out = append(out, share{int(p) + 1, sb.Slots[p]})
	}
	for i, v := range r.Card {
		out = append(out, share{int(r.CardIDs[i]), v})
	}
	rank := func(s share) []byte {
		h := sm3.Sum(append(append(append([]byte(nil), orderLabel...), cc...), byte(s.id)))
		return h[:]
	}
	sort.SliceStable(out, func(i, j int) bool { return bytes.Compare(rank(out[i]), rank(out[j])) < 0 })
	return out, nil
}

// combine interpolates w from exactly t shares.
func combine(t int, shares []share) (group.Scalar, error) {
	if len(shares) < t {
		return nil, fmt.Errorf("%w: %d shares, threshold %d", ErrSandbox, len(shares), t)
	}
	pts := make([]secretsharing.Share, t)
	seen := map[int]bool{}
	for i, s := range shares[:t] {
		if seen[s.id] {
			return nil, fmt.Errorf("%w: repeated share", ErrSandbox)
		}
		seen[s.id] = true
		v, err := scalarOf(s.v)
		if err != nil {
			return nil, err
		}
		pts[i] = secretsharing.Share{ID: scalarID(s.id), Value: v}
	}
	return secretsharing.Recover(uint(t-1), pts)
}

// rebuild opens the sealed host keys with the first t-subset of shares
// (in the given order) whose secret passes the GCM check value; it
// returns how many subsets failed before (corrupted shares tolerated).
func rebuild(sb *Sandbox, t int, shares []share) ([]byte, int, error) {
	failed := 0
	var out []byte
	subsets(len(shares), t, func(idx []int) bool {
		pick := make([]share, t)
		for i, j := range idx {
			pick[i] = shares[j]
		}
		w, err := combine(t, pick)
		if err == nil {
			out, err = sb.open(w)
			w.SetUint64(0)
		}
		if err != nil {
			failed++
			return true
		}
		return false
	})
	if out == nil {
		return nil, failed, ErrSandbox
	}
	return out, failed, nil
}

// subsets calls f with each k-subset of 0…n-1 in lexicographic order
// until f returns false.
func subsets(n, k int, f func([]int) bool) {
	idx := make([]int, k)
	var rec func(start, depth int) bool
	rec = func(start, depth int) bool {
		if depth == k {
			return f(idx)
		}
		for i := start; i <= n-(k-depth); i++ {
			idx[depth] = i
			if !rec(i+1, depth+1) {
				return false
			}
		}
		return true
	}
	rec(0, 0)
}
