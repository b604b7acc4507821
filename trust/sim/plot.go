package sim

import (
	"bytes"
	"fmt"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"trustbank/internal/atomicfile"
)

// series is one line of a plot: y against transactions 1, 2, …
type series struct {
	name   string
	y      []float64
	dashed bool
}

// savePlot draws the series as a 16 × 10 cm PNG at path.
func savePlot(path, title string, ss []series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "transactions"
	p.Y.Label.Text = "trust"
	p.Y.Min, p.Y.Max = -0.02, 1.4 // the legend sits above 1
	p.Legend.Top = true
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"},
		{Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}})
	p.Add(plotter.NewGrid())
	for i, s := range ss {
		xys := make(plotter.XYs, len(s.y)+1)
		xys[0].Y = 0.5 // every model starts a new user at 0.5
		if s.dashed {
			xys[0].Y = s.y[0]
		}
		for j, v := range s.y {
			xys[j+1].X, xys[j+1].Y = float64(j+1), v
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("sim: plot %s: %w", s.name, err)
		}
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Color = plotutil.Color(i)
		if s.dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	w, err := p.WriterTo(16*vg.Centimeter, 10*vg.Centimeter, "png")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes())
}

// PlotScenario1 writes fig6-<model>.png: like the paper's Fig. 6, each
// model's trust against transactions for users of true trust 1, 0.5, 0.
func PlotScenario1(r *Scenario1, dir string) ([]string, error) {
	var files []string
	for _, ex := range r.Example {
		var ss []series
		for i, target := range Scenario1Targets {
			ss = append(ss, series{name: fmt.Sprintf("true trust %g", target), y: ex.Traces[i]})
		}
		f := filepath.Join(dir, "fig6-"+ex.Model+".png")
		if err := savePlot(f, "Scenario 1 ("+ex.Model+"): from 0.5 to the true trust", ss); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// PlotScenario2 writes fig7-<a|b|c>.png: like the paper's Fig. 7, the true
// trust (dashed) and every model's trust for one profile.
func PlotScenario2(r *Scenario2, dir string) ([]string, error) {
	titles := map[string]string{"a": "(a) steps 1, 0, 0.5, 0.8, 0.2", "b": "(b) smooth rise", "c": "(c) smooth fall"}
	var files []string
	for p, prof := range Profiles2 {
		f := filepath.Join(dir, "fig7-"+prof+".png")
		if err := savePlot(f, "Scenario 2 "+titles[prof], compare(r.Example, p)); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// PlotAdversary writes adversary-<turncoat|onoff|slander>.png.
func PlotAdversary(r *Adversary, dir string) ([]string, error) {
	names := []string{"turncoat", "onoff", "slander"}
	titles := []string{"honest for 20, then malicious", "on-off attacker (k = 4)", "honest user, 20% of services slander"}
	var files []string
	for p, name := range names {
		f := filepath.Join(dir, "adversary-"+name+".png")
		if err := savePlot(f, titles[p], compare(r.Example, p)); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// compare is the true trust of profile p (dashed) and each model's trace.
func compare(ex []ModelTraces, p int) []series {
	ss := []series{{name: "true trust", y: ex[0].Real[p], dashed: true}}
	for _, m := range ex {
		ss = append(ss, series{name: m.Model, y: m.Traces[p]})
	}
	return ss
}
