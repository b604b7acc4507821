package biometric

import (
	"math/rand/v2"
	"testing"
)

// Two captures of one synthetic face match; a capture of another face
// does not; the same seed draws the same captures.
func TestSyntheticFace(t *testing.T) {
	a := NewSyntheticFace(rand.New(rand.NewPCG(1, 2)))
	b := NewSyntheticFace(rand.New(rand.NewPCG(3, 4)))
	if d, ok := Match(a.Capture(0.3), a.Capture(0.3)); !ok {
		t.Fatalf("two captures of one face: distance %.3f", d)
	}
	if d, ok := Match(a.Capture(0.3), b.Capture(0.3)); ok {
		t.Fatalf("captures of two faces matched: distance %.3f", d)
	}
	x, y := NewSyntheticFace(rand.New(rand.NewPCG(5, 6))).Capture(0.3), NewSyntheticFace(rand.New(rand.NewPCG(5, 6))).Capture(0.3)
	if d, _ := CosineDistance(x, y); d != 0 {
		t.Fatalf("same seed, different captures: distance %g", d)
	}
}
