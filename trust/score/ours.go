package score

import (
	"fmt"
	"math"
)

// OursParams is our repair of the paper's weight update: T keeps the
// paper's shape T = W_c·T_c + W_u·T_u with W_u = 1 − W_c, but W_c is set by
// Trigg and Leach's tracking signal (adaptive exponential smoothing, 1967)
// instead of the printed W^(T_c−T) rule:
//
//	e   = T_c − T_u                  the surprise of this feedback
//	E  ← φ·E + (1−φ)·e               smoothed error
//	M  ← φ·M + (1−φ)·|e|             smoothed absolute error
//	W_c = clamp(|E|/M, αmin, αmax)   ≈1 when feedback keeps disagreeing in
//	                                 one direction (a real change), small
//	                                 when it only scatters (noise)
//	W_c = max(W_c, αfall)  if e < −Fall   (a drop of more than one tier
//	                                 width is believed at once: slow rise,
//	                                 fast fall, as the paper wants)
//	T  ← T_u + W_c·e
//
// The paper's history term is not lost: T_u is itself an exponentially
// decayed, normalised sum of all past feedback. T is a convex combination
// of values in [0,1], so it stays in [0,1] and no weight can blow up.
type OursParams struct {
	Phi                  float64 // smoothing of the tracking signal, in [0,1)
	AlphaMin, AlphaMax   float64 // bounds of W_c, 0 < min ≤ max ≤ 1
	AlphaFall, FallDelta float64 // W_c at least AlphaFall when T_c < T_u − FallDelta
	T0                   float64 // a new user's trust
}

// DefaultOurs are our defaults (chosen by hand, see docs/trust.md).
var DefaultOurs = OursParams{Phi: 0.7, AlphaMin: 0.1, AlphaMax: 0.9, AlphaFall: 0.5, FallDelta: 0.25, T0: 0.5}

// OursState is one user's state: 32 bytes.
type OursState struct {
	T    float64 // trust, in [0,1]
	E, M float64 // smoothed error and smoothed absolute error, |E| ≤ M ≤ 1
	N    uint64
}

// Name names the model.
func (OursParams) Name() string { return "ours" }

// New returns a new user at T0 with no error history.
func (p OursParams) New() OursState { return OursState{T: p.T0} }

// Trust returns s.T.
func (OursParams) Trust(s OursState) float64 { return s.T }

// Validate checks the parameters' ranges.
func (p OursParams) Validate() error {
	ok := p.Phi >= 0 && p.Phi < 1 && p.AlphaMin > 0 && p.AlphaMin <= p.AlphaMax && p.AlphaMax <= 1 &&
		inUnit(p.AlphaFall) && inUnit(p.FallDelta) && inUnit(p.T0)
	if !ok {
		return fmt.Errorf("%w: %+v", ErrParams, p)
	}
	return nil
}

// Update applies one feedback tc ∈ [0,1].
func (p OursParams) Update(s OursState, tc float64) (OursState, error) {
	if !inUnit(tc) {
		return s, fmt.Errorf("%w: %v", ErrFeedback, tc)
	}
	if !finiteNonNeg(s.T, s.M) || s.T > 1 || s.M > 1 || math.IsNaN(s.E) || math.Abs(s.E) > s.M*(1+1e-12) {
		return s, fmt.Errorf("%w: ours %+v", ErrState, s)
	}
	e := tc - s.T
	n := OursState{E: p.Phi*s.E + (1-p.Phi)*e, M: p.Phi*s.M + (1-p.Phi)*math.Abs(e), N: s.N + 1}
	w := p.AlphaMin
	if n.M > 0 {
		w = clamp(math.Abs(n.E)/n.M, p.AlphaMin, p.AlphaMax)
	}
	if e < -p.FallDelta {
		w = math.Max(w, p.AlphaFall)
	}
	n.T = clamp((1-w)*s.T+w*tc, 0, 1)
	return n, nil
}
