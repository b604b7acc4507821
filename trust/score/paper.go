package score

import (
	"errors"
	"fmt"
	"math"
)

// Errors. Every one of them leaves the caller's state unchanged: Update
// returns a new State and never modifies its argument.
var (
	// ErrFeedback: a feedback value outside [0,1] (or NaN).
	ErrFeedback = errors.New("score: feedback must be a number in [0,1]")
	// ErrState: a state that no sequence of updates can produce (a weight
	// outside (0,1], weights not summing to 1, T outside [0,1], NaN, ...).
	ErrState = errors.New("score: invalid state")
	// ErrParams: parameters that do not describe a model.
	ErrParams = errors.New("score: invalid parameters")
)

// decay is e^(−1): the factor ω_i = W_c·e^(−t) loses per transaction.
var decay = math.Exp(-1)

// MaxHist bounds the decayed history sum: Σ T_ci·W_c(i)·e^(−t) with
// T_ci, W_c(i) ≤ 1 and t = 1, 2, … is at most Σ e^(−t) = 1/(e−1).
var MaxHist = 1 / (math.E - 1)

// weightSumTolerance is how far from 1 the three weights may sum after
// floating-point renormalisation (a few ulps in practice).
const weightSumTolerance = 1e-9

// Params are the paper's constants. DefaultParams is the paper.
type Params struct {
	// Delta is δ: a feedback within Delta of the new T is rewarded,
	// farther away punished (paper: 0.5).
	Delta float64
	// Wc, Wu, Wh are the initial weights of the current feedback, the
	// pre-transaction trust and the history (paper: 0.25, 0.5, 0.25).
	Wc, Wu, Wh float64
	// Tu is a new user's trust (paper: 0.5, tier "mediate").
	Tu float64
	// Floor is the least a weight may become before renormalising. The
	// paper's rule drives a repeatedly punished weight to 0 (W^e with
	// 1 < e < 2 underflows after ~10 punishments) and then evaluates
	// 0^(negative) = +Inf; the floor keeps every weight finite and
	// positive. Raw turns it (and the clamp to 1) off.
	Floor float64
	// Raw applies the paper's rule with no clamping at all: weights may
	// exceed 1, reach 0, become +Inf and then NaN. Only for showing that
	// the rule as printed blows up; Update of a Raw model returns the
	// broken state it computes, and the next Update refuses it.
	Raw bool
}

// DefaultParams are the paper's values (§3.4), with a weight floor of 1e-6.
var DefaultParams = Params{Delta: 0.5, Wc: 0.25, Wu: 0.5, Wh: 0.25, Tu: 0.5, Floor: 1e-6}

// State is one user's trust record: 48 bytes, fixed size. T is the trust
// after the last transaction; the paper's T_u ("the user's trust before the
// transaction") is always the previous T, so it is not stored twice.
type State struct {
	T          float64 // the user's trust, in [0,1]
	Wc, Wu, Wh float64 // the weights; each in (0,1], summing to 1
	Hist       float64 // Σ T_ci·ω_ci over earlier feedback, in [0, MaxHist]
	N          uint64  // feedback counted so far
}

// Tu is the paper's T_u, the trust before the next transaction.
func (s State) Tu() float64 { return s.T }

// New returns a new user's state under the paper's parameters.
func New() State { return DefaultParams.New() }

// Update applies one feedback under the paper's parameters.
func Update(s State, tc float64) (State, error) { return DefaultParams.Update(s, tc) }

// Name names the model.
func (p Params) Name() string {
	if p.Raw {
		return "paper-raw"
	}
	return "paper"
}

// New returns a new user's state: T = T_u, the initial weights, no history.
func (p Params) New() State { return State{T: p.Tu, Wc: p.Wc, Wu: p.Wu, Wh: p.Wh} }

// Trust returns s.T.
func (Params) Trust(s State) float64 { return s.T }

// Validate checks that p describes the paper's model.
func (p Params) Validate() error {
	ok := inUnit(p.Delta) && p.Wc > 0 && p.Wu > 0 && p.Wh > 0 &&
		math.Abs(p.Wc+p.Wu+p.Wh-1) <= weightSumTolerance && inUnit(p.Tu) &&
		p.Floor >= 0 && p.Floor < 1/3.0
	if !ok {
		return fmt.Errorf("%w: %+v", ErrParams, p)
	}
	return nil
}

// Update computes the trust after one feedback tc ∈ [0,1], in the paper's
// order (see the package comment, "Steps"):
//
//	T    = W_c·T_c + W_u·T_u + W_h·Hist
//	W_c ← adjust(W_c, T_c − T);  W_u ← adjust(W_u, T_u − T)
//	clamp to [Floor, 1], renormalise all three by their sum
//	Hist ← e^(−1)·(Hist + W_c·T_c)   (W_c as used for this T)
//	T_u  ← T
func (p Params) Update(s State, tc float64) (State, error) {
	if !inUnit(tc) {
		return s, fmt.Errorf("%w: %v", ErrFeedback, tc)
	}
	if err := s.check(); err != nil {
		return s, err
	}
	t := s.Wc*tc + s.Wu*s.T + s.Wh*s.Hist
	wc := adjust(s.Wc, tc-t, p.Delta)
	wu := adjust(s.Wu, s.T-t, p.Delta)
	wh := s.Wh
	if !p.Raw {
		t = clamp(t, 0, 1) // already in [0,1] up to rounding
		wc, wu, wh = clamp(wc, p.Floor, 1), clamp(wu, p.Floor, 1), clamp(wh, p.Floor, 1)
	}
	sum := wc + wu + wh
	return State{
		T:    t,
		Wc:   wc / sum,
		Wu:   wu / sum,
		Wh:   wh / sum,
		Hist: decay * (s.Hist + s.Wc*tc),
		N:    s.N + 1,
	}, nil
}

// adjust is the paper's reward/punish rule, exactly as printed:
// W^d when |d| ≤ δ, W^(1/d) otherwise (d = T_c − T, or T_u − T).
// For d < 0 both branches give W^(negative) > 1; d = 0 gives W^0 = 1.
func adjust(w, d, delta float64) float64 {
	if math.Abs(d) <= delta {
		return math.Pow(w, d)
	}
	return math.Pow(w, 1/d)
}

// check reports whether s is a state Update can produce.
func (s State) check() error {
	finite := finiteNonNeg(s.T, s.Wc, s.Wu, s.Wh, s.Hist)
	ok := finite && s.T <= 1 && s.Wc > 0 && s.Wu > 0 && s.Wh > 0 &&
		s.Wc <= 1 && s.Wu <= 1 && s.Wh <= 1 &&
		math.Abs(s.Wc+s.Wu+s.Wh-1) <= weightSumTolerance &&
		s.Hist <= MaxHist*(1+1e-12) && (s.N > 0 || s.Hist == 0)
	if !ok {
		return fmt.Errorf("%w: %+v", ErrState, s)
	}
	return nil
}

// finiteNonNeg reports whether every v is a finite number ≥ +0 (not −0).
func finiteNonNeg(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || math.Signbit(v) {
			return false
		}
	}
	return true
}

func inUnit(v float64) bool { return v >= 0 && v <= 1 } // false for NaN

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
