package groupsig

import (
	"bytes"
	"crypto/rand"
	"flag"
	"io"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
	"trustbank/internal/dudect"
)

// Timing tests of signing (dudect; see internal/dudect), by hand only:
//
//	go test ./groupsig -run '^$' -bench DudectSign -benchtime 1x -v [-dudect.n 20000]
//
// The signer's pairing R3 takes points that depend on the secrets, and
// gnark-crypto's Miller loop and final exponentiation branch on their
// inputs' values. The first case shows that leak (the harness must see
// it); the second shows the blinding Sign uses removes it; the third times
// all of Sign with fixed against fresh nonces (the blinding stays fresh).
var (
	dudectN = flag.Int("dudect.n", 20000, "timed calls per dudect test")
)

func BenchmarkDudectSign(b *testing.B) {
	t := b
	g := newTestGroup(t, 1)
	pre := g.pk.precomp()
	mk := g.members[0]
	point := func(s *fr.Element) bls.G1Affine { j := pre.g1.Mul(s); return bls12.Affine(&j) }
	var sinkGT bls.GT
	var sinkSig *Signature
	cases := []struct {
		name  string
		leaks bool
		prep  func(s *fr.Element) func()
	}{
		{"pairing of secret points", true, func(s *fr.Element) func() {
			x := point(s)
			return func() { sinkGT, _ = pairR3(pre, &x, &x) }
		}},
		{"blinded pairing of secret points", false, func(s *fr.Element) func() {
			var z1, z2 fr.Element
			bls12.RandomScalars(rand.Reader, &z1, &z2)
			xj, zj1, zj2 := pre.g1.Mul(s), pre.g1.Mul(&z1), pre.g1.Mul(&z2)
			yj := xj
			bls12.Add(&xj, &zj1)
			bls12.Add(&yj, &zj2)
			aff := bls12.ToAffine([]bls.G1Jac{xj, yj, zj1, zj2})
			return func() { sinkGT, _ = pairR3Blinded(pre, &aff[0], &aff[1], &aff[2], &aff[3]) }
		}},
		{"Sign", false, func(s *fr.Element) func() {
			// α, β and the five nonces (7 × 48 bytes) come from s; the
			// blinding scalars after them are fresh.
			seed := s.Bytes()
			nonces := bytes.Repeat(seed[:], 11)[:7*48]
			return func() {
				sinkSig, _ = mk.Sign(io.MultiReader(bytes.NewReader(nonces), rand.Reader), g.pk, []byte("timed"))
			}
		}},
	}
	fixed, _ := bls12.RandomScalar(rand.Reader)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.B) {
			r := timeClasses(t, *dudectN, &fixed, c.prep)
			t.Logf("%s: max |t| = %.2f (%s) over %d calls, fixed vs random secret", c.name, r.T, r.Crop, *dudectN)
			if c.leaks && r.T <= dudect.Threshold {
				t.Errorf("|t| = %.2f: the harness does not see the known leak", r.T)
			}
			if !c.leaks && r.T > dudect.Threshold {
				t.Errorf("|t| = %.2f > %.1f: timing depends on the secret", r.T, dudect.Threshold)
			}
		})
	}
	_, _ = sinkGT, sinkSig
}

// timeClasses times n calls, each prepared (untimed) from the fixed scalar
// or a fresh one, and judges the timings.
func timeClasses(t testing.TB, n int, fixed *fr.Element, prep func(*fr.Element) func()) dudect.Result {
	return dudect.Run(n, func(isFixed bool) func() {
		s := *fixed
		if !isFixed {
			s, _ = bls12.RandomScalar(rand.Reader)
		}
		return prep(&s)
	})
}
