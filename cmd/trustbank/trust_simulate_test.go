package main

import (
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrustSimulateJSON: the same seed prints byte-identical JSON, and the
// plots are real PNG images.
func TestTrustSimulateJSON(t *testing.T) {
	for _, sc := range []string{"1", "2", "adversary"} {
		dir := t.TempDir()
		a, _, err := runCLI(t, "trust", "simulate", "--scenario", sc, "--json", "--seeds", "5", "--out", dir)
		if err != nil {
			t.Fatalf("scenario %s: %v", sc, err)
		}
		b, _, _ := runCLI(t, "trust", "simulate", "--scenario", sc, "--json", "--seeds", "5")
		if a != b {
			t.Errorf("scenario %s: output differs between two runs", sc)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(a), &m); err != nil || m["scenario"] != sc {
			t.Errorf("scenario %s: JSON %v, scenario %v", sc, err, m["scenario"])
		}
		pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		if len(pngs) != 3 {
			t.Errorf("scenario %s: %d plots", sc, len(pngs))
		}
		for _, p := range pngs {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil || img.Bounds().Dx() < 300 {
				t.Errorf("%s: %v", p, err)
			}
		}
	}
}

func TestTrustSimulateText(t *testing.T) {
	out, _, err := runCLI(t, "trust", "simulate", "--scenario", "2", "--seeds", "3")
	if err != nil || !strings.Contains(out, "paper (reported) 8.23") || !strings.Contains(out, "ours") {
		t.Errorf("scenario 2 text: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "trust", "simulate", "--users", "2000", "--transactions", "3", "--json")
	var sc struct {
		Updates      int   `json:"updates"`
		BytesPerUser int   `json:"bytes_per_user"`
		PeakRSS      int64 `json:"peak_rss_bytes"`
	}
	if err != nil || json.Unmarshal([]byte(out), &sc) != nil || sc.Updates != 6000 || sc.BytesPerUser != 56 || sc.PeakRSS <= 0 {
		t.Errorf("population run: %v %+v\n%s", err, sc, out)
	}
}

func TestTrustSimulateErrors(t *testing.T) {
	for _, args := range [][]string{
		{"trust"},
		{"trust", "forecast"},
		{"trust", "simulate", "--scenario", "3"},
		{"trust", "simulate", "--bogus"},
		{"trust", "simulate", "extra"},
	} {
		if _, _, err := runCLI(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{
		{"trust", "simulate", "--seeds", "0"},
		{"trust", "simulate", "--bias", "-1"},
		{"trust", "simulate", "--users", "10", "--services", "0"},
	} {
		if _, _, err := runCLI(t, args...); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a configuration error", args, err)
		}
	}
}
