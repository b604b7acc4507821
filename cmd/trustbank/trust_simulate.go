package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"trustbank/internal/bench"
	"trustbank/trust/sim"
)

// runTrustSimulate is `trustbank trust simulate`: the paper's experiments
// (scenario 1, 2), ours (adversary), or a population run (--users N).
func runTrustSimulate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trust simulate", stderr)
	scenario := fs.String("scenario", "1", "experiment: 1 (convergence), 2 (RMS error and noise sweep) or adversary")
	asJSON := fs.Bool("json", false, "print the numbers as JSON")
	seeds := fs.Int("seeds", sim.DefaultConfig.Seeds, "independent runs (seeds --seed, --seed+1, …)")
	seed := fs.Uint64("seed", sim.DefaultConfig.Seed, "first seed")
	out := fs.String("out", "", "directory to write the PNG plots to (none if empty)")
	bias := fs.Float64("bias", sim.DefaultNoise.Bias, "noise: how far below the true trust feedback lies on average")
	sigma := fs.Float64("sigma", sim.DefaultNoise.Sigma, "noise: standard deviation of the feedback")
	services := fs.Int("services", sim.DefaultServices, "simulated cloud services")
	users := fs.Int("users", 0, "population run: this many users (instead of a scenario)")
	txs := fs.Int("transactions", 20, "population run: transactions per user")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	noise := sim.Noise{Bias: *bias, Sigma: *sigma}
	if *users > 0 {
		return simulateScale(sim.ScaleConfig{Users: *users, Services: *services, Transactions: *txs, Seed: *seed, Noise: noise}, *asJSON, stdout)
	}
	c := sim.Config{Seeds: *seeds, Seed: *seed, Noise: noise, Services: *services}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
	}
	switch *scenario {
	case "1":
		return simulate(c, sim.RunScenario1, sim.PlotScenario1, writeScenario1, *asJSON, *out, stdout)
	case "2":
		return simulate(c, sim.RunScenario2, sim.PlotScenario2, writeScenario2, *asJSON, *out, stdout)
	case "adversary":
		return simulate(c, sim.RunAdversary, sim.PlotAdversary, writeAdversary, *asJSON, *out, stdout)
	default:
		return fmt.Errorf("%w: --scenario must be 1, 2 or adversary, not %q", errUsage, *scenario)
	}
}

