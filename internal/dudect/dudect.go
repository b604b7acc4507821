// Package dudect is the statistics of the dudect timing-leak test (O.
// Reich, E. Oswald, J. Renes, "dudect: dude, is my code constant time?",
// DATE 2017): Welch's t-test between the timings of two input classes —
// one fixed input and fresh random ones, interleaved at random — on all
// samples and on samples cropped at percentiles, which removes the slow
// tail that interrupts and other processes add. |t| above Threshold means
// the timing depends on the input class: a leak. Tests time the calls;
// this package only judges them.
package dudect

import (
	"crypto/rand"
	"math"
	"slices"
	"strconv"
	"time"
)

// Threshold is dudect's bound on |t| for "no leak found".
const Threshold = 4.5

// Result is the largest |t| found and the sample set it was found in.
type Result struct {
	T    float64
	Crop string   // "uncropped" or "cropped at pNN.N"
	All  []string // every set's t, for the log
}

// Judge runs Welch's t-test between class 0 and class 1 (class[i]&1 is the
// class of times[i]) on all samples and on the samples below each
// cropping percentile 1 − 0.5^k, k = 1..10 (p50 up to p99.9).
func Judge(class []byte, times []float64) Result {
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	best := Welch(class, times, math.Inf(1))
	r := Result{Crop: "uncropped", All: []string{"uncropped: t = " + strconv.FormatFloat(best, 'f', 2, 64)}}
	for k := 1; k <= 10; k++ {
		p := 1 - math.Pow(0.5, float64(k))
		tv := Welch(class, times, sorted[int(p*float64(len(sorted)-1))])
		name := "cropped at p" + strconv.FormatFloat(100*p, 'f', 1, 64)
		r.All = append(r.All, name+": t = "+strconv.FormatFloat(tv, 'f', 2, 64))
		if math.Abs(tv) > math.Abs(best) {
			best, r.Crop = tv, name
		}
	}
	r.T = math.Abs(best)
	return r
}

// Welch returns Welch's t statistic between the two classes' times at or
// below limit (Welford's running means and variances); 0 if a class has
// fewer than two samples.
func Welch(class []byte, times []float64, limit float64) float64 {
	var n, mean, m2 [2]float64
	for i, x := range times {
		if x > limit {
			continue
		}
		c := class[i] & 1
		n[c]++
		d := x - mean[c]
		mean[c] += d / n[c]
		m2[c] += d * (x - mean[c])
	}
	if n[0] < 2 || n[1] < 2 {
		return 0
	}
	v0, v1 := m2[0]/(n[0]-1), m2[1]/(n[1]-1)
	return (mean[0] - mean[1]) / math.Sqrt(v0/n[0]+v1/n[1])
}

// Run prepares n calls — prep(true) for the fixed class, prep(false) for
// the random one, in random order, untimed — warms up with the first few,
// times each call once and judges the timings.
func Run(n int, prep func(fixed bool) func()) Result {
	class := make([]byte, n)
	rand.Read(class)
	calls := make([]func(), n)
	for i := range calls {
		calls[i] = prep(class[i]&1 == 0)
	}
	for i := range min(n, 1000) { // caches, tables and the branch predictor
		calls[i]()
	}
	times := make([]float64, n)
	for i, call := range calls {
		start := time.Now()
		call()
		times[i] = float64(time.Since(start))
	}
	return Judge(class, times)
}
