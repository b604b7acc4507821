package sim

import (
	"math"

	"trustbank/trust/score"
)

// Adversary settings: a turncoat is honest for TurncoatGood transactions
// and then malicious; on-off attackers and slandered users run
// AdversaryTransactions transactions, measured after AdversaryWarmup.
const (
	TurncoatGood          = 20
	TurncoatTransactions  = 50
	AdversaryTransactions = 200
	AdversaryWarmup       = 50
)

var (
	// OnOffK are the on-off attackers' good runs between two attacks.
	OnOffK = []int{2, 4, 9}
	// SlanderFractions are the shares of the 50 services that report 0.
	SlanderFractions = []float64{0, 0.1, 0.2, 0.3, 0.5}
)

// Adversary is the beyond-the-paper experiment: how fast each model
// catches a user who turns malicious, whether the tiers keep an on-off
// attacker out of "perfect", and what slandering services cost an honest
// user.
type Adversary struct {
	Scenario  string        `json:"scenario"`
	Seeds     int           `json:"seeds"`
	Seed      uint64        `json:"seed"`
	Noise     Noise         `json:"noise"`
	Services  int           `json:"services"`
	Detection []Detection   `json:"detection"`
	OnOff     []OnOffResult `json:"onoff"`
	Slander   []SlanderCell `json:"slander"`
	Example   []ModelTraces `json:"example"` // first seed: turncoat, on-off (k=4), slander 20%
}

// Detection: a user honest for 20 transactions turns malicious (true
// trust 0): transactions until the tier is "bad", and the RMS error.
type Detection struct {
	Model  string  `json:"model"`
	ToBad  Stat    `json:"to_bad"`
	Missed float64 `json:"missed"` // share of seeds never "bad" within 30 transactions
	RMS    Stat    `json:"rms"`
}

// OnOffResult: the share of transactions in which a service sees the
// attacker (and an honest user, for comparison) as "perfect", and the
// share of the attacks that are made from tier "perfect".
type OnOffResult struct {
	Model              string `json:"model"`
	K                  int    `json:"k"`
	AttackerPerfect    Stat   `json:"attacker_perfect"`
	AttacksFromPerfect Stat   `json:"attacks_from_perfect"`
	AttackerMeanTrust  Stat   `json:"attacker_mean_trust"`
	DemotedAfterAttack Stat   `json:"demoted_after_attack"` // share of attacks after which the tier is below "good"
	HonestPerfect      Stat   `json:"honest_perfect"`
}

// SlanderCell: an honest user (true trust 1) when a fraction of the
// services always reports 0.
type SlanderCell struct {
	Model     string  `json:"model"`
	Fraction  float64 `json:"fraction"`
	MeanTrust Stat    `json:"mean_trust"`
	Perfect   Stat    `json:"perfect"` // share of transactions seen as "perfect"
	Bad       Stat    `json:"bad"`     // share seen as "bad"
	RMS       Stat    `json:"rms"`
}

// RunAdversary runs the adversary experiments.
func RunAdversary(c Config) (*Adversary, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	res := &Adversary{Scenario: "adversary", Seeds: c.Seeds, Seed: c.Seed, Noise: c.Noise, Services: c.Services}
	res.Example = newExamples(3)
	var err error
	if res.Detection, err = detection(c, res.Example); err != nil {
		return nil, err
	}
	if res.OnOff, err = onOff(c, res.Example); err != nil {
		return nil, err
	}
	if res.Slander, err = slander(c, res.Example); err != nil {
		return nil, err
	}
	return res, nil
}

// perModel collects one number per (model, seed).
type perModel [][]float64

func newPerModel() perModel { return make(perModel, len(ModelNames)) }

func detection(c Config, ex []ModelTraces) ([]Detection, error) {
	real := Turncoat(TurncoatGood, TurncoatTransactions)
	toBad, rms, missed := newPerModel(), newPerModel(), make([]int, len(ModelNames))
	err := overSeeds(c, c.env(), real, streamTurncoat, func(seed, m int, t []float64) {
		if seed == 0 {
			ex[m].Real[0], ex[m].Traces[0] = real, t
		}
		if n := firstTier(t[TurncoatGood:], score.TierBad); n > 0 {
			toBad[m] = append(toBad[m], float64(n))
		} else {
			missed[m]++
		}
		rms[m] = append(rms[m], RMS(t, real))
	})
	if err != nil {
		return nil, err
	}
	var out []Detection
	for m, name := range ModelNames {
		out = append(out, Detection{Model: name, ToBad: statOf(toBad[m]),
			Missed: float64(missed[m]) / float64(c.Seeds), RMS: statOf(rms[m])})
	}
	return out, nil
}

