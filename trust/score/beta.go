package score

import (
	"fmt"
	"math"
)

// BetaParams is the Beta reputation system of Jøsang and Ismail (2002):
// feedback v ∈ [0,1] adds v to the positive count r and 1−v to the
// negative count s, both first multiplied by the forgetting factor λ;
// the trust is the Beta distribution's mean E = (r+1)/(r+s+2).
type BetaParams struct {
	Lambda float64 // forgetting factor in (0,1]; 1 never forgets
}

// DefaultBeta forgets with λ = 0.8 (an effective memory of about five
// transactions, comparable with the paper's e^(−t) history decay).
var DefaultBeta = BetaParams{Lambda: 0.8}

// BetaState is one user's (r, s) counts: 24 bytes.
type BetaState struct {
	R, S float64
	N    uint64
}

// Name names the model.
func (BetaParams) Name() string { return "beta" }

// New returns r = s = 0, so E = 0.5 like the paper's new user.
func (BetaParams) New() BetaState { return BetaState{} }

// Trust returns E = (r+1)/(r+s+2).
func (BetaParams) Trust(s BetaState) float64 { return (s.R + 1) / (s.R + s.S + 2) }

// Validate checks λ ∈ (0,1].
func (p BetaParams) Validate() error {
	if !(p.Lambda > 0 && p.Lambda <= 1) {
		return fmt.Errorf("%w: beta λ = %v", ErrParams, p.Lambda)
	}
	return nil
}

// Update forgets, then counts tc as tc positive and 1−tc negative evidence.
func (p BetaParams) Update(s BetaState, tc float64) (BetaState, error) {
	if !inUnit(tc) {
		return s, fmt.Errorf("%w: %v", ErrFeedback, tc)
	}
	if !finiteNonNeg(s.R, s.S) || math.IsInf(s.R+s.S, 0) {
		return s, fmt.Errorf("%w: beta %+v", ErrState, s)
	}
	return BetaState{R: p.Lambda*s.R + tc, S: p.Lambda*s.S + 1 - tc, N: s.N + 1}, nil
}
