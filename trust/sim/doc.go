// Package sim reproduces the experiments of seed 004 (LI Bing-xu et al.,
// Computer Science 2014, §4) for the trust models of package trust/score,
// and adds experiments the paper does not run. `trustbank trust simulate`
// is its command line; docs/trust.md has the results.
//
// # Setting
//
// One identity provider, Services (50) simulated cloud services, users with
// a true trust T_real that drives their behaviour. In each transaction the
// user picks a service uniformly at random; the service reports
//
//	T_c = clamp(T_real − Bias + N(0, Sigma²), 0, 1)
//
// (Noise; default Bias 0.02, Sigma 0.05), or 0 if the service is one of
// the Slanderers. The paper ran CloudSim and does not state its feedback
// model; it only observes that a service's feedback "is generally below the
// true value", which Bias models. The feedback never depends on the
// computed trust, so each seed's feedback sequence is drawn once and every
// model is scored on the same sequence (a paired comparison).
//
// # Experiments
//
//   - Scenario 1 (RunScenario1): users of true trust 1, 0.5, 0 start at 0.5;
//     transactions until convergence, defined as |T − T_real| < Epsilon (0.1)
//     for K (3) transactions in a row within Horizon (30), and for the
//     malicious user the transactions until tier "bad". Paper: "about 6".
//   - Scenario 2 (RunScenario2): 50 transactions with (a) steps 1, 0, 0.5,
//     0.8, 0.2 every 10, (b) a smooth rise 0→1, (c) a smooth fall 1→0; RMS
//     error E = sqrt(Σ(T_i − T_i^real)²/n), T_i the trust after transaction
//     i. Paper: 8.23 %, 3.05 %, 3.08 %. Plus a sweep over the noise grid
//     SweepBias × SweepSigma.
//   - Adversary (RunAdversary), beyond the paper: a turncoat (honest for 20
//     transactions, then malicious): transactions until "bad"; an on-off
//     attacker (good for k, bad for 1, repeated): how often a service sees
//     him as "perfect", compared with an honest user; an honest user when a
//     fraction of the services slanders (always reports 0).
//   - Population (RunScale): many users in two flat slices, for time and
//     memory at scale.
//
// # Determinism
//
// Every (experiment, seed) pair has its own PCG generator (math/rand/v2),
// seeded with the seed and a fixed stream number; seeds run in order on one
// goroutine, so a seed gives byte-identical JSON (TestDeterminism).
package sim
