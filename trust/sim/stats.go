package sim

import "math"

// Stat is a mean and sample standard deviation over seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	N    int     `json:"n"`
}

func statOf(xs []float64) Stat {
	st := Stat{N: len(xs)}
	if len(xs) == 0 {
		return st
	}
	for _, x := range xs {
		st.Mean += x
	}
	st.Mean /= float64(len(xs))
	if len(xs) > 1 {
		var ss float64
		for _, x := range xs {
			ss += (x - st.Mean) * (x - st.Mean)
		}
		st.SD = math.Sqrt(ss / float64(len(xs)-1))
	}
	return st
}

// RMS is the paper's error E = sqrt(Σ(T_i − T_i^real)²/n).
func RMS(t, real []float64) float64 {
	var ss float64
	for i := range t {
		ss += (t[i] - real[i]) * (t[i] - real[i])
	}
	return math.Sqrt(ss / float64(len(t)))
}

// Converged returns the first transaction (1-based) from which |T − real|
// < eps for k transactions in a row, or 0 if that never happens.
func Converged(t []float64, real, eps float64, k int) int {
	run := 0
	for i, v := range t {
		if math.Abs(v-real) < eps {
			run++
			if run == k {
				return i - k + 2
			}
		} else {
			run = 0
		}
	}
	return 0
}
