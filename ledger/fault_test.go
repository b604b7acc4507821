package ledger

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

var faultRuns = flag.Int("faultruns", 8, "runs of TestFaultInjection per backend (more for a longer soak)")

// faultPlan fails chosen operations of a run: the n-th time a step of a
// stage (the text before the dot: sequence, book, backup, recover, state)
// is reached, for each n drawn for that stage. The steps run on the real
// database (Store.fault, Backup.fault) or the bank's real signer.
type faultPlan struct {
	mu     sync.Mutex
	off    bool
	seen   map[string]int          // operations per stage so far
	failAt map[string]map[int]bool // stage → operations to fail
	hits   map[string]int          // faults injected, per step
}

// stageOps bounds where a run's faults fall, per stage (a run of 30
// payments reaches about these many operations of each).
var stageOps = map[string]int{"sequence": 70, "book": 60, "backup": 10, "recover": 3, "state": 5}

func newFaultPlan(r *mrand.Rand) *faultPlan {
	p := &faultPlan{seen: map[string]int{}, failAt: map[string]map[int]bool{}, hits: map[string]int{}}
	stages := []string{"sequence", "book", "backup", "recover", "state"}
	for range 2 + r.IntN(4) {
		st := stages[r.IntN(len(stages))]
		if p.failAt[st] == nil {
			p.failAt[st] = map[int]bool{}
		}
		p.failAt[st][1+r.IntN(stageOps[st])] = true
	}
	return p
}

func (p *faultPlan) hook(step string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.off {
		return nil
	}
	stage, _, _ := strings.Cut(step, ".")
	p.seen[stage]++
	if !p.failAt[stage][p.seen[stage]] {
		return nil
	}
	p.hits[step]++
	return fmt.Errorf("%w at %s (operation %d)", errInjected, step, p.seen[stage])
}

func (p *faultPlan) stop() {
	p.mu.Lock()
	p.off = true
	p.mu.Unlock()
}

// faultSigner is the bank's signer, failing when the plan says (a fault
// while a batch is sequenced and signed).
type faultSigner struct {
	Signer
	plan *faultPlan
}

func (s faultSigner) Sign(msg []byte) ([]byte, error) {
	if err := s.plan.hook("sequence.sign"); err != nil {
		return nil, err
	}
	return s.Signer.Sign(msg)
}

// faultRun is one run: fresh accounts, payments in flight from several
// goroutines, Recover at random moments and after every failure, and
// sometimes an entry row lost on the way.
type faultRun struct {
	bk   *book
	r    *mrand.Rand
	plan *faultPlan

	recMu    sync.Mutex // one submitter recovers at a time
	mu       sync.Mutex
	booked   []*Submission // acknowledged, or refused as already booked
	refused  []*Submission // refused for good (funds)
	acked    map[*Submission]uint64
	recovers atomic.Int32
}

// openFaulty reopens bk's bank with small batches (so the pipeline holds
// two at once) and plan's hooks on the store, the backup and the signer.
func openFaulty(t *testing.T, bk *book, plan *faultPlan) {
	t.Helper()
	bk.bank.Close()
	// The hooks are in place before the bank's goroutines start, and quiet
	// while it opens.
	plan.mu.Lock()
	plan.off = true
	plan.mu.Unlock()
	bk.store.fault, bk.backup.fault, bk.backup.retry = plan.hook, plan.hook, 2*time.Millisecond
	cfg := Config{Name: "bank-a", Currency: "CNY", MaxBatch: 3, Now: func() time.Time { return bk.now }}
	bank, err := Open(bk.ctx, cfg, bk.keys, bk.store, bk.backup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bank.Close)
	bank.signer = faultSigner{Signer: bank.signer, plan: plan}
	bk.bank = bank
	plan.mu.Lock()
	plan.off = false
	plan.mu.Unlock()
}

