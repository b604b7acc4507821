package bls12

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

func BenchmarkFpAddCT(b *testing.B) {
	var x, y fp.Element
	x.SetRandom()
	y.SetRandom()
	for b.Loop() {
		fpAdd(&x, &x, &y)
	}
}

// BenchmarkFpAddGnark is gnark-crypto's branching addition, for comparison.
func BenchmarkFpAddGnark(b *testing.B) {
	var x, y fp.Element
	x.SetRandom()
	y.SetRandom()
	for b.Loop() {
		x.Add(&x, &y)
	}
}
func BenchmarkFpSubCT(b *testing.B) {
	var x, y fp.Element
	x.SetRandom()
	y.SetRandom()
	for b.Loop() {
		fpSub(&x, &x, &y)
	}
}
func BenchmarkFpMul(b *testing.B) {
	var x, y fp.Element
	x.SetRandom()
	y.SetRandom()
	for b.Loop() {
		x.Mul(&x, &y)
	}
}
