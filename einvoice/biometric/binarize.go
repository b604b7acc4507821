package biometric

import (
	"encoding/binary"
	"math/bits"
	"sync"

	"github.com/emmansun/gmsm/sm3"
)

// MaxBits is the most bits binarize makes: the fixed public projection
// has this many rows.
const MaxBits = 8192

// projectionLabel seeds the public projection. Row j is
// SM3(projectionLabel ‖ uint32be(j)); bit i of that digest (most
// significant bit of byte 0 first) is the sign of coordinate i: 1 means −1.
const projectionLabel = "trustbank/einvoice/biometric/projection/v1"

var (
	projOnce sync.Once
	proj     [][Dim / 8]byte
)

func projection() [][Dim / 8]byte {
	projOnce.Do(func() {
		proj = make([][Dim / 8]byte, MaxBits)
		var ctr [4]byte
		for j := range proj {
			h := sm3.New()
			h.Write([]byte(projectionLabel))
			binary.BigEndian.PutUint32(ctr[:], uint32(j))
			h.Write(ctr[:])
			copy(proj[j][:], h.Sum(nil))
		}
	})
	return proj
}

// binarize turns a template into nbits bits (packed, most significant bit
// first): bit j is 1 when ⟨r_j, t⟩ > 0 for the j-th row r_j ∈ {−1, +1}^Dim
// of the fixed public projection (a sign random projection, "SimHash":
// Charikar 2002, with the ±1 matrices of Achlioptas 2003). Two templates at
// angle θ differ in each bit with probability close to θ/π, so the Hamming
// distance of the bit strings tracks the angle between the faces. nbits
// must be a multiple of 8 in (0, MaxBits]; t must be valid.
func binarize(t Template, nbits int) []byte {
	const _ = uint(Dim/8-16) + uint(16-Dim/8) // the sums below are of 16 look-ups
	// sums[k][v] is the sum of the coordinates 8k+i of t for the bits
	// 0x80>>i set in v: each row then costs Dim/8 look-ups.
	var sums [Dim / 8][256]float64
	var total float64
	for k := range sums {
		for v := 1; v < 256; v++ {
			low := bits.TrailingZeros8(uint8(v))
			sums[k][v] = sums[k][v&(v-1)] + float64(t[8*k+7-low])
		}
		total += sums[k][255]
	}
	out := make([]byte, nbits/8)
	for j, row := range projection()[:nbits] {
		// Four independent sums, not one chain of 16 dependent float adds:
		// the adds' latency, not the look-ups, was the cost (3.7× faster).
		// The sum's order changes its last bits only; a sign so close to 0
		// that this flips it is a bit Rep's code corrects like any noise.
		n0 := sums[0][row[0]] + sums[4][row[4]] + sums[8][row[8]] + sums[12][row[12]]
		n1 := sums[1][row[1]] + sums[5][row[5]] + sums[9][row[9]] + sums[13][row[13]]
		n2 := sums[2][row[2]] + sums[6][row[6]] + sums[10][row[10]] + sums[14][row[14]]
		n3 := sums[3][row[3]] + sums[7][row[7]] + sums[11][row[11]] + sums[15][row[15]]
		if neg := (n0 + n1) + (n2 + n3); total-2*neg > 0 {
			out[j/8] |= 0x80 >> (j % 8)
		}
	}
	return out
}