// recoverWhole runs Recover until the book is whole and booking again;
// injected faults (and a backup still catching up) are retried.
func (fr *faultRun) recoverWhole(t *testing.T) {
	for range 50 {
		fr.recovers.Add(1)
		_, rep, err := fr.bk.bank.Recover(fr.bk.ctx)
		switch {
		case err == nil && rep.OK():
			return
		case err == nil, errors.Is(err, errInjected), errors.Is(err, ErrNotFound), errors.Is(err, ErrBookBroken):
			// Not whole yet, a fault, the backup catching up, or the book
			// changed while it was reloaded (a row lost meanwhile).
			time.Sleep(2 * time.Millisecond)
		default:
			t.Errorf("recover: %v", err)
			return
		}
	}
	t.Error("recover: book not whole after 50 attempts")
}

// submit books s, recovering and retrying after failures, until the bank
// gives a final answer.
func (fr *faultRun) submit(t *testing.T, s *Submission) {
	var err error
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		var st *Settlement
		st, err = fr.bk.bank.Submit(fr.bk.ctx, s)
		switch {
		case err == nil:
			fr.mu.Lock()
			fr.booked, fr.acked[s] = append(fr.booked, s), st.Entry.Index
			fr.mu.Unlock()
			return
		case errors.Is(err, ErrReplayed) && !strings.Contains(err.Error(), "being booked"):
			// Its commit happened, but the answer was lost.
			fr.mu.Lock()
			fr.booked = append(fr.booked, s)
			fr.mu.Unlock()
			return
		case errors.Is(err, ErrInsufficientFunds):
			fr.mu.Lock()
			fr.refused = append(fr.refused, s)
			fr.mu.Unlock()
			return
		case errors.Is(err, errInjected), errors.Is(err, ErrBookBroken), errors.Is(err, ErrReplayed):
			// Another goroutine may be recovering already: give it a moment.
			time.Sleep(time.Duration(1+mrand.IntN(4)) * time.Millisecond)
			fr.recMu.Lock()
			if fr.bk.bank.brokenErr() != nil {
				fr.recoverWhole(t)
			}
			fr.recMu.Unlock()
		default:
			t.Errorf("submit: %v", err)
			return
		}
	}
	t.Errorf("submit: no final answer in 30 s: %v", err)
}

func (fr *faultRun) run(t *testing.T, run int) {
	bk := fr.bk
	names := []string{"alice", "bob", "carol"}
	for i, opening := range []uint64{100, 0, 250, 0} {
		name := fmt.Sprintf("r%d-%d", run, i)
		addAccount(t, bk, name, opening)
		names = append(names, name)
	}
	jobs := make(chan *Submission, 30)
	for range 30 {
		payer, payee := names[fr.r.IntN(len(names))], names[fr.r.IntN(len(names))]
		for payee == payer {
			payee = names[fr.r.IntN(len(names))]
		}
		jobs <- bk.submission(payer, payee, 1+fr.r.Uint64N(150))
	}
	close(jobs)
	openFaulty(t, bk, fr.plan)
	lose := fr.r.IntN(3) == 0
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			for s := range jobs {
				fr.submit(t, s)
			}
		})
	}
	// Recover during live bookings, and perhaps an entry row lost first.
	wg.Go(func() {
		for range 2 {
			time.Sleep(time.Duration(mrand.IntN(40)) * time.Millisecond)
			if lose {
				fr.loseOne(t)
				lose = false
			}
			fr.recoverWhole(t)
		}
	})
	wg.Wait()
	fr.plan.stop()
	fr.recoverWhole(t)
	fr.verify(t)
}

// loseOne deletes an acknowledged entry's row and chain record.
func (fr *faultRun) loseOne(t *testing.T) {
	fr.mu.Lock()
	var idx []uint64
	for _, i := range fr.acked {
		idx = append(idx, i)
	}
	fr.mu.Unlock()
	if len(idx) == 0 {
		return
	}
	if err := fr.bk.store.DeleteEntry(fr.bk.ctx, idx[mrand.IntN(len(idx))]); err != nil {
		t.Error(err)
	}
}

