package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"trustbank/internal/bench"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
)

// benchRecords is the --records flag: the size of the synthetic book the
// ledger bench checks; benchBook (--book) is the number of real entries
// to book before checking the real book.
var benchRecords, benchBook int

// ledgerBench is a bank on SQLite (durable: WAL, synchronous=FULL) with a
// SQLite hot backup, payers and payees, and pools of signed submissions.
type ledgerBench struct {
	ctx   context.Context
	dir   string
	dbs   []*sqldb.DB
	bank  *ledger.Bank
	store *ledger.Store
	// dropSchema removes the PostgreSQL schema (with --pg).
	dropSchema func()
	payers     []*ledger.Account
	payees     []*ledger.Account
	keys       *ledger.Keys
	subs       []*ledger.Submission
	next       atomic.Int64
}

// ledgerPayers and ledgerPayees are the bench's accounts; many payers keep
// each payer's money times (one per millisecond at most) near the clock.
const (
	ledgerPayers = 512
	ledgerPayees = 64
	// ledgerSkew is the bench bank's allowed clock skew: short, so that
	// after waiting it out the bank is in its steady state, where money made
	// since its start is checked for replays in memory.
	ledgerSkew = 2 * time.Second
)

// ledgerClients is the number of submissions in flight in "booking".
var ledgerClients = 128

func newLedgerBench(ctx context.Context) (*ledgerBench, error) {
	dir, err := os.MkdirTemp("", "trustbank-bench-ledger-")
	if err != nil {
		return nil, err
	}
	b := &ledgerBench{ctx: ctx, dir: dir}
	open := func(name string) (*sqldb.DB, error) {
		db, err := sqldb.OpenSQLite(filepath.Join(dir, name))
		if err == nil {
			b.dbs = append(b.dbs, db)
		}
		return db, err
	}
	var db *sqldb.DB
	var err2 error
	if benchPG != "" { // the book in PostgreSQL, in a schema of its own; the backup stays SQLite
		schema := "bench_" + randHex(6)
		db, err2 = sqldb.OpenPostgres(ctx, benchPG, schema)
		if err2 == nil {
			b.dbs = append(b.dbs, db)
			b.dropSchema = func() { dropSchema(benchPG, schema) }
		}
	} else {
		db, err2 = open("book.db")
	}
	if err2 != nil {
		b.close()
		return nil, err2
	}
	store, err := ledger.NewStore(ctx, db)
	if err != nil {
		b.close()
		return nil, err
	}
	bdb, err := open("backup.db")
	if err != nil {
		b.close()
		return nil, err
	}
	backup, err := ledger.NewBackup(ctx, bdb)
	if err != nil {
		b.close()
		return nil, err
	}
	keys, err := ledger.GenerateKeys(ledger.SM2)
	if err != nil {
		b.close()
		return nil, err
	}
	b.store = store
	b.keys = keys
	if b.bank, err = ledger.Open(ctx, ledger.Config{Name: "bench-bank", MaxSkew: ledgerSkew}, keys, store, backup); err != nil {
		b.close()
		return nil, err
	}
	for i := range ledgerPayers + ledgerPayees {
		s, err := ledger.GenerateSM2()
		if err != nil {
			b.close()
			return nil, err
		}
		t, err := b.bank.OpenAccount(ctx, fmt.Sprintf("acct-%03d", i), s.PublicKey(), 1<<50)
		if err != nil {
			b.close()
			return nil, err
		}
		a := ledger.NewAccount(t, s)
		if i < ledgerPayers {
			b.payers = append(b.payers, a)
		} else {
			b.payees = append(b.payees, a)
		}
	}
	time.Sleep(ledgerSkew + 100*time.Millisecond) // past the start-up window (see ledgerSkew)
	return b, nil
}

func (b *ledgerBench) close() {
	if b.bank != nil {
		b.bank.Close()
	}
	for _, db := range b.dbs {
		db.Close()
	}
	if b.dropSchema != nil {
		b.dropSchema()
	}
	os.RemoveAll(b.dir)
}

// prepare signs n fresh submissions (untimed), spread over the payers.
func (b *ledgerBench) prepare(n int) error {
	b.subs = b.subs[:0]
	b.next.Store(0)
	for i := range n {
		payer, payee := b.payers[i%len(b.payers)], b.payees[(i/len(b.payers))%len(b.payees)]
		m, err := payer.Money(payee.Name(), uint64(1+i%1000), "bench purchase", time.Now())
		if err != nil {
			return err
		}
		s, err := payee.Submit(m)
		if err != nil {
			return err
		}
		b.subs = append(b.subs, s)
	}
	return nil
}

