// Package bench measures trustbank's hot paths for `trustbank bench`:
// each path's throughput next to a bare-crypto bound measured in the same
// run, and their ratio, so a figure says how close the system comes to what
// its cryptography allows on this machine.
//
// JSON shape (every area uses it):
//
//	{"area":"groupsig","results":[{"name":"verify","ns_per_op":…,
//	  "bound":"one BLS12-381 pairing","bound_ns_per_op":…,"efficiency":…}]}
//
// efficiency = bound_ns_per_op / ns_per_op.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Report is the result of one area.
type Report struct {
	Area    string   `json:"area"`
	Results []Result `json:"results"`
	GOOS    string   `json:"goos"`
	GOARCH  string   `json:"goarch"`
	CPUs    int      `json:"cpus"`
	// PeakRSS is the process's peak resident set size after the run
	// (VmHWM), in bytes; 0 where /proc is not available.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// Notes carry an area's setting, e.g. the size of a preloaded registry.
	Notes map[string]string `json:"notes,omitempty"`
}

// Result is one hot path against its bound.
type Result struct {
	Name         string  `json:"name"`
	NsPerOp      float64 `json:"ns_per_op"`
	OpsPerSec    float64 `json:"ops_per_sec"`
	Bound        string  `json:"bound"`
	BoundNsPerOp float64 `json:"bound_ns_per_op"`
	Efficiency   float64 `json:"efficiency"`
}

// Case is one path to measure. Op and BoundOp each run one operation; an
// error from Op aborts the run (a benchmark of a failing path is worthless).
type Case struct {
	Name    string
	Op      func() error
	Bound   string
	BoundOp func() error
	// PerCall is how many operations one call of Op (and of BoundOp)
	// performs, e.g. when a call fans out over all cores; 0 means 1.
	PerCall int
	// Prepare, if set, is called untimed before every batch of calls of Op
	// with the number of calls about to be made: paths whose operations
	// cannot repeat (a withdrawal, a deposit) make their inputs here.
	Prepare func(calls int) error
}

// Run measures each case: op and bound alternate for `rounds` rounds of at
// least d each, and the fastest round of each counts (the least disturbed
// by the rest of the machine).
func Run(area string, cases []Case, d time.Duration, rounds int) (*Report, error) {
	rep := &Report{Area: area, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.GOMAXPROCS(0)}
	for _, c := range cases {
		var best, bestBound float64
		for range max(rounds, 1) {
			ns, err := measure(c.Op, c.Prepare, d)
			if err != nil {
				return nil, fmt.Errorf("bench %s/%s: %w", area, c.Name, err)
			}
			nb, err := measure(c.BoundOp, nil, d)
			if err != nil {
				return nil, fmt.Errorf("bench %s/%s bound: %w", area, c.Name, err)
			}
			per := float64(max(c.PerCall, 1))
			best, bestBound = minPos(best, ns/per), minPos(bestBound, nb/per)
		}
		rep.Results = append(rep.Results, Result{
			Name: c.Name, NsPerOp: best, OpsPerSec: 1e9 / best,
			Bound: c.Bound, BoundNsPerOp: bestBound, Efficiency: bestBound / best,
		})
	}
	rep.PeakRSS = PeakRSS()
	return rep, nil
}

// peakRSS reads VmHWM from /proc/self/status.
// PeakRSS is the process's peak resident set size (VmHWM) in bytes, 0 where unknown.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func minPos(a, b float64) float64 {
	if a == 0 || b < a {
		return b
	}
	return a
}

// measure runs op in growing batches until one batch takes at least d and
// returns nanoseconds per operation of that batch. prepare (if not nil)
// makes each batch's inputs before the clock starts.
func measure(op func() error, prepare func(int) error, d time.Duration) (float64, error) {
	if prepare != nil {
		if err := prepare(1); err != nil {
			return 0, err
		}
	}
	if err := op(); err != nil { // warm-up: lazy tables, caches
		return 0, err
	}
	for n := 1; ; n *= 2 {
		if prepare != nil {
			if err := prepare(n); err != nil {
				return 0, err
			}
		}
		start := time.Now()
		for range n {
			if err := op(); err != nil {
				return 0, err
			}
		}
		if el := time.Since(start); el >= d || n >= 1<<30 {
			return float64(el.Nanoseconds()) / float64(n), nil
		}
	}
}

// WriteJSON writes rep as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteText writes rep as a table for people.
func (rep *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "area %s (%s/%s, %d CPUs, peak RSS %d MiB)\n", rep.Area, rep.GOOS, rep.GOARCH, rep.CPUs, rep.PeakRSS>>20)
	for k, v := range rep.Notes {
		fmt.Fprintf(w, "%s: %s\n", k, v)
	}
	fmt.Fprintf(w, "%-16s %12s %12s %12s %10s  %s\n", "path", "µs/op", "ops/s", "bound µs/op", "efficiency", "bound")
	for _, r := range rep.Results {
		fmt.Fprintf(w, "%-16s %12.1f %12.0f %12.1f %10.2f  %s\n",
			r.Name, r.NsPerOp/1e3, r.OpsPerSec, r.BoundNsPerOp/1e3, r.Efficiency, r.Bound)
	}
	return nil
}
