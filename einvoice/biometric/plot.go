package biometric

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"trustbank/internal/atomicfile"
)

// plotFloor is where a rate of 0 is drawn on the logarithmic axis.
const plotFloor = 1e-6

// PlotPNG draws FAR and FRR against the threshold, Match on the left and
// the fuzzy extractor on the right, on a logarithmic rate axis (a rate of
// 0 is drawn at 1e-6), and writes the PNG to path atomically.
func (ev *Evaluation) PlotPNG(path string) error {
	left, err := ratePlot("Match (ID photo vs live)", "cosine distance threshold", ev.Match, DefaultThreshold)
	if err != nil {
		return err
	}
	right, err := ratePlot(fmt.Sprintf("Fuzzy extractor, RS(%d, %d−2t) × %d", ev.Options.Params.N, ev.Options.Params.N, ev.Options.Params.Repeat),
		"capacity t (byte errors corrected)", ev.Fuzzy, float64(DefaultParams.Capacity()))
	if err != nil {
		return err
	}
	img := vgimg.NewWith(vgimg.UseWH(vg.Points(900), vg.Points(380)), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadY: vg.Points(10),
		PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{left, right}}, tiles, dc)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes())
}

func ratePlot(title, xlabel string, rows []Row, mark float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "rate (0 drawn at 1e-6)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = decadeTicks{}
	p.Y.Min, p.Y.Max = plotFloor, 30 // a decade and a half above 1 for the legend
	far := make(plotter.XYs, len(rows))
	frr := make(plotter.XYs, len(rows))
	for i, r := range rows {
		far[i] = plotter.XY{X: r.Threshold, Y: max(r.FAR, plotFloor)}
		frr[i] = plotter.XY{X: r.Threshold, Y: max(r.FRR, plotFloor)}
	}
	for _, s := range []struct {
		name string
		xys  plotter.XYs
		c    color.RGBA
	}{{"FAR (impostor accepted)", far, color.RGBA{R: 200, A: 255}}, {"FRR (genuine rejected)", frr, color.RGBA{B: 200, A: 255}}} {
		l, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return nil, err
		}
		l.Color, pts.Color = s.c, s.c
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	m, err := plotter.NewLine(plotter.XYs{{X: mark, Y: plotFloor}, {X: mark, Y: 1}})
	if err != nil {
		return nil, err
	}
	m.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	m.Color = color.Gray{Y: 100}
	p.Add(m, plotter.NewGrid())
	p.Legend.Add("default", m)
	p.Legend.Top = true
	return p, nil
}

// decadeTicks labels the powers of ten 1e-6 … 1.
type decadeTicks struct{}

func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := -6; e <= 0; e++ {
		v := math.Pow10(e)
		if v < lo || v > hi {
			continue
		}
		label := fmt.Sprintf("1e%d", e)
		if e == 0 {
			label = "1"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}
