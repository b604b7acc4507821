package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"trustbank/trust/score"
)

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeterminism: a seed gives byte-identical JSON; another seed does not.
func TestDeterminism(t *testing.T) {
	c := DefaultConfig
	c.Seeds = 10
	for name, run := range map[string]func(Config) (any, error){
		"1":         func(c Config) (any, error) { return RunScenario1(c) },
		"2":         func(c Config) (any, error) { return RunScenario2(c) },
		"adversary": func(c Config) (any, error) { return RunAdversary(c) },
	} {
		a, err := run(c)
		if err != nil {
			t.Fatal(name, err)
		}
		b, _ := run(c)
		if !bytes.Equal(jsonOf(t, a), jsonOf(t, b)) {
			t.Errorf("scenario %s: two runs with seed %d differ", name, c.Seed)
		}
		c2 := c
		c2.Seed = 99
		d, _ := run(c2)
		if bytes.Equal(jsonOf(t, a), jsonOf(t, d)) {
			t.Errorf("scenario %s: seeds 1 and 99 give the same result", name)
		}
	}
}

// keys fails t unless the JSON object m has every key.
func keys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no field %q", what, k)
		}
	}
}

func decode(t *testing.T, v any) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(jsonOf(t, v), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestScenarioFields: the JSON has the fields docs/trust.md documents.
func TestScenarioFields(t *testing.T) {
	c := DefaultConfig
	c.Seeds = 3
	r1, err := RunScenario1(c)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, r1)
	keys(t, "scenario 1", m, "scenario", "seeds", "seed", "noise", "services", "epsilon", "k", "horizon", "paper_transactions", "models", "example")
	mod := m["models"].([]any)[0].(map[string]any)
	keys(t, "scenario 1 model", mod, "model", "users")
	keys(t, "scenario 1 user", mod["users"].([]any)[2].(map[string]any), "real", "transactions", "converged", "to_bad")

	r2, err := RunScenario2(c)
	if err != nil {
		t.Fatal(err)
	}
	m = decode(t, r2)
	keys(t, "scenario 2", m, "scenario", "paper_rms", "models", "sweep", "example")
	keys(t, "scenario 2 rms", m["models"].([]any)[0].(map[string]any)["rms"].(map[string]any), "a", "b", "c")
	if n := len(r2.Sweep); n != len(SweepBias)*len(SweepSigma)*len(ModelNames) {
		t.Errorf("sweep has %d cells", n)
	}

	r3, err := RunAdversary(c)
	if err != nil {
		t.Fatal(err)
	}
	m = decode(t, r3)
	keys(t, "adversary", m, "scenario", "detection", "onoff", "slander", "example")
	keys(t, "onoff", m["onoff"].([]any)[0].(map[string]any), "model", "k", "attacker_perfect", "attacks_from_perfect",
		"attacker_mean_trust", "demoted_after_attack", "honest_perfect")
	keys(t, "slander", m["slander"].([]any)[0].(map[string]any), "model", "fraction", "mean_trust", "perfect", "bad", "rms")
}

// TestPaperShape checks what the paper claims of its model, on our noise:
// convergence from 0.5 to 1 in "about 6" transactions, and a malicious
// user identified (tier "bad") within a few.
func TestPaperShape(t *testing.T) {
	c := DefaultConfig
	c.Seeds = 50
	r, err := RunScenario1(c)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Models[0]
	if p.Model != "paper" || p.Users[0].Converged < 0.95 || math.Abs(p.Users[0].Transactions.Mean-6) > 1.5 {
		t.Errorf("paper model, true trust 1: %+v", p.Users[0])
	}
	if bad := p.Users[2].ToBad; bad == nil || bad.Mean > 4 {
		t.Errorf("paper model, true trust 0: to bad %+v", bad)
	}
}

func TestNoNoiseNoError(t *testing.T) {
	// Without noise a constant user's feedback is exact, and Beta's
	// estimate is pinned by its prior: (r+1)/(r+s+2) with λ = 0.8 tends to
	// (5+1)/(5+2) for true trust 1.
	env := Env{Services: 50}
	ts, err := traces(Models(), env, Constant(1, 200), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	beta := ts[1][199]
	if math.Abs(beta-6.0/7) > 1e-9 {
		t.Errorf("beta after 200 perfect feedbacks = %v, want 6/7", beta)
	}
	if ours := ts[2][199]; math.Abs(ours-1) > 1e-9 {
		t.Errorf("ours after 200 perfect feedbacks = %v", ours)
	}
}

func TestStatsAndProfiles(t *testing.T) {
	if got := RMS([]float64{0.5, 1}, []float64{0.5, 0}); math.Abs(got-math.Sqrt(0.5)) > 1e-15 {
		t.Errorf("RMS = %v", got)
	}
	st := statOf([]float64{1, 2, 3, 4})
	if st.Mean != 2.5 || math.Abs(st.SD-math.Sqrt(5.0/3)) > 1e-15 || st.N != 4 {
		t.Errorf("stat = %+v", st)
	}
	// |T − 1| < 0.1 from the 3rd value on, for 3 in a row.
	if n := Converged([]float64{0.5, 0.95, 0.8, 0.95, 0.96, 0.97}, 1, 0.1, 3); n != 4 {
		t.Errorf("Converged = %d, want 4", n)
	}
	if n := Converged([]float64{0.5, 0.95, 0.95}, 1, 0.1, 3); n != 0 {
		t.Errorf("Converged = %d, want 0", n)
	}
	if s := Steps(); len(s) != 50 || s[9] != 1 || s[10] != 0 || s[25] != 0.5 || s[30] != 0.8 || s[49] != 0.2 {
		t.Errorf("steps = %v", s)
	}
	if r := Rise(50); r[0] != 0 || r[49] != 1 || !slices.IsSorted(r) {
		t.Errorf("rise = %v", r)
	}
	if o := OnOff(2, 7); !slices.Equal(o, []float64{1, 1, 0, 1, 1, 0, 1}) {
		t.Errorf("on-off = %v", o)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Seeds: 0, Services: 50},
		{Seeds: 1, Services: 0},
		{Seeds: 1, Services: 50, Noise: Noise{Bias: -0.1}},
		{Seeds: 1, Services: 50, Noise: Noise{Sigma: math.NaN()}},
	} {
		if _, err := RunScenario1(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := RunScale(ScaleConfig{Users: 0, Services: 50, Transactions: 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("zero users: %v", err)
	}
}

// TestScale runs 100,000 users and checks the memory per user: 48 bytes of
// state and 8 of true trust, nothing else growing with the population.
func TestScale(t *testing.T) {
	const users = 100_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := RunScale(ScaleConfig{Users: users, Services: 50, Transactions: 10, Seed: 1, Noise: DefaultNoise})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if want := int(unsafe.Sizeof(score.State{})) + 8; res.BytesPerUser != want || want != 56 {
		t.Errorf("bytes per user %d, want %d = 56", res.BytesPerUser, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > users*64+1<<20 {
		t.Errorf("allocated %d bytes for %d users (%d per user)", alloc, users, alloc/users)
	}
	if res.Updates != users*10 || res.TierAgreement < 0.5 || res.MeanAbsError > 0.15 {
		t.Errorf("result %+v", res)
	}
	t.Logf("%d updates in %.2f s (%.0f/s), mean |error| %.3f, tier agreement %.2f",
		res.Updates, res.Seconds, res.UpdatesPerSec, res.MeanAbsError, res.TierAgreement)
}
