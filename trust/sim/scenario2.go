package sim

// Scenario2Transactions is the length of each scenario 2 run.
const Scenario2Transactions = 50

// Profiles2 are scenario 2's true-trust profiles, by name: (a) steps,
// (b) rise, (c) fall.
var Profiles2 = []string{"a", "b", "c"}

// PaperRMS are the paper's Table 1 errors for (a), (b), (c).
var PaperRMS = map[string]float64{"a": 0.0823, "b": 0.0305, "c": 0.0308}

func profile2(name string) ([]float64, uint64) {
	switch name {
	case "a":
		return Steps(), streamSteps
	case "b":
		return Rise(Scenario2Transactions), streamRise
	default:
		return Fall(Scenario2Transactions), streamFall
	}
}

// Scenario2 is the paper's second experiment: RMS error of T against the
// true trust over 50 transactions of a changing user, and how it moves
// with the noise model.
type Scenario2 struct {
	Scenario string             `json:"scenario"`
	Seeds    int                `json:"seeds"`
	Seed     uint64             `json:"seed"`
	Noise    Noise              `json:"noise"`
	Services int                `json:"services"`
	PaperRMS map[string]float64 `json:"paper_rms"`
	Models   []S2Model          `json:"models"`
	Sweep    []SweepCell        `json:"sweep"`
	Example  []ModelTraces      `json:"example"` // the first seed's traces (Fig. 7)
}

// S2Model is one model's RMS error per profile, mean ± sd over seeds.
type S2Model struct {
	Model string          `json:"model"`
	RMS   map[string]Stat `json:"rms"`
}

// SweepCell is the mean RMS error of one model under one noise setting.
type SweepCell struct {
	Noise Noise              `json:"noise"`
	Model string             `json:"model"`
	RMS   map[string]float64 `json:"rms"`
}

// SweepBias and SweepSigma are the noise grid of the sensitivity sweep.
var (
	SweepBias  = []float64{0, 0.02, 0.05, 0.1}
	SweepSigma = []float64{0, 0.02, 0.05, 0.1, 0.2}
)

// RunScenario2 runs scenario 2 and the sensitivity sweep.
func RunScenario2(c Config) (*Scenario2, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	res := &Scenario2{Scenario: "2", Seeds: c.Seeds, Seed: c.Seed, Noise: c.Noise, Services: c.Services, PaperRMS: PaperRMS}
	res.Example = newExamples(len(Profiles2))
	rms, err := rmsOf(c, res.Example)
	if err != nil {
		return nil, err
	}
	for m, name := range ModelNames {
		sm := S2Model{Model: name, RMS: map[string]Stat{}}
		for p, prof := range Profiles2 {
			sm.RMS[prof] = statOf(rms[m][p])
		}
		res.Models = append(res.Models, sm)
	}
	for _, b := range SweepBias {
		for _, s := range SweepSigma {
			cc := c
			cc.Noise = Noise{Bias: b, Sigma: s}
			r, err := rmsOf(cc, nil)
			if err != nil {
				return nil, err
			}
			for m, name := range ModelNames {
				cell := SweepCell{Noise: cc.Noise, Model: name, RMS: map[string]float64{}}
				for p, prof := range Profiles2 {
					cell.RMS[prof] = statOf(r[m][p]).Mean
				}
				res.Sweep = append(res.Sweep, cell)
			}
		}
	}
	return res, nil
}

// rmsOf returns the RMS error of each model (first index) on each profile
// (second) for each seed; it fills ex with the first seed's traces.
func rmsOf(c Config, ex []ModelTraces) ([][][]float64, error) {
	out := make([][][]float64, len(ModelNames))
	for m := range out {
		out[m] = make([][]float64, len(Profiles2))
	}
	for p, prof := range Profiles2 {
		real, stream := profile2(prof)
		err := overSeeds(c, c.env(), real, stream, func(seed, m int, t []float64) {
			if seed == 0 && ex != nil {
				ex[m].Real[p], ex[m].Traces[p] = real, t
			}
			out[m][p] = append(out[m][p], RMS(t, real))
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
