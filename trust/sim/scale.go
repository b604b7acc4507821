package sim

import (
	"fmt"
	"math"
	"time"
	"unsafe"

	"trustbank/trust/score"
)

// ScaleConfig is the population run: Users users, each of a true trust
// drawn uniformly from [0,1], each doing Transactions transactions with
// services chosen uniformly among Services.
type ScaleConfig struct {
	Users, Services, Transactions int
	Seed                          uint64
	Noise                         Noise
}

// Validate checks the sizes (at most 10^8 users).
func (c ScaleConfig) Validate() error {
	if c.Users < 1 || c.Users > 100_000_000 || c.Services < 1 || c.Transactions < 1 || c.Transactions > 10_000 {
		return fmt.Errorf("%w: users %d (1..10^8), services %d, transactions %d (1..10000)",
			ErrConfig, c.Users, c.Services, c.Transactions)
	}
	return c.Noise.Validate()
}

// Scale is the population run's result. RSS is filled in by the caller
// (it reads the process's own peak, VmHWM).
type Scale struct {
	Scenario      string  `json:"scenario"`
	Model         string  `json:"model"`
	Users         int     `json:"users"`
	Services      int     `json:"services"`
	Transactions  int     `json:"transactions_per_user"`
	Updates       int     `json:"updates"`
	Seconds       float64 `json:"seconds"`
	UpdatesPerSec float64 `json:"updates_per_sec"`
	BytesPerUser  int     `json:"bytes_per_user"` // state + true trust
	MeanAbsError  float64 `json:"mean_abs_error"`
	TierAgreement float64 `json:"tier_agreement"` // share of users whose tier is their true trust's
	PeakRSSBytes  int64   `json:"peak_rss_bytes,omitempty"`
}

// RunScale runs the paper's model over the population, users stored in
// two flat slices (48-byte states and their true trusts). Each round
// every user transacts once, in order.
func RunScale(c ScaleConfig) (*Scale, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return scaleOf(score.DefaultParams, c)
}

func scaleOf[S any](m score.Model[S], c ScaleConfig) (*Scale, error) {
	r := rng(c.Seed, streamScale)
	real := make([]float64, c.Users)
	states := make([]S, c.Users)
	for i := range states {
		real[i], states[i] = r.Float64(), m.New()
	}
	env := Env{Noise: c.Noise, Services: c.Services}
	start := time.Now()
	for range c.Transactions {
		for i := range states {
			var err error
			if states[i], err = m.Update(states[i], env.feedback(r, real[i])); err != nil {
				return nil, fmt.Errorf("sim: user %d: %w", i, err)
			}
		}
	}
	secs := time.Since(start).Seconds()
	res := &Scale{Scenario: "scale", Model: m.Name(), Users: c.Users, Services: c.Services, Transactions: c.Transactions,
		Updates: c.Users * c.Transactions, Seconds: secs,
		BytesPerUser: int(unsafe.Sizeof(states[0])) + int(unsafe.Sizeof(real[0]))}
	res.UpdatesPerSec = float64(res.Updates) / secs
	var agree int
	for i, s := range states {
		t := m.Trust(s)
		res.MeanAbsError += math.Abs(t - real[i])
		if score.TierOf(t) == score.TierOf(real[i]) {
			agree++
		}
	}
	res.MeanAbsError /= float64(c.Users)
	res.TierAgreement = float64(agree) / float64(c.Users)
	return res, nil
}
