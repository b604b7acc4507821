package biometric

import (
	"math/rand/v2"
	"sync"
)

// SyntheticFace is a face of the synthetic model Evaluate measures: a
// random unit vector u, whose captures are normalise(u + σ·g/√Dim) with g
// standard Gaussian. Tests and the demo use it as a person's face. It is
// safe for concurrent use.
type SyntheticFace struct {
	mu  sync.Mutex
	u   []float64
	rng *rand.Rand
}

// NewSyntheticFace draws a face from rng, which then draws the noise of
// its captures.
func NewSyntheticFace(rng *rand.Rand) *SyntheticFace {
	return &SyntheticFace{u: gaussian(rng, 1), rng: rng}
}

// Capture is one template of the face taken with noise sigma.
func (f *SyntheticFace) Capture(sigma float64) Template {
	f.mu.Lock()
	defer f.mu.Unlock()
	return capture(f.rng, f.u, sigma)
}
