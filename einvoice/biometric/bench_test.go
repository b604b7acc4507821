package biometric

import (
	"crypto/rand"
	"testing"
)

func benchFaces(b *testing.B) (Template, Template) {
	p := population(1, mustOptions(b, EvalOptions{Persons: 2}))[0]
	return p.live[0], p.live[1]
}

func BenchmarkMatch(b *testing.B) {
	x, y := benchFaces(b)
	for b.Loop() {
		Match(x, y)
	}
}

func BenchmarkBinarize(b *testing.B) {
	x, _ := benchFaces(b)
	for b.Loop() {
		binarize(x, DefaultParams.Bits())
	}
}

func BenchmarkGen(b *testing.B) {
	x, _ := benchFaces(b)
	for b.Loop() {
		if _, _, err := Gen(rand.Reader, x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRep(b *testing.B) {
	x, y := benchFaces(b)
	_, h, _ := Gen(rand.Reader, x)
	for b.Loop() {
		if _, err := Rep(y, h); err != nil {
			b.Fatal(err)
		}
	}
}
