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
	// 16x the work: the best of three rounds stays far below 1 even on a
	// machine busy with other work (a 4x ratio measured 0.06 under load).
	rep, err := Run("test", []Case{{Name: "slow", Op: spin(160000), Bound: "fast", BoundOp: spin(10000)}}, 30*time.Millisecond, 3)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Efficiency != r.BoundNsPerOp/r.NsPerOp || r.OpsPerSec != 1e9/r.NsPerOp {
		t.Fatalf("efficiency %v is not bound/op (%v / %v)", r.Efficiency, r.BoundNsPerOp, r.NsPerOp)
	}
	if r.Efficiency <= 0 || r.Efficiency >= 0.5 {
		t.Fatalf("efficiency %.3f for 16x the work, want about 0.06", r.Efficiency)
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
