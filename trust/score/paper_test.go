package score

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.17g, want %.17g (±%g)", what, got, want, tol)
	}
}

// TestHandComputed checks three steps against arithmetic done by hand
// (ln 0.25 = −1.3862944, ln 0.5 = −0.6931472, e^(−1) = 0.36787944).
func TestHandComputed(t *testing.T) {
	steps := []struct {
		tc               float64
		T, Wc, Wu, Wh, H float64
	}{
		// Step 1, T_c = 0.9, from T_u = 0.5, W = (0.25, 0.5, 0.25), Hist = 0:
		//   T   = 0.25·0.9 + 0.5·0.5 + 0.25·0 = 0.225 + 0.25 = 0.475
		//   d_c = 0.9 − 0.475 = 0.425 ≤ δ → W_c = 0.25^0.425 = e^(−0.589175) = 0.5547847
		//   d_u = 0.5 − 0.475 = 0.025 ≤ δ → W_u = 0.5^0.025 = e^(−0.0173287) = 0.9828206
		//   W_h = 0.25; sum = 1.7876053 → W = (0.3103508, 0.5497973, 0.1398519)
		//   Hist = e^(−1)·(0 + 0.25·0.9) = 0.36787944·0.225 = 0.0827729
		{0.9, 0.475, 0.3103507946089937, 0.5497973067845092, 0.13985189860649716, 0.08277287426357453},
		// Step 2, T_c = 0.2, T_u = 0.475:
		//   T   = 0.3103508·0.2 + 0.5497973·0.475 + 0.1398519·0.0827729
		//       = 0.0620702 + 0.2611537 + 0.0115760 = 0.3347998
		//   d_c = 0.2 − 0.3347998 = −0.1347998 → 0.3103508^(−0.1347998) = 1.1708416 > 1 → clamped to 1
		//   d_u = 0.475 − 0.3347998 = 0.1402002 → 0.5497973^0.1402002 = 0.9195521
		//   sum = 1 + 0.9195521 + 0.1398519 = 2.0594040 → W = (0.4855774, 0.4465137, 0.0679089)
		//   Hist = e^(−1)·(0.0827729 + 0.3103508·0.2) = 0.36787944·0.1448431 = 0.0532848
		{0.2, 0.33479982326331836, 0.485577371381834, 0.44651371131006423, 0.06790891730810165, 0.0532847741058118},
		// Step 3, T_c = 1, T_u = 0.3347998:
		//   T   = 0.4855774·1 + 0.4465137·0.3347998 + 0.0679089·0.0532848
		//       = 0.4855774 + 0.1494927 + 0.0036185 = 0.6386886
		//   d_c = 1 − 0.6386886 = 0.3613114 → 0.4855774^0.3613114 = 0.7702675
		//   d_u = 0.3347998 − 0.6386886 = −0.3038888 → 0.4465137^(−0.3038888) = 1.2776482 → 1
		//   sum = 0.7702675 + 1 + 0.0679089 = 1.8381765 → W = (0.4190390, 0.5440174, 0.0369436)
		//   Hist = e^(−1)·(0.0532848 + 0.4855774) = 0.36787944·0.5388622 = 0.1982363
		{1, 0.6386885943316243, 0.41903895364394184, 0.544017412852491, 0.03694363350356721, 0.1982363049504396},
	}
	s := New()
	for i, st := range steps {
		var err error
		if s, err = Update(s, st.tc); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"T", s.T, st.T}, {"Wc", s.Wc, st.Wc}, {"Wu", s.Wu, st.Wu}, {"Wh", s.Wh, st.Wh}, {"Hist", s.Hist, st.H}} {
			near(t, "step "+string(rune('1'+i))+" "+c.name, c.got, c.want, 1e-12)
		}
		if s.N != uint64(i+1) || s.Tu() != s.T {
			t.Errorf("step %d: N = %d, T_u = %v", i+1, s.N, s.Tu())
		}
	}
}

// TestBoundaryReward: with T_c = 1 at the start, T = 0.5 and T_c − T is
// exactly δ, which the paper rewards (≤): W_c = 0.25^0.5 = 0.5, and
// T_u − T = 0 gives W_u = 0.5^0 = 1. Sum 1.75 → (2/7, 4/7, 1/7).
func TestBoundaryReward(t *testing.T) {
	s, err := Update(New(), 1)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "T", s.T, 0.5, 0)
	near(t, "Wc", s.Wc, 2.0/7, 1e-15)
	near(t, "Wu", s.Wu, 4.0/7, 1e-15)
	near(t, "Wh", s.Wh, 1.0/7, 1e-15)
}

// TestAdjust pins the printed rule's branches, including the ones that
// leave [0,1]: a negative difference "rewards" to above 1, zero gives 1,
// and a zero weight would become +Inf (why Floor exists).
func TestAdjust(t *testing.T) {
	for _, c := range []struct{ w, d, want float64 }{
		{0.25, 0.5, 0.5},                    // reward: 0.25^0.5
		{0.25, 0, 1},                        // 0.25^0
		{0.25, -0.5, 2},                     // 0.25^(−0.5): "reward" above 1
		{0.25, 0.8, math.Pow(0.25, 1.25)},   // punish: 0.25^(1/0.8) = 0.1767767
		{0.25, -0.8, math.Pow(0.25, -1.25)}, // "punish" to 5.656854
		{0, -0.1, math.Inf(1)},              // 0^(−10): the blow-up
	} {
		if got := adjust(c.w, c.d, 0.5); got != c.want {
			t.Errorf("adjust(%v, %v) = %v, want %v", c.w, c.d, got, c.want)
		}
	}
}