func (b *ledgerBench) bookOp() error {
	i := b.next.Add(1) - 1
	if int(i) >= len(b.subs) {
		return fmt.Errorf("bench: more bookings than prepared")
	}
	_, err := b.bank.Submit(b.ctx, b.subs[i])
	return err
}

// verifyBound is the bare crypto of one booking: the payee's submission
// signature and the payer's five field signatures, verified (keys parsed
// once, as the bank has them). With bankSigns, also the bank's two
// signatures every entry carries (sign9 on the balances, sign8 on the
// evidence-chain code): all the public-key crypto one booking needs.
func (b *ledgerBench) verifyBound(bankSigns bool) (func() error, error) {
	if err := b.prepare(256); err != nil {
		return nil, err
	}
	subs := slices.Clone(b.subs)
	verifiers := map[string]ledger.Verifier{}
	for _, a := range append(slices.Clone(b.payers), b.payees...) {
		v, err := ledger.AccountVerifier(a.Template, nil)
		if err != nil {
			return nil, err
		}
		verifiers[a.Name()] = v
	}
	var next atomic.Int64
	return func() error {
		s := subs[int(next.Add(1))%len(subs)]
		d := s.Money.Digest()
		if !verifiers[s.Money.Payee].Verify(ledger.SubmitMessage(d), s.Sig) {
			return fmt.Errorf("bench: submission signature")
		}
		if err := ledger.VerifyFieldSignatures(&s.Money, verifiers[s.Money.Payer]); err != nil {
			return err
		}
		if bankSigns {
			for range 2 {
				if _, err := b.keys.Sign.Sign(d[:]); err != nil {
					return err
				}
			}
		}
		return nil
	}, nil
}

// latency books n submissions from c clients, each waiting gap between
// its bookings (a moderate load), and returns the p50 and p99 latency.
func (b *ledgerBench) latency(n, c int, gap time.Duration) (p50, p99 time.Duration, err error) {
	if err := b.prepare(n); err != nil {
		return 0, 0, err
	}
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := range c {
		wg.Go(func() {
			for i := w; i < n; i += c {
				t0 := time.Now()
				if _, err := b.bank.Submit(b.ctx, b.subs[i]); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat[i] = time.Since(t0)
				time.Sleep(gap)
			}
		})
	}
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok {
		return 0, 0, e
	}
	slices.Sort(lat)
	return lat[n/2], lat[n*99/100], nil
}

// syntheticCheck builds a book of n entries with valid chains (random
// lsums and stand-in entry bodies of a real entry's size: the check reads
// only the chain and the entry indexes) and times CheckStore on it.
func syntheticCheck(ctx context.Context, n int) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "trustbank-bench-check-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	db, err := sqldb.OpenSQLite(filepath.Join(dir, "book.db"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	store, err := ledger.NewStore(ctx, db)
	if err != nil {
		return 0, err
	}
	if err := ledger.BuildSyntheticBook(ctx, store, n); err != nil {
		return 0, err
	}
	t0 := time.Now()
	rep, err := ledger.CheckStore(ctx, store)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if !rep.OK() || rep.Size != uint64(n) {
		return 0, fmt.Errorf("bench: synthetic book of %d did not check whole: %s", n, rep)
	}
	return d, nil
}

func ledgerCases(ctx context.Context, d time.Duration, rounds int) ([]bench.Case, func(), error) {
	b, err := newLedgerBench(ctx)
	if err != nil {
		return nil, nil, err
	}
	vb, err := b.verifyBound(false)
	if err != nil {
		b.close()
		return nil, nil, err
	}
	cb, err := b.verifyBound(true)
	if err != nil {
		b.close()
		return nil, nil, err
	}
	deep, err := b.deepCase()
	if err != nil {
		b.close()
		return nil, nil, err
	}
	const bound = "submission SM2 verify + 5 money field SM2 verifies"
	const all = bound + " + the bank's sign9 and sign8 (SM2 signs)"
	per := ledgerClients * parallelBatch
	prepare := func(calls int) error { return b.prepare(calls * per) }
	return []bench.Case{
		deep, // first: the booking cases grow the book it checks
		{Name: "booking", Op: parallel(ledgerClients, b.bookOp), Bound: fmt.Sprintf("%s, %d in parallel", bound, ledgerClients),
			BoundOp: parallel(ledgerClients, vb), PerCall: per, Prepare: prepare},
		{Name: "booking-all-crypto", Op: parallel(ledgerClients, b.bookOp), Bound: fmt.Sprintf("%s, %d in parallel", all, ledgerClients),
			BoundOp: parallel(ledgerClients, cb), PerCall: per, Prepare: prepare},
		{Name: "booking-serial", Op: b.bookOp, Bound: bound, BoundOp: vb, Prepare: b.prepare},
	}, b.close, nil
}

