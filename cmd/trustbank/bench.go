package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"

	"trustbank/groupsig"
	"trustbank/internal/bench"
)

// benchAreas is the static list of areas `trustbank bench` knows. An area
// returns its cases and a cleanup.
var benchAreas = map[string]func(ctx context.Context, d time.Duration, rounds int) ([]bench.Case, func(), error){
	"groupsig": func(context.Context, time.Duration, int) ([]bench.Case, func(), error) {
		cases, err := groupsigCases()
		return cases, func() {}, err
	},
	"ecash":    ecashCases,
	"ledger":   ledgerCases,
	"shield":   shieldCases,
	"einvoice": einvoiceCases,
	"trust":    trustCases,
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	d := fs.Duration("time", time.Second, "minimum time per measurement round")
	rounds := fs.Int("rounds", 3, "rounds per path (the fastest counts)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	fs.IntVar(&benchSpent, "spent", 0, "ecash: preload the spent-coin registry with this many coins first")
	fs.IntVar(&benchBook, "book", 0, "ledger: also book this many real entries, then check that book (RSS is reported for the whole run)")
	fs.IntVar(&benchRecords, "records", 0, "ledger: also time the check of a synthetic book of this many entries (e.g. 1000000)")
	fs.StringVar(&benchPG, "pg", "", "ecash, ledger, trust: run on PostgreSQL at this DSN (in a schema of its own, dropped afterwards) instead of SQLite")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: trustbank bench <area> [--json] [--time 1s] [--rounds 3]\nareas: groupsig, ecash, ledger, shield, einvoice, trust")
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: bench needs an area", errUsage)
	}
	area, args := args[0], args[1:]
	if err := parse(fs, args); err != nil {
		return err
	}
	mk, ok := benchAreas[area]
	if !ok {
		return fmt.Errorf("%w: unknown bench area %q (known: groupsig, ecash, ledger, shield, einvoice, trust)", errUsage, area)
	}
	cases, cleanup, err := mk(ctx, *d, *rounds)
	if err != nil {
		return err
	}
	defer cleanup()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(area, cases, *d, *rounds)
	if err != nil {
		return err
	}
	if area == "ledger" {
		if rep.Notes, err = ledgerNotes(ctx); err != nil {
			return err
		}
		rep.PeakRSS = bench.PeakRSS()
	}
	if area == "shield" {
		rep.Notes = shieldNotes()
	}
	if area == "einvoice" {
		rep.Notes = einvoiceNotes()
	}
	if area == "trust" {
		rep.Notes = trustNotes(ctx)
	}
	if area == "ecash" {
		rep.Notes = map[string]string{"spent_registry_preloaded": fmt.Sprint(benchSpent), "storage": "sqlite (WAL, synchronous=FULL)"}
		if benchPG != "" {
			rep.Notes["storage"] = "postgresql"
		}
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}

const pairingBound = "one BLS12-381 pairing"

func groupsigCases() ([]bench.Case, error) {
	pk, ik, ok, err := groupsig.Setup(rand.Reader)
	if err != nil {
		return nil, err
	}
	mk, err := ik.Issue(rand.Reader)
	if err != nil {
		return nil, err
	}
	msg := []byte("trustbank bench groupsig")
	sig, err := mk.Sign(rand.Reader, pk, msg)
	if err != nil {
		return nil, err
	}
	enc, _ := sig.MarshalBinary()
	_, _, g1, g2 := bls.Generators()
	pairing := func() error {
		_, err := bls.Pair([]bls.G1Affine{g1}, []bls.G2Affine{g2})
		return err
	}
	workers := runtime.GOMAXPROCS(0)
	return []bench.Case{
		{Name: "sign", Bound: pairingBound, BoundOp: pairing, Op: func() error {
			_, err := mk.Sign(rand.Reader, pk, msg)
			return err
		}},
		{Name: "verify", Bound: pairingBound, BoundOp: pairing, Op: func() error {
			return pk.Verify(msg, sig)
		}},
		{Name: "decode+verify", Bound: pairingBound, BoundOp: pairing, Op: func() error {
			var s groupsig.Signature
			if err := s.UnmarshalBinary(enc); err != nil {
				return err
			}
			return pk.Verify(msg, &s)
		}},
		{Name: "open", Bound: pairingBound, BoundOp: pairing, Op: func() error {
			_, err := ok.Open(pk, msg, sig)
			return err
		}},
		{Name: "join", Bound: pairingBound, BoundOp: pairing, Op: func() error {
			_, err := ik.Issue(rand.Reader)
			return err
		}},
		{
			// Throughput with every core verifying: ns per signature.
			Name:    fmt.Sprintf("verify-x%d", workers),
			Bound:   fmt.Sprintf("%s, %d goroutines", pairingBound, workers),
			Op:      parallel(workers, func() error { return pk.Verify(msg, sig) }),
			BoundOp: parallel(workers, pairing),
			PerCall: workers * parallelBatch,
		},
	}, nil
}

// parallelBatch is how many operations per goroutine one call of parallel runs.
const parallelBatch = 8

// parallel returns an op that runs n·parallelBatch operations on n
// goroutines that take work from a shared counter, so that no goroutine
// idles while another still has a queue (only the last few operations of
// a call run with fewer than n in flight).
func parallel(n int, op func() error) func() error {
	return func() error {
		var left atomic.Int64
		left.Store(int64(n * parallelBatch))
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				for left.Add(-1) >= 0 {
					if err := op(); err != nil {
						errs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
}
