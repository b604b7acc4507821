package bls12

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// edgeScalars are the scalars most likely to break a recoding or an
// addition formula, named for failure messages.
func edgeScalars(t testing.TB) map[string]fr.Element {
	t.Helper()
	set := func(v *big.Int) fr.Element {
		var e fr.Element
		e.SetBigInt(v)
		return e
	}
	r := fr.Modulus()
	one := big.NewInt(1)
	pow := func(n int) *big.Int { return new(big.Int).Lsh(one, uint(n)) }
	sub := func(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }
	add := func(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }
	// All ctWidth-bit windows read by the recoding are ones: every digit +31.
	allMax := sub(pow(ctWidth*(ctWindows-1)+1), one)
	m := map[string]fr.Element{
		"zero":                      {},
		"one (all digits −(2^w−1))": set(one),
		"two":                       set(big.NewInt(2)),
		"r-1":                       set(sub(r, one)),
		"r-2":                       set(sub(r, big.NewInt(2))),
		"small 31":                  set(big.NewInt(31)),
		"small 32":                  set(big.NewInt(32)),
		"small 33":                  set(big.NewInt(33)),
		"2^128+1 (zeros)":           set(add(pow(128), one)),
		"2^254":                     set(pow(254)),
		"2^200":                     set(pow(200)),
		"all digits max":            set(allMax),
		"all digits max-1":          set(sub(allMax, one)),
		"(r-1)/2":                   set(new(big.Int).Rsh(r, 1)),
		"(r+1)/2":                   set(new(big.Int).Rsh(add(r, one), 1)),
	}
	var e fr.Element
	e.SetBytes(bytes.Repeat([]byte{0x80}, 31))
	m["0x80 bytes"] = e
	e.SetBytes(bytes.Repeat([]byte{0xff}, 31))
	m["0xff bytes"] = e
	e.SetBytes(bytes.Repeat([]byte{0xaa}, 32))
	m["0xaa bytes"] = e
	for i := range 40 {
		s, err := RandomScalar(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		m[fmt.Sprintf("random %d", i)] = s
	}
	return m
}

func refG1(p *bls.G1Affine, s *fr.Element) bls.G1Jac {
	var k big.Int
	s.BigInt(&k)
	var a bls.G1Affine
	a.ScalarMultiplication(p, &k)
	var j bls.G1Jac
	j.FromAffine(&a)
	return j
}

func TestRecodeSumsToScalar(t *testing.T) {
	r := fr.Modulus()
	for name, s := range edgeScalars(t) {
		for w := 4; w <= 8; w++ {
			d := recode(&s, w)
			sum := new(big.Int)
			for i := numWindowsFor(w) - 1; i >= 0; i-- {
				if d.idx[i] >= 1<<(w-1) {
					t.Fatalf("%s, w=%d: index %d out of range at window %d", name, w, d.idx[i], i)
				}
				digit := big.NewInt(int64(2*d.idx[i] + 1))
				if d.neg[i] != 0 {
					digit.Neg(digit)
				}
				sum.Lsh(sum, uint(w)).Add(sum, digit)
			}
			var want big.Int
			s.BigInt(&want)
			if sum.Mod(sum, r).Cmp(&want) != 0 {
				t.Fatalf("%s, w=%d: digits sum to %v, want %v", name, w, sum, &want)
			}
		}
	}
}

func TestConstantTimeG1MatchesReference(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	base := g1
	if s, err := RandomScalar(rand.Reader); err == nil {
		b := refG1(&g1, &s)
		base.FromJacobian(&b)
	}
	tab := NewTable(&base)
	accS, _ := RandomScalar(rand.Reader)
	acc0 := refG1(&base, &accS)
	for name, s := range edgeScalars(t) {
		want := refG1(&base, &s)
		got := map[string]bls.G1Jac{
			"Table.Mul":         tab.Mul(&s),
			"Table.MulVartime":  tab.MulVartime(&s),
			"MulG1":             MulG1(&base, &s),
			"MulG1Vartime":      MulG1Vartime(&base, &s),
			"Table.MulJac(inf)": *tab.MulJac(ptr(Infinity()), &s),
		}
		for fn, g := range got {
			if !g.Equal(&want) {
				t.Errorf("%s(%s) differs from gnark-crypto", fn, name)
			}
		}
		sum := want
		sum.AddAssign(&acc0)
		if g := tab.MulJac(ptr(acc0), &s); !g.Equal(&sum) {
			t.Errorf("Table.MulJac(acc, %s) differs", name)
		}
		if g := tab.MulJacVartime(ptr(acc0), &s); !g.Equal(&sum) {
			t.Errorf("Table.MulJacVartime(acc, %s) differs", name)
		}
		var wantAff bls.G1Affine
		wantAff.FromJacobian(&want)
		if g := MulG1Affine(&base, &s); !g.Equal(&wantAff) {
			t.Errorf("MulG1Affine(%s) differs", name)
		}
	}
}

// TestMulJacCancels makes the accumulator meet the identity and its own
// negative mid-way, the cases incomplete formulas get wrong.
func TestMulJacCancels(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	tab := NewTable(&g1)
	for name, s := range edgeScalars(t) {
		var neg fr.Element
		neg.Neg(&s)
		acc := refG1(&g1, &neg)
		if got := tab.MulJac(&acc, &s); !got.Z.IsZero() {
			t.Errorf("-s·P + s·P is not the identity for %s", name)
		}
		acc = refG1(&g1, &s)
		want := refG1(&g1, new(fr.Element).Double(&s))
		if got := tab.MulJac(&acc, &s); !got.Equal(&want) {
			t.Errorf("s·P + s·P is not 2s·P for %s", name)
		}
	}
}

func TestMulG1OfIdentity(t *testing.T) {
	var inf bls.G1Affine
	s, _ := RandomScalar(rand.Reader)
	if got := MulG1(&inf, &s); !got.Z.IsZero() {
		t.Fatal("s·O is not O")
	}
}

func TestMulG2MatchesReference(t *testing.T) {
	_, _, _, g2 := bls.Generators()
	for name, s := range edgeScalars(t) {
		var k big.Int
		s.BigInt(&k)
		var want bls.G2Affine
		want.ScalarMultiplication(&g2, &k)
		if got := MulG2(&g2, &s); !got.Equal(&want) {
			t.Errorf("MulG2(%s) differs from gnark-crypto", name)
		}
	}
	var inf bls.G2Affine
	s, _ := RandomScalar(rand.Reader)
	if got := MulG2(&inf, &s); !got.IsInfinity() {
		t.Error("s·O is not O in G2")
	}
}

func TestCompleteFormulasEdgeCases(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	var p, o, negP, r g1Proj
	p.fromAffine(&g1)
	o.setIdentity()
	negP = p
	negP.condNeg(^uint64(0))
	var twoG bls.G1Jac
	twoG.FromAffine(&g1)
	twoG.DoubleAssign()
	gJac := refG1(&g1, new(fr.Element).SetOne())
	var negG1 bls.G1Affine
	negG1.Neg(&g1)
	cases := []struct {
		name string
		do   func()
		want bls.G1Jac
	}{
		{"P+P", func() { r.add(&p, &p) }, twoG},
		{"P+(-P)", func() { r.add(&p, &negP) }, Infinity()},
		{"O+P", func() { r.add(&o, &p) }, gJac},
		{"P+O", func() { r.add(&p, &o) }, gJac},
		{"O+O", func() { r.add(&o, &o) }, Infinity()},
		{"2O", func() { r.double(&o) }, Infinity()},
		{"2P", func() { r.double(&p) }, twoG},
		{"O+P mixed", func() { r.addMixed(&o, &g1) }, gJac},
		{"P+P mixed", func() { r.addMixed(&p, &g1) }, twoG},
		{"-P+P mixed", func() { r.addMixed(&negP, &g1) }, Infinity()},
		{"P+(-P) mixed", func() { r.addMixed(&p, &negG1) }, Infinity()},
	}
	for _, c := range cases {
		c.do()
		if got := r.jac(); !got.Equal(&c.want) {
			t.Errorf("%s is wrong", c.name)
		}
	}
}

func TestToAffineMatchesVartime(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	pts := []bls.G1Jac{Infinity()}
	for range 5 {
		s, _ := RandomScalar(rand.Reader)
		pts = append(pts, refG1(&g1, &s), Infinity())
	}
	got, want := ToAffine(pts), ToAffineVartime(pts)
	for i := range pts {
		if !got[i].Equal(&want[i]) {
			t.Fatalf("point %d: constant-time and variable-time affine forms differ", i)
		}
	}
}

func TestFieldOpsMatchGnark(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	xs := []fp.Element{{}, fp.One()}
	xs[1].Neg(&xs[1]) // p − 1
	for range 20 {
		s, _ := RandomScalar(rand.Reader)
		a := MulG1Affine(&g1, &s)
		xs = append(xs, a.X, a.Y)
	}
	for _, a := range xs {
		for _, b := range xs {
			var got, want fp.Element
			if fpAdd(&got, &a, &b); got != *want.Add(&a, &b) {
				t.Fatalf("fpAdd(%v, %v)", a, b)
			}
			if fpSub(&got, &a, &b); got != *want.Sub(&a, &b) {
				t.Fatalf("fpSub(%v, %v)", a, b)
			}
		}
		var got, want fp.Element
		if fpCondNeg(&got, &a, ^uint64(0)); got != *want.Neg(&a) {
			t.Fatalf("fpCondNeg(%v)", a)
		}
		if fpCondNeg(&got, &a, 0); got != a {
			t.Fatalf("fpCondNeg(%v, 0)", a)
		}
		if fpInverse(&got, &a); got != *want.Inverse(&a) {
			t.Fatalf("fpInverse(%v)", a)
		}
	}
}

func ptr(j bls.G1Jac) *bls.G1Jac { return &j }

func TestAddMatchesGnark(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	s1, _ := RandomScalar(rand.Reader)
	s2, _ := RandomScalar(rand.Reader)
	p, q := refG1(&g1, &s1), refG1(&g1, &s2)
	var negQ bls.G1Jac
	negQ.Neg(&q)
	var inf bls.G1Affine
	for name, c := range map[string]struct{ a, b bls.G1Jac }{
		"p+q": {p, q}, "q+q": {q, q}, "q+(-q)": {q, negQ}, "O+q": {Infinity(), q}, "q+O": {q, Infinity()},
	} {
		want := c.a
		want.AddAssign(&c.b)
		if got := Add(ptr(c.a), &c.b); !got.Equal(&want) {
			t.Errorf("Add %s differs", name)
		}
		var bAff bls.G1Affine
		bAff.FromJacobian(&c.b)
		if got := AddMixed(ptr(c.a), &bAff); !got.Equal(&want) {
			t.Errorf("AddMixed %s differs", name)
		}
	}
	if got := AddMixed(ptr(p), &inf); !got.Equal(&p) {
		t.Error("p + affine identity is not p")
	}
}

func BenchmarkAddMixed(b *testing.B) {
	pts := benchPoints(2)
	q := Affine(&pts[1])
	for b.Loop() {
		AddMixed(&pts[0], &q)
	}
}

// BenchmarkAddMixedGnark is gnark-crypto's variable-time Jacobian mixed
// addition, for comparison with AddMixed.
func BenchmarkAddMixedGnark(b *testing.B) {
	pts := benchPoints(2)
	q := Affine(&pts[1])
	for b.Loop() {
		pts[0].AddMixed(&q)
	}
}

func TestInvertScalar(t *testing.T) {
	for name, s := range edgeScalars(t) {
		var got, want fr.Element
		if InvertScalar(&got, &s); !got.Equal(want.Inverse(&s)) {
			t.Errorf("InvertScalar(%s) differs from gnark-crypto", name)
		}
	}
}

func BenchmarkInvertScalar(b *testing.B) {
	s, _ := RandomScalar(rand.Reader)
	for b.Loop() {
		InvertScalar(&s, &s)
	}
}

// TestTableConcurrentFirstUse builds both layouts of one table from several
// goroutines at once (run with -race).
func TestTableConcurrentFirstUse(t *testing.T) {
	_, _, g1, _ := bls.Generators()
	tab := NewTable(&g1)
	s, _ := RandomScalar(rand.Reader)
	want := refG1(&g1, &s)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			mul := tab.Mul
			if i%2 == 1 {
				mul = tab.MulVartime
			}
			got := mul(&s)
			if !got.Equal(&want) {
				errs <- fmt.Errorf("goroutine %d: wrong product", i)
				return
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
