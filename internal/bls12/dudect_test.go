package bls12

import (
	"crypto/rand"
	"flag"
	"math/big"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/dudect"
)

// A dudect-style timing test (Reich, Oswald and Renes, "dudect: dude, is my
// code constant time?", DATE 2017): time many calls on two classes of
// scalars, a fixed one and fresh random ones, interleaved at random; crop the
// slowest measurements at several percentiles; and run Welch's t-test on each
// cropped set. |t| above 4.5 means the two classes' timings differ: a leak.
//
// It takes about two minutes (-dudect.n 1000000: ten), and timing on a
// shared machine is no CI check, so it is a benchmark, run by hand:
//
//	go test ./internal/bls12 -run '^$' -bench Dudect -benchtime 1x -v [-dudect.n 200000]
//
// It checks both ways: the constant-time functions must stay below 4.5,
// and their variable-time twins must exceed it (else the harness is blind).
var (
	dudectN = flag.Int("dudect.n", 200000, "timed calls per dudect test (the slow ones use a fraction)")
)

const dudectThreshold = dudect.Threshold

func BenchmarkDudect(b *testing.B) {
	t := b
	_, _, g1, g2 := bls.Generators()
	tab := NewTable(&g1)
	var sink bls.G1Jac
	var sink2 bls.G2Affine
	var sinkGT bls.GT
	g2Lines := bls.PrecomputeLines(g2)
	// Each case turns a scalar into the call to time; what it does before
	// returning the call is not timed.
	cases := []struct {
		name     string
		div      int // run n/div samples
		constant bool
		prep     func(*fr.Element) func()
	}{
		{"Table.Mul", 1, true, func(s *fr.Element) func() { return func() { sink = tab.Mul(s) } }},
		{"Table.MulVartime", 1, false, func(s *fr.Element) func() { return func() { sink = tab.MulVartime(s) } }},
		{"MulG1", 5, true, func(s *fr.Element) func() { return func() { sink = MulG1(&g1, s) } }},
		{"MulG1Vartime", 5, false, func(s *fr.Element) func() { return func() { sink = MulG1Vartime(&g1, s) } }},
		{"MulG2", 20, true, func(s *fr.Element) func() { return func() { sink2 = MulG2(&g2, s) } }},
		// Not ours, and expected to leak: gnark-crypto's pairing of a
		// secret-dependent G1 point (as groupsig.Sign's R3 does). If this
		// ever passes, gnark-crypto has changed: update doc.go.
		{"pairing(s·g1, g2)", 20, false, func(s *fr.Element) func() {
			p := MulG1Affine(&g1, s)
			return func() { sinkGT = pairFixedQ(&p, &g2Lines) }
		}},
	}
	// Three fixed classes: 2^128 + 1, a scalar of almost only zero windows;
	// 0, which the constant-time recoding replaces by r; and one random scalar.
	var sparse fr.Element
	sparse.SetBigInt(new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)))
	random, err := RandomScalar(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fixed := []struct {
		name string
		s    fr.Element
	}{{"2^128+1", sparse}, {"0", fr.Element{}}, {"random", random}}
	for _, c := range cases {
		for _, fx := range fixed {
			t.Run(c.name+"/fixed="+fx.name, func(t *testing.B) {
				n := *dudectN / c.div
				maxT, crop := timeClasses(t, n, &fx.s, c.prep)
				t.Logf("%s, fixed %s vs random: max |t| = %.2f (%s) over %d timed calls", c.name, fx.name, maxT, crop, n)
				if c.constant && maxT > dudectThreshold {
					t.Errorf("|t| = %.2f > %.1f: timing depends on the scalar", maxT, dudectThreshold)
				}
				if !c.constant && maxT <= dudectThreshold {
					t.Errorf("|t| = %.2f: the harness does not see a known leak", maxT)
				}
			})
		}
	}
	_, _, _ = sink, sink2, sinkGT
}

// timeClasses times n calls, each made by prep from the fixed scalar or a
// fresh random one, and returns the largest |t| over the uncropped and
// cropped sample sets, naming the set.
func timeClasses(t testing.TB, n int, fixed *fr.Element, prep func(*fr.Element) func()) (float64, string) {
	t.Helper()
	r := dudect.Run(n, func(isFixed bool) func() {
		s := *fixed
		if !isFixed {
			s, _ = RandomScalar(rand.Reader)
		}
		return prep(&s)
	})
	for _, line := range r.All {
		t.Log(line)
	}
	return r.T, r.Crop
}

// pairFixedQ is e(p, Q) from Q's precomputed lines, which gnark-crypto
// v0.22.0 scales in place, so each call takes a copy.
func pairFixedQ(p *bls.G1Affine, lines *[2][len(bls.LoopCounter) - 1]bls.LineEvaluationAff) bls.GT {
	l := [][2][len(bls.LoopCounter) - 1]bls.LineEvaluationAff{*lines}
	ml, err := bls.MillerLoopFixedQ([]bls.G1Affine{*p}, l)
	if err != nil {
		panic(err)
	}
	return bls.FinalExponentiation(&ml)
}
