package score

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"trustbank/internal/fuzzcorpus"
	"trustbank/internal/wire"
)

// states returns a new user's state and states after a few feedbacks.
func states(t testing.TB) []State {
	r := rand.New(rand.NewPCG(5, 6))
	out := []State{New()}
	s := New()
	for i := range 40 {
		var err error
		if s, err = Update(s, extremeFeedback(r)); err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			out = append(out, s)
		}
	}
	return out
}

func TestStateRoundTrip(t *testing.T) {
	for _, s := range states(t) {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != StateSize {
			t.Fatalf("encoding is %d bytes, want %d", len(b), StateSize)
		}
		var d State
		if err := d.UnmarshalBinary(b); err != nil || d != s {
			t.Fatalf("round trip: %+v, %v; want %+v", d, err, s)
		}
	}
}

func TestStateDecodeRefuses(t *testing.T) {
	good, _ := New().MarshalBinary()
	set := func(off int, v float64) []byte {
		b := bytes.Clone(good)
		bits := math.Float64bits(v)
		for i := range 8 {
			b[off+i] = byte(bits >> (56 - 8*i))
		}
		return b
	}
	const tOff, wcOff, histOff = 9, 17, 41
	for name, b := range map[string][]byte{
		"fail/empty":        nil,
		"fail/kind":         append([]byte{0x55}, good[1:]...),
		"fail/short":        good[:StateSize-1],
		"fail/trailing":     append(bytes.Clone(good), 0),
		"fail/T-NaN":        set(tOff, math.NaN()),
		"fail/T-negzero":    set(tOff, math.Copysign(0, -1)),
		"fail/T-above-1":    set(tOff, 1.5),
		"fail/Wc-Inf":       set(wcOff, math.Inf(1)),
		"fail/weight-sum":   set(wcOff, 0.3),
		"fail/hist-with-N0": set(histOff, 0.1),
	} {
		s := State{T: 0.123}
		err := s.UnmarshalBinary(b)
		if !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
		if s != (State{T: 0.123}) {
			t.Errorf("%s: state changed on error", name)
		}
	}
	if _, err := (State{Wc: 2}).MarshalBinary(); !errors.Is(err, ErrState) {
		t.Errorf("invalid state encoded: %v", err)
	}
}

// FuzzState: decoding never panics, whatever decodes re-encodes to exactly
// the input, and a decoded state can be updated.
func FuzzState(f *testing.F) {
	var inputs [][][]byte
	for _, s := range states(f) {
		b, err := s.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		inputs = append(inputs, fuzzcorpus.Variants(b)...)
	}
	fuzzcorpus.Seed(f, inputs...)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s State
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		re, err := s.MarshalBinary()
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("decoded state re-encodes to %x, %v; input %x", re, err, b)
		}
		if _, err := Update(s, 0.5); err != nil {
			t.Fatalf("decoded state cannot be updated: %v", err)
		}
	})
}