// simulate runs one scenario, writes its plots to dir (if set) and prints
// its result as JSON or as text.
func simulate[R any](c sim.Config, run func(sim.Config) (*R, error), plot func(*R, string) ([]string, error),
	text func(io.Writer, *R), asJSON bool, dir string, stdout io.Writer) error {
	res, err := run(c)
	if err != nil {
		return err
	}
	if dir != "" {
		if _, err := plot(res, dir); err != nil {
			return fmt.Errorf("plots: %w", err)
		}
	}
	if asJSON {
		return writeIndented(stdout, res)
	}
	text(stdout, res)
	return nil
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func simulateScale(c sim.ScaleConfig, asJSON bool, stdout io.Writer) error {
	res, err := sim.RunScale(c)
	if err != nil {
		return err
	}
	res.PeakRSSBytes = bench.PeakRSS()
	if asJSON {
		return writeIndented(stdout, res)
	}
	fmt.Fprintf(stdout, "%d users × %d transactions (%d services, model %s): %d updates in %.2f s, %.0f updates/s\n",
		res.Users, res.Transactions, res.Services, res.Model, res.Updates, res.Seconds, res.UpdatesPerSec)
	fmt.Fprintf(stdout, "%d bytes per user, peak RSS %d MiB; mean |T − T_real| %.3f, tier agreement %.1f%%\n",
		res.BytesPerUser, res.PeakRSSBytes>>20, res.MeanAbsError, 100*res.TierAgreement)
	return nil
}

func pm(s sim.Stat, scale float64) string {
	return fmt.Sprintf("%.2f ± %.2f", s.Mean*scale, s.SD*scale)
}

func writeScenario1(w io.Writer, r *sim.Scenario1) {
	fmt.Fprintf(w, "scenario 1: transactions until |T − T_real| < %g for %d in a row (%d seeds, bias %g, σ %g; paper ≈ %g)\n",
		r.Epsilon, r.K, r.Seeds, r.Noise.Bias, r.Noise.Sigma, r.PaperTransactions)
	fmt.Fprintf(w, "%-6s %-20s %-20s %-20s %s\n", "model", "true 1", "true 0.5", "true 0", "to tier bad")
	for _, m := range r.Models {
		fmt.Fprintf(w, "%-6s", m.Model)
		for _, u := range m.Users {
			conv := "never"
			if u.Transactions.N > 0 {
				conv = fmt.Sprintf("%s (%.0f%%)", pm(u.Transactions, 1), 100*u.Converged)
			}
			fmt.Fprintf(w, " %-20s", conv)
		}
		fmt.Fprintf(w, " %s\n", pm(*m.Users[2].ToBad, 1))
	}
}

func writeScenario2(w io.Writer, r *sim.Scenario2) {
	fmt.Fprintf(w, "scenario 2: RMS error %% over 50 transactions (%d seeds, bias %g, σ %g)\n", r.Seeds, r.Noise.Bias, r.Noise.Sigma)
	fmt.Fprintf(w, "%-16s %-16s %-16s %-16s\n", "model", "(a) steps", "(b) rise", "(c) fall")
	fmt.Fprintf(w, "%-16s %-16.2f %-16.2f %-16.2f\n", "paper (reported)", 100*r.PaperRMS["a"], 100*r.PaperRMS["b"], 100*r.PaperRMS["c"])
	for _, m := range r.Models {
		fmt.Fprintf(w, "%-16s %-16s %-16s %-16s\n", m.Model, pm(m.RMS["a"], 100), pm(m.RMS["b"], 100), pm(m.RMS["c"], 100))
	}
	fmt.Fprintf(w, "sweep (mean RMS %% a/b/c):\n")
	for _, c := range r.Sweep {
		fmt.Fprintf(w, "  bias %-5g σ %-5g %-6s %6.2f %6.2f %6.2f\n", c.Noise.Bias, c.Noise.Sigma, c.Model,
			100*c.RMS["a"], 100*c.RMS["b"], 100*c.RMS["c"])
	}
}

func writeAdversary(w io.Writer, r *sim.Adversary) {
	fmt.Fprintf(w, "turncoat (honest %d, then malicious): transactions to tier bad, RMS %%\n", sim.TurncoatGood)
	for _, d := range r.Detection {
		fmt.Fprintf(w, "  %-6s %-14s missed %.0f%%  RMS %s\n", d.Model, pm(d.ToBad, 1), 100*d.Missed, pm(d.RMS, 100))
	}
	fmt.Fprintf(w, "on-off attacker: %% of transactions seen as perfect (attacker / honest), %% of attacks made from perfect, %% demoted below good by an attack\n")
	for _, o := range r.OnOff {
		fmt.Fprintf(w, "  k=%-2d %-6s %-14s / %-14s from perfect %-14s demoted %s\n", o.K, o.Model, pm(o.AttackerPerfect, 100),
			pm(o.HonestPerfect, 100), pm(o.AttacksFromPerfect, 100), pm(o.DemotedAfterAttack, 100))
	}
	fmt.Fprintf(w, "slander: honest user, share of services reporting 0: mean T, %% seen perfect, %% seen bad\n")
	for _, s := range r.Slander {
		fmt.Fprintf(w, "  %3.0f%% %-6s %-12s %-14s %s\n", 100*s.Fraction, s.Model, pm(s.MeanTrust, 1), pm(s.Perfect, 100), pm(s.Bad, 100))
	}
}
