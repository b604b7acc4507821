package biometric

import (
	"bytes"
	"reflect"
	"testing"
)

func TestEvaluateDeterministic(t *testing.T) {
	o := EvalOptions{Persons: 30, Captures: 3}
	a, err := Evaluate(11, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Evaluate(11, o)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different evaluation")
	}
	c, _ := Evaluate(12, o)
	if reflect.DeepEqual(a.Match, c.Match) && reflect.DeepEqual(a.Fuzzy, c.Fuzzy) {
		t.Fatal("another seed gives the very same rows")
	}
	var ta, tb bytes.Buffer
	a.Table(&ta)
	b.Table(&tb)
	if ta.String() != tb.String() || !bytes.Contains(ta.Bytes(), []byte("| 0.55 |")) {
		t.Fatalf("table:\n%s", ta.String())
	}
}

func TestEvaluateOptions(t *testing.T) {
	for name, o := range map[string]EvalOptions{
		"fail/one-person": {Persons: 1},
		"fail/captures":   {Captures: 1},
		"fail/sigma":      {LiveSigma: -1},
		"fail/params":     {Params: Params{N: 10, K: 16, Repeat: 1}},
	} {
		if _, err := Evaluate(1, o); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// monotone checks that FAR never falls and FRR never rises as the
// threshold loosens, and that both really move over the sweep.
func monotone(t *testing.T, rows []Row) {
	t.Helper()
	for i := 1; i < len(rows); i++ {
		if rows[i].FalseAccepts < rows[i-1].FalseAccepts || rows[i].FalseRejects > rows[i-1].FalseRejects {
			t.Fatalf("%s: not monotone at %v: %+v then %+v", rows[i].Method, rows[i].Threshold, rows[i-1], rows[i])
		}
	}
	first, last := rows[0], rows[len(rows)-1]
	if first.FRR <= last.FRR {
		t.Errorf("%s: FRR does not fall over the sweep (%v → %v)", first.Method, first.FRR, last.FRR)
	}
}

func TestDefaultRates(t *testing.T) {
	ev, err := Evaluate(1, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	monotone(t, ev.Match)
	monotone(t, ev.Fuzzy)
	if ev.Match[len(ev.Match)-1].FAR <= ev.Match[0].FAR {
		t.Error("match: FAR does not rise as the threshold loosens")
	}
	check := func(r Row) {
		t.Logf("%s at %v: FAR %d/%d, FRR %d/%d", r.Method, r.Threshold, r.FalseAccepts, r.Impostor, r.FalseRejects, r.Genuine)
		if r.FAR >= 1e-3 || r.FRR >= 0.05 || r.Impostor < 10000 || r.Genuine < 500 {
			t.Errorf("%s at the default threshold: %+v", r.Method, r)
		}
	}
	check(findRow(t, ev.Match, DefaultThreshold))
	check(findRow(t, ev.Fuzzy, float64(DefaultParams.Capacity())))
}

func findRow(t *testing.T, rows []Row, th float64) Row {
	t.Helper()
	for _, r := range rows {
		if r.Threshold > th-1e-9 && r.Threshold < th+1e-9 {
			return r
		}
	}
	t.Fatalf("no row at %v", th)
	return Row{}
}

// TestEvaluationAgreesWithRep runs real Gen/Rep over a small population
// at three capacities and checks that each outcome is the one the
// evaluation's error count predicts.
func TestEvaluationAgreesWithRep(t *testing.T) {
	o := mustOptions(t, EvalOptions{Persons: 8, Captures: 3, LiveSigma: 0.75})
	people := population(21, o)
	ev, err := Evaluate(21, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []int{4, 8, DefaultParams.Capacity()} {
		p := Params{N: DefaultParams.N, K: DefaultParams.N - 2*tc, Repeat: DefaultParams.Repeat}
		var fa, fr int
		for a, pa := range people {
			key, h, err := GenParams(testRand(byte(a)), pa.live[0], p)
			if err != nil {
				t.Fatal(err)
			}
			for b, pb := range people {
				for _, probe := range pb.live[1:] {
					got, err := Rep(probe, h)
					if a == b && (err != nil || got != key) {
						fr++
					}
					if a != b && err == nil {
						fa++
					}
				}
			}
		}
		if tc == 4 && fr == 0 {
			t.Error("the population is too easy: no genuine failure at t=4 to compare")
		}
		r := ev.Fuzzy[tc]
		if r.FalseRejects != fr || r.FalseAccepts != fa {
			t.Errorf("t=%d: Rep gave %d false rejects, %d false accepts; evaluation %d, %d", tc, fr, fa, r.FalseRejects, r.FalseAccepts)
		}
	}
}
