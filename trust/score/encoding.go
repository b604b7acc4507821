package score

import (
	"fmt"
	"math"

	"trustbank/internal/wire"
)

// KindState is the first byte of a State's encoding.
const KindState = 0x54 // 'T'

// StateSize is the length of a State's encoding.
const StateSize = 1 + 8 + 5*8

// MarshalBinary encodes s canonically: the kind byte, N, then T, W_c, W_u,
// W_h and Hist as IEEE 754 binary64, all big-endian. It refuses a state
// Update could not have produced, so that everything stored decodes.
func (s State) MarshalBinary() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	w := wire.Writer{B: make([]byte, 0, StateSize)}
	w.U8(KindState)
	w.U64(s.N)
	for _, v := range [5]float64{s.T, s.Wc, s.Wu, s.Wh, s.Hist} {
		w.U64(math.Float64bits(v))
	}
	return w.B, nil
}

// UnmarshalBinary decodes exactly one State and refuses anything else: a
// wrong kind or length, NaN, ±Inf, −0, or values no update produces (a
// weight outside (0,1], weights not summing to 1, T outside [0,1], a
// history sum out of range or present with N = 0). On error s is unchanged.
func (s *State) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if k := r.U8("kind"); r.Err() == nil && k != KindState {
		r.Fail("not a trust state (kind %#x)", k)
	}
	var v State
	v.N = r.U64("count")
	for _, f := range []*float64{&v.T, &v.Wc, &v.Wu, &v.Wh, &v.Hist} {
		*f = math.Float64frombits(r.U64("value"))
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("score: state: %w", err)
	}
	if err := v.check(); err != nil {
		return fmt.Errorf("%w: %w", wire.ErrMalformed, err)
	}
	*s = v
	return nil
}
