package biometric

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the table and plot in docs/einvoice-biometrics.md and docs/einvoice-far-frr.png")

const (
	docPath  = "../../docs/einvoice-biometrics.md"
	plotPath = "../../docs/einvoice-far-frr.png"
	docBegin = "<!-- evaluation: begin (go test ./einvoice/biometric -run TestDocs -update) -->\n"
	docEnd   = "<!-- evaluation: end -->\n"
)

// TestDocs checks that the evaluation in docs/einvoice-biometrics.md is the
// one Evaluate(1, defaults) gives today, and that the plot is a PNG; with
// -update it rewrites both.
func TestDocs(t *testing.T) {
	ev, err := Evaluate(1, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := ev.Table(&table); err != nil {
		t.Fatal(err)
	}
	table.WriteString("Harsher noise, the same seed and parameters (rows at the defaults only):\n\n| live σ | ID σ | Match FAR | Match FRR | extractor FAR | extractor FRR | byte errors genuine max / impostor min |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range [][2]float64{{0.7, 0.9}, {0.8, 1.0}, {0.9, 1.2}} {
		h, err := Evaluate(1, EvalOptions{LiveSigma: s[0], IDSigma: s[1]})
		if err != nil {
			t.Fatal(err)
		}
		m := findRow(t, h.Match, DefaultThreshold)
		f := findRow(t, h.Fuzzy, float64(DefaultParams.Capacity()))
		fmt.Fprintf(&table, "| %g | %g | %d / %d | %d / %d | %d / %d | %d / %d | %d / %d |\n", s[0], s[1],
			m.FalseAccepts, m.Impostor, m.FalseRejects, m.Genuine, f.FalseAccepts, f.Impostor, f.FalseRejects, f.Genuine,
			h.GenuineMaxErrors, h.ImpostorMinErrors)
	}
	table.WriteString("\n")
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), docBegin)
	_, after, ok2 := strings.Cut(rest, docEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s: evaluation markers missing", docPath)
	}
	want := before + docBegin + table.String() + docEnd + after
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := ev.PlotPNG(filepath.Clean(plotPath)); err != nil {
			t.Fatal(err)
		}
	}
	if string(doc) != want && !*update {
		t.Errorf("%s is stale: run go test ./einvoice/biometric -run TestDocs -update", docPath)
	}
	f, err := os.Open(plotPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 600 {
		t.Fatalf("%s: %v", plotPath, err)
	}
}

// TestPlotPNG draws a small evaluation to a temporary file.
func TestPlotPNG(t *testing.T) {
	ev, err := Evaluate(2, EvalOptions{Persons: 10, Captures: 2})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.png")
	if err := ev.PlotPNG(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("not a PNG: %v", err)
	}
	if err := ev.PlotPNG(filepath.Join(path, "p.png")); err == nil {
		t.Error("plot under a regular file succeeded")
	}
}
