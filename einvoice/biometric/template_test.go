package biometric

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func numbers(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func TestReadTemplate(t *testing.T) {
	good := numbers(Dim, func(i int) string { return fmt.Sprintf("%g", float64(i%7)-3.25) })
	cases := map[string]string{
		"ok/json":           "[" + strings.Join(good, ", ") + "]\n",
		"ok/lines":          "# FaceNet\n" + strings.Join(good, "\n") + "\n\n",
		"ok/json-exponent":  "[" + strings.Join(numbers(Dim, func(int) string { return "1e-3" }), ",") + "]",
		"fail/json-short":   "[" + strings.Join(good[1:], ",") + "]",
		"fail/lines-long":   strings.Join(append(good, "1"), "\n"),
		"fail/lines-short":  strings.Join(good[:Dim-1], "\n"),
		"fail/nan":          strings.Join(append(good[:Dim-1], "NaN"), "\n"),
		"fail/inf":          strings.Join(append(good[:Dim-1], "+Inf"), "\n"),
		"fail/float32-over": strings.Join(append(good[:Dim-1], "1e39"), "\n"),
		"fail/zero":         strings.Join(numbers(Dim, func(int) string { return "0" }), "\n"),
		"fail/word":         strings.Join(append(good[:Dim-1], "face"), "\n"),
		"fail/json-string":  `["1"` + strings.Repeat(",1", Dim-1) + "]",
		"fail/json-null":    "[null" + strings.Repeat(",1", Dim-1) + "]",
		"fail/json-trail":   "[" + strings.Join(good, ",") + "] [1]",
		"fail/empty":        "",
		"fail/huge":         strings.Repeat(" ", maxTemplateFile+1),
	}
	for name, in := range cases {
		tpl, err := ReadTemplate(strings.NewReader(in))
		if strings.HasPrefix(name, "ok/") {
			if err != nil || len(tpl) != Dim {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !errors.Is(err, ErrTemplate) || tpl != nil {
			t.Errorf("%s: got %v, want ErrTemplate", name, err)
		}
	}
	tpl, err := ReadTemplate(strings.NewReader(cases["ok/json"]))
	if err != nil || tpl[3] != -0.25 || tpl[0] != -3.25 {
		t.Fatalf("values: %v %v", tpl[:4], err)
	}
}

func TestMatch(t *testing.T) {
	people := population(7, mustOptions(t, EvalOptions{Persons: 20}))
	for i, p := range people {
		if d, ok := Match(p.id, p.live[1]); !ok {
			t.Errorf("person %d: own live face refused at distance %.3f", i, d)
		}
		other := people[(i+1)%len(people)]
		if d, ok := Match(p.id, other.live[1]); ok {
			t.Errorf("person %d: another face accepted at distance %.3f", i, d)
		}
	}
	if d, ok := Match(people[0].id, people[0].id); !ok || math.Abs(d) > 1e-6 {
		t.Errorf("same template: %v %v", d, ok)
	}
	bad := append(Template(nil), people[0].live[0]...)
	bad[5] = float32(math.NaN())
	if d, ok := Match(people[0].id, bad); ok || !math.IsInf(d, 1) {
		t.Errorf("NaN template: %v %v", d, ok)
	}
	if _, ok := Match(people[0].id, people[0].id[:Dim-1]); ok {
		t.Error("short template matched")
	}
	// Scale does not matter.
	scaled := make(Template, Dim)
	for i, v := range people[0].live[0] {
		scaled[i] = 3 * v
	}
	d1, _ := Match(people[0].id, people[0].live[0])
	d2, _ := Match(people[0].id, scaled)
	if math.Abs(d1-d2) > 1e-6 {
		t.Errorf("scaled template: %v vs %v", d1, d2)
	}
}

func mustOptions(t testing.TB, o EvalOptions) EvalOptions {
	t.Helper()
	o, err := o.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return o
}