// naiveHist re-sums the history the slow way: Σ T_ci·W_c(i)·e^(−t_i),
// t_i = transactions since feedback i (the previous one has t = 1).
func naiveHist(tcs, wcs []float64) float64 {
	var sum float64
	n := len(tcs)
	for i := range tcs {
		sum += tcs[i] * wcs[i] * math.Exp(-float64(n-i))
	}
	return sum
}

// TestHistIncremental: the O(1) decayed sum equals the naive re-sum over
// a random history at every step.
func TestHistIncremental(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	s := New()
	var tcs, wcs []float64
	for i := range 2000 {
		tc := r.Float64()
		tcs, wcs = append(tcs, tc), append(wcs, s.Wc) // W_c at feedback time
		var err error
		if s, err = Update(s, tc); err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(s.Hist - naiveHist(tcs, wcs)); d > 1e-12 {
			t.Fatalf("step %d: incremental %v, naive %v (diff %g)", i, s.Hist, naiveHist(tcs, wcs), d)
		}
	}
}

// extremeFeedback draws 0, 1, values next to them, and uniform values.
func extremeFeedback(r *rand.Rand) float64 {
	switch r.IntN(8) {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return math.SmallestNonzeroFloat64
	case 3:
		return math.Nextafter(1, 0)
	default:
		return r.Float64()
	}
}

// TestInvariantsMillion runs 10^6 random feedbacks (a quarter at or next
// to 0 and 1) through every model: trust stays in [0,1], the paper's
// weights stay in (0,1] summing to 1, nothing becomes NaN or Inf.
func TestInvariantsMillion(t *testing.T) {
	const n = 1_000_000
	t.Run("paper", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		s := New()
		var punished, above1 int
		for i := range n {
			tc := extremeFeedback(r)
			t0 := s.Wc*tc + s.Wu*s.T + s.Wh*s.Hist
			if math.Abs(tc-t0) > 0.5 || math.Abs(s.T-t0) > 0.5 {
				punished++
			}
			if adjust(s.Wc, tc-t0, 0.5) > 1 {
				above1++
			}
			next, err := Update(s, tc)
			if err != nil {
				t.Fatalf("step %d from %+v: %v", i, s, err)
			}
			if err := next.check(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			s = next
		}
		// What docs/trust.md reports of the printed rule: the punish
		// branch is (almost) never taken, about half the updates reward
		// W_c above 1, and W_h ends at the floor.
		t.Logf("punish branch %d times, W_c rewarded above 1 %d times, final W_h %g", punished, above1, s.Wh)
		if punished > 10 || above1 < n*3/10 || above1 > n*7/10 || s.Wh > 1e-5 {
			t.Errorf("punished %d, above 1 %d of %d, W_h %g", punished, above1, n, s.Wh)
		}
	})
	invariantsOf(t, DefaultBeta, n)
	invariantsOf(t, DefaultOurs, n)
}

func invariantsOf[S any](t *testing.T, m Model[S], n int) {
	t.Run(m.Name(), func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		s := m.New()
		for i := range n {
			var err error
			if s, err = m.Update(s, extremeFeedback(r)); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if v := m.Trust(s); !(v >= 0 && v <= 1) {
				t.Fatalf("step %d: trust %v", i, v)
			}
		}
	})
}

// TestRawRuleBreaks shows the printed rule without our clamps: W_h is
// never rewarded or punished, so every renormalisation by a sum > 1
// shrinks it until it underflows to 0 and the state leaves the model
// (history switched off for good); the clamped model keeps it ≥ Floor/3.
func TestRawRuleBreaks(t *testing.T) {
	raw := DefaultParams
	raw.Raw = true
	r := rand.New(rand.NewPCG(1, 2))
	s := raw.New()
	var err error
	for i := 0; i < 100_000 && err == nil; i++ {
		s, err = raw.Update(s, extremeFeedback(r))
	}
	if !errors.Is(err, ErrState) {
		t.Fatalf("raw rule survived 10^5 feedbacks: %+v", s)
	}
	t.Logf("raw rule broke after %d feedbacks: %+v", s.N, s)
}

func TestFeedbackRange(t *testing.T) {
	s := New()
	for _, tc := range []float64{-1e-300, 1 + 1e-15, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := Update(s, tc); !errors.Is(err, ErrFeedback) {
			t.Errorf("T_c = %v: err %v", tc, err)
		}
		if _, err := DefaultBeta.Update(DefaultBeta.New(), tc); !errors.Is(err, ErrFeedback) {
			t.Errorf("beta T_c = %v: err %v", tc, err)
		}
		if _, err := DefaultOurs.Update(DefaultOurs.New(), tc); !errors.Is(err, ErrFeedback) {
			t.Errorf("ours T_c = %v: err %v", tc, err)
		}
	}
	for _, tc := range []float64{0, 1} {
		if _, err := Update(s, tc); err != nil {
			t.Errorf("T_c = %v: %v", tc, err)
		}
	}
	bad := s
	bad.Wc = 0.5 // weights sum to 1.25
	if _, err := Update(bad, 0.5); !errors.Is(err, ErrState) {
		t.Errorf("state with weight sum 1.25: %v", err)
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultBeta.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := DefaultOurs.Validate(); err != nil {
		t.Fatal(err)
	}
	p := DefaultParams
	p.Wc = 0.3
	if p.Validate() == nil {
		t.Error("weights summing to 1.05 accepted")
	}
	if (BetaParams{Lambda: 0}).Validate() == nil || (OursParams{}).Validate() == nil {
		t.Error("zero parameters accepted")
	}
}
