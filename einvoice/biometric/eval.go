package biometric

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// EvalOptions describe a synthetic population and its noise model.
//
// Identities: each person is a direction u drawn uniformly on the unit
// sphere of R^Dim (a normalised standard Gaussian vector). Captures: one
// capture of u is normalise(u + σ·g/√Dim) with g a fresh standard Gaussian
// vector, so the noise has Euclidean norm about σ. The ID-card photo is
// one capture with IDSigma (older, printed, another camera); each live
// capture has LiveSigma.
//
// Trials. Match compares a person's ID photo with each of their live
// captures (genuine) and with every live capture of every other person
// (impostor). The fuzzy extractor enrols on live capture 0 (as the app
// does at registration, after Match accepted it) and reproduces from the
// person's other live captures (genuine) and from every other person's
// live captures (impostor).
type EvalOptions struct {
	Persons    int       // default 150
	Captures   int       // live captures per person, ≥ 2; default 5
	LiveSigma  float64   // default DefaultLiveSigma
	IDSigma    float64   // default DefaultIDSigma
	Thresholds []float64 // Match cosine-distance thresholds; default 0.05, 0.10, …, 1.00
	Params     Params    // fuzzy-extractor code; default DefaultParams (K is swept)
}

// The default noise model (see EvalOptions).
const (
	DefaultLiveSigma = 0.6
	DefaultIDSigma   = 0.8
)

func (o EvalOptions) withDefaults() (EvalOptions, error) {
	if o.Persons == 0 {
		o.Persons = 150
	}
	if o.Captures == 0 {
		o.Captures = 5
	}
	if o.LiveSigma == 0 {
		o.LiveSigma = DefaultLiveSigma
	}
	if o.IDSigma == 0 {
		o.IDSigma = DefaultIDSigma
	}
	if o.Thresholds == nil {
		for i := 1; i <= 20; i++ {
			o.Thresholds = append(o.Thresholds, float64(i)/20)
		}
	}
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	switch {
	case o.Persons < 2 || o.Persons > 2000:
		return o, errors.New("biometric: evaluation needs 2 to 2000 persons")
	case o.Captures < 2 || o.Captures > 20:
		return o, errors.New("biometric: evaluation needs 2 to 20 live captures per person")
	case o.LiveSigma < 0 || o.IDSigma < 0 || math.IsNaN(o.LiveSigma+o.IDSigma) || math.IsInf(o.LiveSigma+o.IDSigma, 0):
		return o, errors.New("biometric: noise sigmas must be finite and ≥ 0")
	}
	return o, o.Params.Validate()
}

// Row is one threshold of a sweep.
type Row struct {
	Method       string  // "match" (cosine distance) or "fuzzy" (code capacity)
	Threshold    float64 // Match: the distance threshold; fuzzy: the capacity t in bytes
	FAR, FRR     float64
	FalseAccepts int // impostor trials accepted
	Impostor     int // impostor trials
	FalseRejects int // genuine trials rejected
	Genuine      int // genuine trials
}

// Evaluation is the result of Evaluate.
type Evaluation struct {
	Options EvalOptions
	Seed    int64
	Match   []Row // one per threshold, increasing (looser)
	Fuzzy   []Row // one per capacity t = 0 … (N−16)/2, increasing (looser)
	// The extractor's margins: the most byte errors a genuine probe had
	// and the fewest an impostor had (out of N).
	GenuineMaxErrors, ImpostorMinErrors int
}

// person is one synthetic identity's captures.
type person struct {
	id   Template
	live []Template
}

// Population draws the synthetic identities of o (defaults filled in)
// from seed; the same seed gives the same population.
func population(seed int64, o EvalOptions) []person {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x62696f6d65747269)) // "biometri"
	people := make([]person, o.Persons)
	for i := range people {
		u := gaussian(rng, 1)
		people[i].id = capture(rng, u, o.IDSigma)
		for range o.Captures {
			people[i].live = append(people[i].live, capture(rng, u, o.LiveSigma))
		}
	}
	return people
}

// gaussian returns a normalised standard Gaussian vector scaled by s.
func gaussian(rng *rand.Rand, s float64) []float64 {
	v := make([]float64, Dim)
	var n float64
	for i := range v {
		v[i] = rng.NormFloat64()
		n += v[i] * v[i]
	}
	for i := range v {
		v[i] *= s / math.Sqrt(n)
	}
	return v
}

// capture is normalise(u + σ·g/√Dim).
func capture(rng *rand.Rand, u []float64, sigma float64) Template {
	t := make(Template, Dim)
	for i := range t {
		t[i] = float32(u[i] + sigma*rng.NormFloat64()/math.Sqrt(Dim))
	}
	return t.Normalized()
}

// Evaluate measures FAR and FRR of Match and of the fuzzy extractor on a
// synthetic population drawn from seed. The result depends only on seed
// and opts.
func Evaluate(seed int64, opts EvalOptions) (*Evaluation, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	people := population(seed, o)
	ev := &Evaluation{Options: o, Seed: seed}
	ev.Match = evalMatch(people, o.Thresholds)
	ev.Fuzzy, ev.GenuineMaxErrors, ev.ImpostorMinErrors = evalFuzzy(people, o.Params)
	return ev, nil
}

