package bls12

import (
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Constant-time scalar recoding: signed odd fixed windows (Joye and
// Tunstall's regular recoding). An odd k < 2^(w·m) is written as
//
//	k = Σ d_i·2^(w·i),  d_i odd, |d_i| < 2^w,  i = 0..m−1,
//
// so no digit is ever zero and every window costs the same: one lookup of
// |d_i| among the 2^(w−1) odd multiples and one addition. With k_0 = k and
// k_(i+1) = 2·⌊k_i / 2^(w+1)⌋ + 1, digit i is d_i = (k_i mod 2^(w+1)) − 2^w,
// which reads w bits of k at the public position w·i+1; the top digit is the
// positive remainder. An even k (0 included) is replaced by r − k, which is
// odd, and every digit's sign is flipped, since (r − k)·P = −k·P.

// maxWindows bounds m for the widths used here (w ≥ 4 gives m ≤ 64).
const maxWindows = 64

// frLimbs is the group order r, little-endian.
var frLimbs = orderLimbs()

func orderLimbs() [4]uint64 {
	var l [4]uint64
	for i, w := range fr.Modulus().Bits() {
		l[i] = uint64(w)
	}
	return l
}

// recoded holds a scalar's digits: digit i is ±(2·idx[i]+1), negative where
// neg[i] is all ones.
type recoded struct {
	idx [maxWindows]uint64
	neg [maxWindows]uint64
}

// numWindowsFor returns m = ⌈255/w⌉: every scalar below r < 2^255 fits.
func numWindowsFor(w int) int { return (fr.Bits + w - 1) / w }

// recode recodes s with width w. It branches only on w and on window
// positions, never on s.
func recode(s *fr.Element, w int) recoded {
	k := s.Bits()
	var rk [4]uint64
	var b uint64
	for i := range rk {
		rk[i], b = bits.Sub64(frLimbs[i], k[i], b)
	}
	even := (k[0] & 1) - 1
	for i := range k {
		k[i] ^= even & (k[i] ^ rk[i])
	}
	m := numWindowsFor(w)
	half := uint64(1) << (w - 1)
	var d recoded
	for i := range m - 1 {
		v := bitsAt(&k, w*i+1, w)
		top := v >> (w - 1)                 // 1: digit positive
		low := v & (half - 1)               // 2·low+1 = d for a positive digit
		neg := top - 1                      // all ones for a negative digit
		d.idx[i] = low ^ (neg & (half - 1)) // (|d|−1)/2 = half−1−low when negative
		d.neg[i] = neg ^ even
	}
	d.idx[m-1] = bitsAt(&k, w*(m-1)+1, w)
	d.neg[m-1] = even
	return d
}

// bitsAt returns the w bits of k starting at bit pos (a public position).
func bitsAt(k *[4]uint64, pos, w int) uint64 {
	limb, off := pos/64, pos%64
	if limb >= len(k) {
		return 0
	}
	v := k[limb] >> off
	if off+w > 64 && limb+1 < len(k) {
		v |= k[limb+1] << (64 - off)
	}
	return v & (1<<w - 1)
}
