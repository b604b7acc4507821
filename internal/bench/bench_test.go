package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func spin(n int) func() error {
	return func() error {
		x := 0
		for i := range n {
			x += i * i
		}
		if x < 0 {
			return errors.New("overflow")
		}
		return nil
	}
}

func TestRunRatio(t *testing.T) {
	rep, err := Run("test", []Case{{Name: "slow", Op: spin(40000), Bound: "fast", BoundOp: spin(10000)}}, 20*time.Millisecond, 2)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Efficiency <= 0.1 || r.Efficiency >= 0.6 {
		t.Fatalf("efficiency %.2f for 4x the work, want about 0.25", r.Efficiency)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	res := back["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "ns_per_op", "bound", "bound_ns_per_op", "efficiency"} {
		if _, ok := res[k]; !ok {
			t.Errorf("JSON result lacks %q", k)
		}
	}
}

func TestRunStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Run("test", []Case{{Name: "bad", Op: func() error { return boom }, BoundOp: spin(1)}}, time.Millisecond, 1)
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}
