package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Noise is how a cloud service's feedback departs from the user's true
// trust: T_c = clamp(T_real − Bias + N(0, Sigma²), 0, 1). The paper does not
// say how its services judged users, only that "a service's feedback is
// generally below the user's true value"; Bias models that, Sigma the
// scatter between services and transactions.
type Noise struct {
	Bias  float64 `json:"bias"`
	Sigma float64 `json:"sigma"`
}

// DefaultNoise is a small under-reporting bias with modest scatter; the
// sensitivity sweep (Sweep) shows how the results move with both.
var DefaultNoise = Noise{Bias: 0.02, Sigma: 0.05}

// Validate checks 0 ≤ Bias ≤ 1 and 0 ≤ Sigma ≤ 1.
func (n Noise) Validate() error {
	if !(n.Bias >= 0 && n.Bias <= 1 && n.Sigma >= 0 && n.Sigma <= 1) {
		return fmt.Errorf("%w: noise bias %v, sigma %v must be in [0,1]", ErrConfig, n.Bias, n.Sigma)
	}
	return nil
}

// Env is the simulated cloud: Services services, of which the first
// Slanderers report 0 whatever the user did.
type Env struct {
	Noise      Noise
	Services   int
	Slanderers int
}

// DefaultServices is the paper's number of simulated cloud services.
const DefaultServices = 50

// feedback draws one transaction: a service chosen uniformly, and its
// report on a user of true trust real. Both random numbers are always
// drawn, so one seed gives the same stream whatever the environment.
func (e Env) feedback(r *rand.Rand, real float64) float64 {
	svc := r.IntN(e.Services)
	z := r.NormFloat64()
	if svc < e.Slanderers {
		return 0
	}
	return math.Min(math.Max(real-e.Noise.Bias+e.Noise.Sigma*z, 0), 1)
}

// feedbacks draws one feedback per entry of real.
func (e Env) feedbacks(r *rand.Rand, real []float64) []float64 {
	out := make([]float64, len(real))
	for i, v := range real {
		out[i] = e.feedback(r, v)
	}
	return out
}

// rng returns the generator of one (experiment, seed) pair: PCG seeded
// with the seed and the experiment's stream number.
func rng(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }
