package sim

import "trustbank/trust/score"

// Convergence: |T − T_real| < Epsilon for K transactions in a row, within
// Horizon transactions.
const (
	Epsilon = 0.1
	K       = 3
	Horizon = 30
)

// Scenario1Targets are the true trusts of scenario 1.
var Scenario1Targets = []float64{1, 0.5, 0}

// Scenario1 is the paper's first experiment: users of true trust 1, 0.5
// and 0 start at 0.5; how many transactions until T converges.
type Scenario1 struct {
	Scenario string  `json:"scenario"`
	Seeds    int     `json:"seeds"`
	Seed     uint64  `json:"seed"`
	Noise    Noise   `json:"noise"`
	Services int     `json:"services"`
	Epsilon  float64 `json:"epsilon"`
	K        int     `json:"k"`
	Horizon  int     `json:"horizon"`
	// PaperTransactions is what the paper reports (Fig. 6: "about 6").
	PaperTransactions float64       `json:"paper_transactions"`
	Models            []S1Model     `json:"models"`
	Example           []ModelTraces `json:"example"` // the first seed's traces (Fig. 6)
}

// S1Model is one model's convergence for each target.
type S1Model struct {
	Model string   `json:"model"`
	Users []S1User `json:"users"`
}

// S1User is one target's result over the seeds that converged.
type S1User struct {
	Real float64 `json:"real"`
	// Transactions until convergence, over the seeds that converged.
	Transactions Stat `json:"transactions"`
	// Converged is the share of seeds that converged within Horizon.
	Converged float64 `json:"converged"`
	// ToBad is how many transactions until the tier is "bad" (target 0 only).
	ToBad *Stat `json:"to_bad,omitempty"`
}

// ModelTraces is one model's trust after each transaction, one trace per
// profile, with the true trust alongside.
type ModelTraces struct {
	Model  string      `json:"model"`
	Real   [][]float64 `json:"real"`
	Traces [][]float64 `json:"traces"`
}

// RunScenario1 runs scenario 1 over c.Seeds seeds.
func RunScenario1(c Config) (*Scenario1, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	res := &Scenario1{Scenario: "1", Seeds: c.Seeds, Seed: c.Seed, Noise: c.Noise, Services: c.Services,
		Epsilon: Epsilon, K: K, Horizon: Horizon, PaperTransactions: 6}
	res.Example = newExamples(len(Scenario1Targets))
	conv := make([][][]float64, len(ModelNames)) // model, target → transactions
	bad := make([][]float64, len(ModelNames))
	for m := range conv {
		conv[m] = make([][]float64, len(Scenario1Targets))
	}
	for ti, target := range Scenario1Targets {
		real := Constant(target, Horizon)
		err := overSeeds(c, c.env(), real, streamScenario1+uint64(ti)<<8, func(seed, m int, t []float64) {
			if seed == 0 {
				res.Example[m].Real[ti], res.Example[m].Traces[ti] = real, t
			}
			if n := Converged(t, target, Epsilon, K); n > 0 {
				conv[m][ti] = append(conv[m][ti], float64(n))
			}
			if target == 0 {
				if n := firstTier(t, score.TierBad); n > 0 {
					bad[m] = append(bad[m], float64(n))
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for m, name := range ModelNames {
		sm := S1Model{Model: name}
		for ti, target := range Scenario1Targets {
			u := S1User{Real: target, Transactions: statOf(conv[m][ti]),
				Converged: float64(len(conv[m][ti])) / float64(c.Seeds)}
			if target == 0 {
				st := statOf(bad[m])
				u.ToBad = &st
			}
			sm.Users = append(sm.Users, u)
		}
		res.Models = append(res.Models, sm)
	}
	return res, nil
}

func newExamples(profiles int) []ModelTraces {
	out := make([]ModelTraces, len(ModelNames))
	for m, name := range ModelNames {
		out[m] = ModelTraces{Model: name, Real: make([][]float64, profiles), Traces: make([][]float64, profiles)}
	}
	return out
}

// firstTier returns the first transaction (1-based) after which the trust
// is in tier, or 0 if it never is.
func firstTier(t []float64, tier score.Tier) int {
	for i, v := range t {
		if score.TierOf(v) == tier {
			return i + 1
		}
	}
	return 0
}
