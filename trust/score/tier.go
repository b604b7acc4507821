package score

import "fmt"

// Tier is one of the paper's four trust groups, each a group-signature
// group of its own. The order is the order of trust: TierBad < TierPerfect.
type Tier uint8

// The four tiers and their half-open trust ranges (§3.1; the paper prints
// closed ranges that share their end points, and we give each boundary to
// the higher tier: T = 0.75 is perfect, 0.5 good, 0.25 mediate).
const (
	TierBad     Tier = iota // [0, 0.25)
	TierMediate             // [0.25, 0.5)
	TierGood                // [0.5, 0.75)
	TierPerfect             // [0.75, 1]
)

// Tiers lists the four tiers, lowest first.
var Tiers = [4]Tier{TierBad, TierMediate, TierGood, TierPerfect}

var tierNames = [4]string{"bad", "mediate", "good", "perfect"}

// TierOf returns the tier of trust t. Anything below 0.25 — including a
// negative value or NaN, which no valid State holds — is TierBad, so an
// error can only ever lower a user's access.
func TierOf(t float64) Tier {
	switch {
	case t >= 0.75:
		return TierPerfect
	case t >= 0.5:
		return TierGood
	case t >= 0.25:
		return TierMediate
	default:
		return TierBad
	}
}

// Bounds returns the tier's range [lo, hi) (hi = 1 is included for perfect).
func (t Tier) Bounds() (lo, hi float64) {
	return 0.25 * float64(t), 0.25 * float64(t+1)
}

// Valid reports whether t is one of the four tiers.
func (t Tier) Valid() bool { return t <= TierPerfect }

func (t Tier) String() string {
	if !t.Valid() {
		return fmt.Sprintf("tier(%d)", uint8(t))
	}
	return tierNames[t]
}

// ParseTier returns the tier named s ("bad", "mediate", "good", "perfect").
func ParseTier(s string) (Tier, error) {
	for i, n := range tierNames {
		if n == s {
			return Tier(i), nil
		}
	}
	return 0, fmt.Errorf("score: unknown tier %q (bad, mediate, good, perfect)", s)
}

// Tier is the group s belongs in: TierOf(s.T), except that a new user
// (N = 0) is TierMediate. The paper's registration (§3.3, Fig. 4 step 4)
// puts a new user's 0.5 in "mediate" for safety, while its ranges — and
// ours, half-open with each boundary in the higher tier — put 0.5 in
// "good"; the first feedback decides from then on.
func (s State) Tier() Tier {
	if s.N == 0 {
		return TierMediate
	}
	return TierOf(s.T)
}
