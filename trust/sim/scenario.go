package sim

import (
	"errors"
	"fmt"
)

// ErrConfig is wrapped by every error about simulator settings.
var ErrConfig = errors.New("sim: invalid configuration")

// Config is what every scenario shares.
type Config struct {
	Seeds    int    // independent runs, seeds Seed, Seed+1, …
	Seed     uint64 // first seed
	Noise    Noise
	Services int
}

// DefaultConfig: 200 seeds from 1, DefaultNoise, 50 services.
var DefaultConfig = Config{Seeds: 200, Seed: 1, Noise: DefaultNoise, Services: DefaultServices}

// Validate checks the settings.
func (c Config) Validate() error {
	if c.Seeds < 1 || c.Seeds > 1_000_000 {
		return fmt.Errorf("%w: seeds %d must be in 1..1000000", ErrConfig, c.Seeds)
	}
	if c.Services < 1 || c.Services > 1_000_000 {
		return fmt.Errorf("%w: services %d must be in 1..1000000", ErrConfig, c.Services)
	}
	return c.Noise.Validate()
}

func (c Config) env() Env { return Env{Noise: c.Noise, Services: c.Services} }

// Streams: one PCG stream per experiment, so that experiments do not share
// random numbers and every model sees the same feedback for a given seed.
const (
	streamScenario1 = 1 + iota
	streamSteps
	streamRise
	streamFall
	streamTurncoat
	streamOnOff
	streamSlander
	streamHonest
	streamScale
)

// traces runs every model over the feedback drawn for real with seed and
// returns each model's trust after every transaction.
func traces(models []Model, env Env, real []float64, seed, stream uint64) ([][]float64, error) {
	tcs := env.feedbacks(rng(seed, stream), real)
	out := make([][]float64, len(models))
	for i, m := range models {
		out[i] = make([]float64, len(real))
		if err := m.Trace(tcs, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// overSeeds runs traces for each seed and hands each model's trace to f.
func overSeeds(c Config, env Env, real []float64, stream uint64, f func(seed int, model int, t []float64)) error {
	models := Models()
	for j := range c.Seeds {
		ts, err := traces(models, env, real, c.Seed+uint64(j), stream)
		if err != nil {
			return err
		}
		for m, t := range ts {
			f(j, m, t)
		}
	}
	return nil
}