// ledgerNotes measures what is not a throughput: settlement latency at a
// moderate load, the size of money, and the check of a big book.
func ledgerNotes(ctx context.Context) (map[string]string, error) {
	b, err := newLedgerBench(ctx)
	if err != nil {
		return nil, err
	}
	defer b.close()
	notes := map[string]string{"storage": "sqlite (WAL, synchronous=FULL; answered after the book's fsync) + sqlite hot backup written right after each batch"}
	if benchPG != "" {
		notes["storage"] = "postgresql book (answered after its commit) + sqlite hot backup written right after each batch"
	}
	// Settlement latency against load: clients each booking, waiting 10 ms,
	// booking again. "Moderate" is 8 clients (about 500 bookings/s, a seventh
	// of the 2-core capacity); 2 and 4 show the curve below it.
	for _, c := range []int{2, 4, 8} {
		t0 := time.Now()
		p50, p99, err := b.latency(250*c, c, 10*time.Millisecond)
		if err != nil {
			return nil, err
		}
		rate := float64(250*c) / time.Since(t0).Seconds()
		key := fmt.Sprintf("settlement_latency_%d_clients", c)
		if c == 8 {
			key = "settlement_latency_moderate_load"
		}
		notes[key] = fmt.Sprintf("%d clients, 10 ms think time (%.0f bookings/s): p50 %v, p99 %v", c, rate,
			p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
	}
	enc, _ := b.subs[0].Money.MarshalBinary()
	notes["money_bytes"] = fmt.Sprintf("%d (SM2; the paper: about 300 with CPK)", len(enc))
	if benchBook > 0 {
		d, err := b.bookMany(benchBook)
		if err != nil {
			return nil, err
		}
		notes["booked_real_book"] = fmt.Sprintf("%d entries in %v (signing the money included, on the same cores)", benchBook, d.Round(time.Second))
		// Checked twice: right after the bookings (the SQLite checkpointer
		// may still be copying the WAL into the book) and once more.
		var took []string
		var rep *ledger.CheckReport
		for range 2 {
			t0 := time.Now()
			if rep, err = ledger.CheckStore(ctx, b.store); err != nil {
				return nil, err
			}
			took = append(took, time.Since(t0).Round(time.Millisecond).String())
		}
		notes["check_real_book"] = fmt.Sprintf("%s in %s", rep, strings.Join(took, ", then "))
		if notes["check_deep_real_book"], err = b.deepNote(); err != nil {
			return nil, err
		}
	}
	if benchRecords > 0 {
		cd, err := syntheticCheck(ctx, benchRecords)
		if err != nil {
			return nil, err
		}
		notes["check_synthetic_book"] = fmt.Sprintf("%d entries checked in %v", benchRecords, cd.Round(time.Millisecond))
	}
	return notes, nil
}

// bookMany books n real entries, signing the money in chunks on all cores
// and submitting each chunk with 128 in flight.
func (b *ledgerBench) bookMany(n int) (time.Duration, error) {
	t0 := time.Now()
	const chunk = 8192
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done)
		subs := make([]*ledger.Submission, k)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for w := range 2 {
			wg.Go(func() {
				for i := w; i < k; i += 2 {
					// Each worker signs for its own payers (an Account is not shared).
					j := done + i
					payer := b.payers[(j%(len(b.payers)/2))*2+w]
					payee := b.payees[(j/len(b.payers))%len(b.payees)]
					m, err := payer.Money(payee.Name(), 1, "bulk", time.Now())
					if err == nil {
						subs[i], err = payee.Submit(m)
					}
					if err != nil {
						errs[w] = err
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return 0, err
		}
		var next atomic.Int64
		var failed atomic.Value
		for range 128 {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(k); i = next.Add(1) - 1 {
					if _, err := b.bank.Submit(b.ctx, subs[i]); err != nil {
						failed.CompareAndSwap(nil, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err, ok := failed.Load().(error); ok {
			return 0, err
		}
	}
	return time.Since(t0), nil
}