// tierSeen is the tier a service sees at transaction i: the tier after the
// previous transaction (a new user is "mediate").
func tierSeen(t []float64, i int) score.Tier {
	if i == 0 {
		return score.TierMediate
	}
	return score.TierOf(t[i-1])
}

// share is the share of transactions from..len(t)-1 (those with want(i)
// true) that a service sees in a tier with in(tier).
func share(t []float64, from int, in func(score.Tier) bool, want func(i int) bool) float64 {
	var n, hit int
	for i := from; i < len(t); i++ {
		if want(i) {
			n++
			if in(tierSeen(t, i)) {
				hit++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hit) / float64(n)
}

func is(tier score.Tier) func(score.Tier) bool { return func(x score.Tier) bool { return x == tier } }

func below(tier score.Tier) func(score.Tier) bool { return func(x score.Tier) bool { return x < tier } }

func all(int) bool { return true }

func meanFrom(t []float64, from int) float64 {
	var s float64
	for _, v := range t[from:] {
		s += v
	}
	return s / float64(len(t)-from)
}

func onOff(c Config, ex []ModelTraces) ([]OnOffResult, error) {
	honest := newPerModel()
	err := overSeeds(c, c.env(), Constant(1, AdversaryTransactions), streamHonest, func(_, m int, t []float64) {
		honest[m] = append(honest[m], share(t, AdversaryWarmup, is(score.TierPerfect), all))
	})
	if err != nil {
		return nil, err
	}
	var out []OnOffResult
	for _, k := range OnOffK {
		real := OnOff(k, AdversaryTransactions)
		perf, attacks, mean, demoted := newPerModel(), newPerModel(), newPerModel(), newPerModel()
		attack := func(i int) bool { return real[i] == 0 }
		afterAttack := func(i int) bool { return i > 0 && real[i-1] == 0 }
		err := overSeeds(c, c.env(), real, streamOnOff+uint64(k)<<8, func(seed, m int, t []float64) {
			if seed == 0 && k == 4 {
				ex[m].Real[1], ex[m].Traces[1] = real, t
			}
			perf[m] = append(perf[m], share(t, AdversaryWarmup, is(score.TierPerfect), all))
			attacks[m] = append(attacks[m], share(t, AdversaryWarmup, is(score.TierPerfect), attack))
			mean[m] = append(mean[m], meanFrom(t, AdversaryWarmup))
			demoted[m] = append(demoted[m], share(t, AdversaryWarmup, below(score.TierGood), afterAttack))
		})
		if err != nil {
			return nil, err
		}
		for m, name := range ModelNames {
			out = append(out, OnOffResult{Model: name, K: k, AttackerPerfect: statOf(perf[m]),
				AttacksFromPerfect: statOf(attacks[m]), AttackerMeanTrust: statOf(mean[m]), DemotedAfterAttack: statOf(demoted[m]),
				HonestPerfect: statOf(honest[m])})
		}
	}
	return out, nil
}

func slander(c Config, ex []ModelTraces) ([]SlanderCell, error) {
	real := Constant(1, AdversaryTransactions)
	var out []SlanderCell
	for _, f := range SlanderFractions {
		env := c.env()
		env.Slanderers = int(math.Round(f * float64(c.Services)))
		mean, perf, bad, rms := newPerModel(), newPerModel(), newPerModel(), newPerModel()
		err := overSeeds(c, env, real, streamSlander, func(seed, m int, t []float64) {
			if seed == 0 && f == 0.2 {
				ex[m].Real[2], ex[m].Traces[2] = real, t
			}
			mean[m] = append(mean[m], meanFrom(t, AdversaryWarmup))
			perf[m] = append(perf[m], share(t, AdversaryWarmup, is(score.TierPerfect), all))
			bad[m] = append(bad[m], share(t, AdversaryWarmup, is(score.TierBad), all))
			rms[m] = append(rms[m], RMS(t, real))
		})
		if err != nil {
			return nil, err
		}
		for m, name := range ModelNames {
			out = append(out, SlanderCell{Model: name, Fraction: f, MeanTrust: statOf(mean[m]),
				Perfect: statOf(perf[m]), Bad: statOf(bad[m]), RMS: statOf(rms[m])})
		}
	}
	return out, nil
}
