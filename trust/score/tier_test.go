package score

import (
	"math"
	"testing"
)

func TestTierBoundaries(t *testing.T) {
	for _, c := range []struct {
		t    float64
		want Tier
	}{
		{0, TierBad}, {math.Nextafter(0.25, 0), TierBad}, {0.25, TierMediate},
		{math.Nextafter(0.5, 0), TierMediate}, {0.5, TierGood},
		{math.Nextafter(0.75, 0), TierGood}, {0.75, TierPerfect}, {1, TierPerfect},
		{math.NaN(), TierBad}, {-1, TierBad},
	} {
		if got := TierOf(c.t); got != c.want {
			t.Errorf("TierOf(%v) = %v, want %v", c.t, got, c.want)
		}
	}
	for _, tr := range Tiers {
		lo, hi := tr.Bounds()
		if TierOf(lo) != tr || TierOf(math.Nextafter(hi, 0)) != tr {
			t.Errorf("%v: bounds [%v,%v) disagree with TierOf", tr, lo, hi)
		}
		if p, err := ParseTier(tr.String()); err != nil || p != tr {
			t.Errorf("ParseTier(%q) = %v, %v", tr, p, err)
		}
	}
	if _, err := ParseTier("excellent"); err == nil {
		t.Error("unknown tier parsed")
	}
	if Tier(4).Valid() || Tier(4).String() != "tier(4)" {
		t.Error("tier 4 valid")
	}
	if New().Tier() != TierMediate {
		t.Error("a new user is not mediate")
	}
}