// verify: balances add up; each account's balance, in memory and as a
// fresh bank reads it, is its opening plus what the book's entries moved;
// every booked money is in the book exactly once (entry and booked-money
// row), every refused one is not; the chain is whole.
func (fr *faultRun) verify(t *testing.T) {
	bk := fr.bk
	ctx := bk.ctx
	if rep, err := bk.bank.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", rep, err)
	}
	bal, open := bk.bank.Totals()
	if bal != open {
		t.Errorf("balances add up to %d, openings to %d", bal, open)
	}
	want := map[string]uint64{}
	rows, err := bk.store.accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want[r.name] = r.opening
	}
	size := bk.bank.Size()
	for i := range size {
		e, _, err := bk.store.Entry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		want[e.Payer] -= e.Amount
		want[e.Payee] += e.Amount
	}
	for name, v := range want {
		if got, _ := bk.bank.Balance(name); got != v {
			t.Errorf("%s: the bank holds %d, the book's entries give %d", name, got, v)
		}
	}
	for s, idx := range fr.acked {
		_, money, err := bk.store.Entry(ctx, idx)
		enc, _ := s.Money.MarshalBinary()
		if err != nil || !bytes.Equal(money, enc) {
			t.Errorf("acknowledged entry %d: %v (money differs: %v)", idx, err, !bytes.Equal(money, enc))
		}
	}
	count := func(table string, m *Money) int {
		var n int
		db := bk.store.DB()
		if err := db.QueryRowContext(ctx, db.Rebind("SELECT COUNT(*) FROM "+table+" WHERE payer = ? AND mtime = ?"), m.Payer, m.Time).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, s := range fr.booked {
		if ne, nm := count("ledger_entries", &s.Money), count("ledger_moneys", &s.Money); ne != 1 || nm != 1 {
			t.Errorf("booked money of %s at %d: %d entries, %d booked-money rows", s.Money.Payer, s.Money.Time, ne, nm)
		}
	}
	for _, s := range fr.refused {
		if ne, nm := count("ledger_entries", &s.Money), count("ledger_moneys", &s.Money); ne != 0 || nm != 0 {
			t.Errorf("refused money of %s at %d: %d entries, %d booked-money rows", s.Money.Payer, s.Money.Time, ne, nm)
		}
	}
	var nm int
	if err := bk.store.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger_moneys").Scan(&nm); err != nil || uint64(nm) != size {
		t.Errorf("%d booked-money rows for %d entries: %v", nm, size, err)
	}
	fresh, err := Open(ctx, Config{Name: "bank-a", Currency: "CNY", Now: func() time.Time { return bk.now }}, bk.keys, bk.store, bk.backup)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	for name := range want {
		mem, _ := bk.bank.Balance(name)
		if got, _ := fresh.Balance(name); got != mem {
			t.Errorf("%s: %d in memory, %d as a fresh bank reads the book", name, mem, got)
		}
	}
}

// Hole 1 as a property: faults injected at random operations of every
// stage of the pipeline — sequencing and signing, each step of the book's
// commit (and a commit whose answer is lost), the hot backup's write, the
// rebuild of the booking state, Recover's restore — while Recover runs
// during live bookings and entry rows are lost. After each run the
// balances add up to the openings and to what the book's entries say,
// every acknowledged booking is in the book exactly once, and the chain
// checks whole. -faultruns N runs N per backend.
func TestFaultInjection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		r := mrand.New(mrand.NewPCG(seed, 10))
		bk := newBook(t, open, SM2)
		total := map[string]int{}
		var recovers, injected int32
		for run := range *faultRuns {
			fr := &faultRun{bk: bk, r: r, plan: newFaultPlan(r), acked: map[*Submission]uint64{}}
			fr.run(t, run)
			if t.Failed() {
				t.Fatalf("run %d (seed %d), plan %v, injected %v", run, seed, fr.plan.failAt, fr.plan.hits)
			}
			for step, n := range fr.plan.hits {
				total[step] += n
				injected += int32(n)
			}
			recovers += fr.recovers.Load()
		}
		var steps []string
		for s, n := range total {
			steps = append(steps, fmt.Sprintf("%s:%d", s, n))
		}
		sort.Strings(steps)
		t.Logf("%d runs, %d faults injected (%s), %d recoveries, %d entries", *faultRuns, injected, strings.Join(steps, " "), recovers, bk.bank.Size())
		if injected == 0 {
			t.Fatal("no fault was injected")
		}
	})
}
