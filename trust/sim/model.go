package sim

import (
	"fmt"

	"trustbank/trust/score"
)

// Model is a trust model the simulator can run: its name and a function
// that folds a sequence of feedbacks into the trust after each one.
type Model struct {
	Name  string
	Trace func(tcs, out []float64) error // out[i] = trust after tcs[0..i]
}

// Models is the static list of models compared: the paper's, Beta
// reputation, ours (package score documents each).
func Models() []Model {
	return []Model{modelOf(score.DefaultParams), modelOf(score.DefaultBeta), modelOf(score.DefaultOurs)}
}

// ModelNames are the names of Models(), in order.
var ModelNames = []string{"paper", "beta", "ours"}

func modelOf[S any](m score.Model[S]) Model {
	return Model{Name: m.Name(), Trace: func(tcs, out []float64) error {
		s := m.New()
		for i, tc := range tcs {
			var err error
			if s, err = m.Update(s, tc); err != nil {
				return fmt.Errorf("sim: %s, transaction %d: %w", m.Name(), i+1, err)
			}
			out[i] = m.Trust(s)
		}
		return nil
	}}
}