func evalMatch(people []person, thresholds []float64) []Row {
	var genuine, impostor []float64
	for a, pa := range people {
		for b, pb := range people {
			for _, l := range pb.live {
				d := cosineDistance(pa.id, l)
				if a == b {
					genuine = append(genuine, d)
				} else {
					impostor = append(impostor, d)
				}
			}
		}
	}
	rows := make([]Row, len(thresholds))
	for i, th := range thresholds {
		r := Row{Method: "match", Threshold: th, Genuine: len(genuine), Impostor: len(impostor)}
		for _, d := range genuine {
			if d > th {
				r.FalseRejects++
			}
		}
		for _, d := range impostor {
			if d <= th {
				r.FalseAccepts++
			}
		}
		rows[i] = r.rates()
	}
	return rows
}

// evalFuzzy counts, for every enrolment/probe pair, the byte errors the
// RS decoder faces after the majority vote. With the code-offset sketch
// this number depends only on w ⊕ w′ (not on the random codeword), and
// Rep succeeds exactly when it is at most the capacity t, so one count per
// pair gives the whole sweep over t (TestEvaluationAgreesWithRep checks
// this against real Gen/Rep).
func evalFuzzy(people []person, p Params) (rows []Row, genuineMax, impostorMin int) {
	enrol := make([][]byte, len(people))
	probes := make([][][]byte, len(people))
	for i, pe := range people {
		enrol[i] = binarize(pe.live[0], p.Bits())
		for _, l := range pe.live[1:] {
			probes[i] = append(probes[i], binarize(l, p.Bits()))
		}
	}
	maxT := (p.N - 16) / 2
	genuine := make([]int, maxT+2) // histogram of error counts, capped at maxT+1
	impostor := make([]int, maxT+2)
	impostorMin = p.N
	for a := range people {
		for b := range people {
			for _, w := range probes[b] {
				n := byteErrors(p, enrol[a], w)
				e := min(n, maxT+1)
				if a == b {
					genuine[e]++
					genuineMax = max(genuineMax, n)
				} else {
					impostor[e]++
					impostorMin = min(impostorMin, n)
				}
			}
		}
	}
	rows = make([]Row, maxT+1)
	for t := range rows {
		r := Row{Method: "fuzzy", Threshold: float64(t)}
		for e := range genuine {
			r.Genuine += genuine[e]
			r.Impostor += impostor[e]
			if e > t {
				r.FalseRejects += genuine[e]
			} else {
				r.FalseAccepts += impostor[e]
			}
		}
		rows[t] = r.rates()
	}
	return rows, genuineMax, impostorMin
}

// byteErrors is the number of RS symbols the majority vote gets wrong
// when enrolment bits w and probe bits w2 differ by w ⊕ w2.
func byteErrors(p Params, w, w2 []byte) int {
	bad := majority(p, xorBytes(w, w2))
	n := 0
	for _, b := range bad {
		if b != 0 {
			n++
		}
	}
	return n
}

func (r Row) rates() Row {
	if r.Impostor > 0 {
		r.FAR = float64(r.FalseAccepts) / float64(r.Impostor)
	}
	if r.Genuine > 0 {
		r.FRR = float64(r.FalseRejects) / float64(r.Genuine)
	}
	return r
}

// Table writes both sweeps as markdown tables.
func (ev *Evaluation) Table(w io.Writer) error {
	o := ev.Options
	_, err := fmt.Fprintf(w, "Seed %d, %d persons, %d live captures each, live σ = %g, ID-photo σ = %g, code RS(%d, K) × repetition %d.\n\n",
		ev.Seed, o.Persons, o.Captures, o.LiveSigma, o.IDSigma, o.Params.N, o.Params.Repeat)
	if err != nil {
		return err
	}
	if err := writeRows(w, "Match: cosine distance ≤ threshold", "threshold", ev.Match, "%.2f"); err != nil {
		return err
	}
	if err := writeRows(w, fmt.Sprintf("Fuzzy extractor: byte errors ≤ capacity t (K = %d − 2t)", o.Params.N), "t", ev.Fuzzy, "%.0f"); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "Byte errors after the majority vote (of %d): genuine at most %d, impostor at least %d.\n\n",
		o.Params.N, ev.GenuineMaxErrors, ev.ImpostorMinErrors)
	return err
}

func writeRows(w io.Writer, title, col string, rows []Row, fmtTh string) error {
	if _, err := fmt.Fprintf(w, "%s\n\n| %s | FAR | false accepts / impostor | FRR | false rejects / genuine |\n|---:|---:|---:|---:|---:|\n", title, col); err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "| "+fmtTh+" | %.2e | %d / %d | %.2e | %d / %d |\n",
			r.Threshold, r.FAR, r.FalseAccepts, r.Impostor, r.FRR, r.FalseRejects, r.Genuine); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}
