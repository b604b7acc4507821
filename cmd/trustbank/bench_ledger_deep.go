package main

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"trustbank/internal/bench"
	"trustbank/ledger"
)

// deepBenchEntries is the size of the real book the check-deep case
// checks whole on every call.
const deepBenchEntries = 2048

// deepCheckBound names the bare crypto of a deep check.
const deepCheckBound = "7 SM2 verifies an entry (sign9, sign8, the payer's 5 field signatures) on all cores"

// deepCase books deepBenchEntries real entries (untimed) and measures
// the deep check of that book against the SM2 verifications it does. It
// must run before the booking cases, which grow the book.
func (b *ledgerBench) deepCase() (bench.Case, error) {
	if _, err := b.bookMany(deepBenchEntries); err != nil {
		return bench.Case{}, err
	}
	bound, err := b.deepBound(deepBenchEntries)
	if err != nil {
		return bench.Case{}, err
	}
	return bench.Case{Name: "check-deep", Op: func() error { _, err := b.deepCheck(deepBenchEntries); return err },
		Bound: deepCheckBound, BoundOp: bound, PerCall: deepBenchEntries}, nil
}

// deepCheck deep-checks the bench's book, which must be whole and hold n
// entries (any number, if n is 0).
func (b *ledgerBench) deepCheck(n int) (*ledger.DeepReport, error) {
	rep, err := ledger.CheckStoreDeep(b.ctx, b.store, b.bank.Verifier(), nil, ledger.DeepOptions{})
	if err != nil {
		return nil, err
	}
	if !rep.OK() || (n > 0 && rep.Size != uint64(n)) {
		return nil, fmt.Errorf("bench: deep check of %d entries: %s", n, rep)
	}
	return rep, nil
}

// deepBound reads the first n entries and their money (untimed) and
// returns their bare crypto: every signature the deep check verifies,
// on all cores, with the keys parsed once.
func (b *ledgerBench) deepBound(n int) (func() error, error) {
	verifiers := map[string]ledger.Verifier{}
	for _, a := range append(append([]*ledger.Account{}, b.payers...), b.payees...) {
		v, err := ledger.AccountVerifier(a.Template, nil)
		if err != nil {
			return nil, err
		}
		verifiers[a.Name()] = v
	}
	type pair struct {
		e *ledger.Entry
		m ledger.Money
	}
	pairs := make([]pair, n)
	for i := range pairs {
		e, mb, err := b.store.Entry(b.ctx, uint64(i))
		if err != nil {
			return nil, err
		}
		pairs[i].e = e
		if err := pairs[i].m.UnmarshalBinary(mb); err != nil {
			return nil, err
		}
	}
	bank := b.bank.Verifier()
	return func() error {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make([]error, runtime.GOMAXPROCS(0))
		for w := range errs {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
					p := &pairs[i]
					if err := p.e.VerifySigs(bank); err != nil {
						errs[w] = err
						return
					}
					if err := ledger.VerifyFieldSignatures(&p.m, verifiers[p.m.Payer]); err != nil {
						errs[w] = err
						return
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}, nil
}

// deepNote deep-checks the bench's real book (the --book entries and
// those booked before them) and sets it beside its bare crypto, measured
// on the first 20,000 entries (or all) in the same run.
func (b *ledgerBench) deepNote() (string, error) {
	rep, err := b.deepCheck(0)
	if err != nil {
		return "", err
	}
	n := int(rep.Size)
	k := min(n, 20_000)
	bound, err := b.deepBound(k)
	if err != nil {
		return "", err
	}
	t0 := time.Now()
	if err := bound(); err != nil {
		return "", err
	}
	boundRate := float64(k) / time.Since(t0).Seconds()
	rate := float64(n) / rep.Took.Seconds()
	return fmt.Sprintf("%d entries deep-checked in %v: %.0f entries/s, %.0f µs an entry on %d cores; bound (%s, measured on %d entries): %.0f entries/s, %.0f µs an entry; ratio %.2f",
		n, rep.Took.Round(time.Millisecond), rate, 1e6/rate, runtime.GOMAXPROCS(0), deepCheckBound, k, boundRate, 1e6/boundRate, rate/boundRate), nil
}
