package ledger

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
)

// Break is one place where the evidence chain does not hold.
type Break struct {
	Index  uint64
	Reason string
}

// CheckReport is the result of walking the book's evidence chains.
type CheckReport struct {
	Size    uint64   // entries the book should hold (latest checkpoint, or the highest index seen + 1)
	Missing []uint64 // indexes with no entry: the lost records
	Breaks  []Break  // entries whose chain codes do not follow from the one before
	// Split: the book is shorter than (ErrRollback), or differs from
	// (ErrFork), the bank's own latest signed checkpoint (Config.HeadFile).
	Split *SplitViewError
	// Warnings do not make the book broken but need the operator: the
	// head file failing to be written.
	Warnings []string

	lastEcode, lastHash Digest
}

// OK reports whether the book is whole.
func (r *CheckReport) OK() bool { return len(r.Missing) == 0 && len(r.Breaks) == 0 && r.Split == nil }

func (r *CheckReport) String() string {
	if r.Split != nil {
		return fmt.Sprintf("%d entries: %v: the bank signed more than the book holds; restore the newer database", r.Size, r.Split)
	}
	if r.OK() {
		if len(r.Warnings) > 0 {
			return fmt.Sprintf("%d entries, evidence chain whole; warning: %s", r.Size, strings.Join(r.Warnings, "; "))
		}
		return fmt.Sprintf("%d entries, evidence chain whole", r.Size)
	}
	var parts []string
	if len(r.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing entries %v", r.Missing))
	}
	for _, b := range r.Breaks {
		parts = append(parts, fmt.Sprintf("chain broken at %d (%s)", b.Index, b.Reason))
	}
	return fmt.Sprintf("%d entries: %s", r.Size, strings.Join(parts, "; "))
}

// Check walks the book's evidence chains — the paper's XOR chain of codes
// (ecode_n = ecode_{n−1} ⊕ lsum_n) and the SM3 hash chain — and reports
// the exact position of every missing entry. It reads only the narrow
// chain table and an index-only scan of the entries, so it is fast.
// A broken book stops booking until Recover makes it whole.
func (b *Bank) Check(ctx context.Context) (*CheckReport, error) {
	rep, err := CheckStore(ctx, b.store)
	if err == nil {
		rep.Split = b.split
		if w := b.head.failure(); w != "" {
			rep.Warnings = append(rep.Warnings, w)
		}
	}
	if err == nil && !rep.OK() && rep.Split == nil {
		b.stateMu.Lock()
		if b.broken == nil {
			b.broken = fmt.Errorf("%w: %s", ErrBookBroken, rep)
		}
		b.stateMu.Unlock()
	}
	return rep, err
}

func (b *Bank) check(ctx context.Context) (*CheckReport, error) { return CheckStore(ctx, b.store) }

// CheckStore checks a book without opening a bank on it (an auditor's copy).
func CheckStore(ctx context.Context, store *Store) (*CheckReport, error) {
	rep := &CheckReport{}
	if cp, err := store.checkpoint(ctx, 0); err == nil {
		rep.Size = cp.Size
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	// Only the entries of the latest checkpoint count: a batch committed
	// while we read is not a loss. (Entries, chain rows and checkpoint are
	// written in one transaction.) Without a checkpoint, everything counts.
	limit := uint64(1 << 62)
	if rep.Size > 0 {
		limit = rep.Size
	}
	// The entries present. Usually the book is whole: then the count of
	// entries is one more than the highest index, and nothing more need be
	// read. Otherwise an index-only scan finds the missing ones. This runs
	// beside the chain walk, which is split in GOMAXPROCS segments whose
	// seams are checked after.
	present := newBitset(rep.Size)
	all := uint64(0) // entries 0..all−1 are known present
	var maxEntry uint64
	scanned := make(chan error, 1)
	go func() {
		count, top, err := store.entryCount(ctx)
		if err != nil {
			scanned <- err
			return
		}
		if count == top && top >= min(limit, rep.Size) {
			all, maxEntry = min(top, limit), min(top, limit)
			scanned <- nil
			return
		}
		scanned <- store.entryIndexes(ctx, func(idx uint64) {
			if idx < limit {
				present.set(idx)
				maxEntry = max(maxEntry, idx+1)
			}
		})
	}()
	parts := uint64(runtime.GOMAXPROCS(0))
	if rep.Size == 0 {
		parts = 1 // size unknown: one walk
	}
	segs := make([]*chainSegment, parts)
	walked := make(chan error, parts)
	for i := range segs {
		segs[i] = &chainSegment{from: limit / parts * uint64(i), to: limit / parts * uint64(i+1), inChain: newBitset(rep.Size)}
		if i == len(segs)-1 {
			segs[i].to = limit
		}
		go func() { walked <- segs[i].walk(ctx, store) }()
	}
	var err error
	for range segs {
		err = errors.Join(err, <-walked)
	}
	err = errors.Join(err, <-scanned)
	if err != nil {
		return nil, fmt.Errorf("ledger: check: %w", err)
	}
	// Join the segments: each one's first row must follow the last row
	// before it.
	var last chainRow // the state before entry 0: all zero, expecting 0
	expect := uint64(0)
	inChain := func(i uint64) bool {
		for _, sg := range segs {
			if sg.inChain.has(i) {
				return true
			}
		}
		return false
	}
	for _, sg := range segs {
		if sg.rows == 0 {
			continue
		}
		if br := follows(expect, last, sg.first); br != nil {
			rep.Breaks = append(rep.Breaks, *br)
		}
		rep.Breaks = append(rep.Breaks, sg.breaks...)
		last, expect = sg.last, sg.last.idx+1
	}
	rep.Size = max(rep.Size, expect, maxEntry)
	for i := uint64(0); i < rep.Size; i++ {
		if (i >= all && !present.has(i)) || !inChain(i) {
			rep.Missing = append(rep.Missing, i)
		}
	}
	// A break right after a gap is the gap's own symptom.
	var breaks []Break
	for _, br := range rep.Breaks {
		if br.Index > 0 && !inChain(br.Index-1) {
			continue
		}
		breaks = append(breaks, br)
	}
	rep.Breaks = breaks
	rep.lastEcode, rep.lastHash = last.ecode, last.hash
	return rep, nil
}

// chainRow is one row of the chain table.
type chainRow struct {
	idx                     uint64
	lsum, ecode, prev, hash Digest
}

// follows checks row against the row before it (prev, which the walk
// expected to be at index expect−1) and returns the break, if any.
func follows(expect uint64, prev, row chainRow) *Break {
	switch {
	case row.idx != expect:
		// A gap: the entries between are lost. As the paper says, the code
		// derived from this entry (ecode ⊕ lsum) seeds the rest.
		if xorDigest(prev.ecode, row.lsum) != row.ecode {
			return &Break{row.idx, fmt.Sprintf("ecode does not follow from entry %d", int64(expect)-1)}
		}
	case xorDigest(prev.ecode, row.lsum) != row.ecode:
		return &Break{row.idx, "ecode ≠ ecode(n−1) ⊕ lsum(n)"}
	case row.prev != prev.hash:
		return &Break{row.idx, "SM3 chain: prev ≠ hash of entry n−1"}
	}
	return nil
}

// chainSegment walks the chain rows of [from, to).
type chainSegment struct {
	from, to    uint64
	rows        uint64
	first, last chainRow
	breaks      []Break
	inChain     *bitset
}

func (sg *chainSegment) walk(ctx context.Context, store *Store) error {
	return store.scanChain(ctx, sg.from, sg.to, func(idx uint64, c []byte) error {
		if len(c) != chainRecord-8 {
			sg.breaks = append(sg.breaks, Break{idx, "malformed chain block"})
			return nil
		}
		row := chainRow{idx: idx}
		copy(row.lsum[:], c[0:32])
		copy(row.ecode[:], c[32:64])
		copy(row.prev[:], c[64:96])
		copy(row.hash[:], c[96:128])
		sg.inChain.set(idx)
		if sg.rows == 0 {
			sg.first = row
		} else if br := follows(sg.last.idx+1, sg.last, row); br != nil {
			sg.breaks = append(sg.breaks, *br)
		}
		sg.last = row
		sg.rows++
		return nil
	})
}

type bitset []uint64

func newBitset(n uint64) *bitset { b := make(bitset, n/64+1); return &b }

func (b *bitset) set(i uint64) {
	for uint64(len(*b)) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b *bitset) has(i uint64) bool {
	return i/64 < uint64(len(*b)) && (*b)[i/64]&(1<<(i%64)) != 0
}

// Clue is what the book alone says about a lost entry: its payer, payee
// and amount from the jumps in their balances, its lsum from the codes of
// its neighbours, and — by enumerating the payer's past purposes and times
// against lsum — its purpose and time.
type Clue struct {
	Index     uint64
	Payer     string
	Payee     string
	Amount    uint64
	LSum      Digest
	HaveLSum  bool
	Purpose   string
	Time      int64
	Confirmed bool // payer, payee, amount, purpose and time reproduce lsum
}

// timeBudget bounds the time enumeration of Reconstruct (milliseconds
// before the next entry's booking).
const timeBudget = 2_000_000

// Reconstruct derives what it can of lost entry k from the book.
func (b *Bank) Reconstruct(ctx context.Context, k uint64) (*Clue, error) {
	c := &Clue{Index: k}
	var before, after *Entry
	if k > 0 {
		e, _, err := b.store.Entry(ctx, k-1)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		before = e
	}
	e, _, err := b.store.Entry(ctx, k+1)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	after = e
	if after != nil && (k == 0 || before != nil) {
		var prevEcode Digest
		if before != nil {
			prevEcode = before.Ecode
		}
		ecodeK := xorDigest(after.Ecode, after.LSum)
		c.LSum, c.HaveLSum = xorDigest(ecodeK, prevEcode), true
	}

	// Balance jumps: an account whose balance after its first entry past k
	// does not follow from its balance before k was in entry k.
	keys := map[uint64][]byte{}
	b.mu.RLock()
	accts := make(map[string]*account, len(b.accounts))
	for n, a := range b.accounts {
		accts[n] = a
	}
	b.mu.RUnlock()
	for name, a := range accts {
		next, err := b.store.neighbour(ctx, name, k, true)
		if err != nil {
			return nil, err
		}
		if next == nil {
			continue
		}
		was := a.opening
		if prevE, err := b.store.neighbour(ctx, name, k, false); err != nil {
			return nil, err
		} else if prevE != nil {
			if was, err = b.entryBalance(ctx, prevE, name, keys); err != nil {
				return nil, err
			}
		}
		now, err := b.entryBalance(ctx, next, name, keys)
		if err != nil {
			return nil, err
		}
		implied := now - next.Amount // the balance before next
		if next.Payer == name {
			implied = now + next.Amount
		}
		switch {
		case implied < was:
			c.Payer, c.Amount = name, was-implied
		case implied > was:
			c.Payee = name
			if c.Amount == 0 {
				c.Amount = implied - was
			}
		}
	}
	if c.HaveLSum && c.Payer != "" && c.Payee != "" && c.Amount > 0 {
		b.enumerate(ctx, c, after)
	}
	return c, nil
}

// enumerate searches the payer's past purposes and the times before the
// next entry was booked for the pair that reproduces lsum (lsum is linear
// in per-field digests, so each candidate costs one SM3).
func (b *Bank) enumerate(ctx context.Context, c *Clue, after *Entry) {
	m := Money{Payer: c.Payer, Amount: c.Amount, Currency: b.cfg.Currency, Payee: c.Payee}
	_, amount, _, payee := m.values()
	residual := subDigest(c.LSum, lsumTerm('a', str(c.Payer)))
	residual = subDigest(residual, lsumTerm('m', amount))
	residual = subDigest(residual, lsumTerm('y', payee))
	hist, err := b.store.history(ctx, c.Payer, 1000)
	if err != nil {
		return
	}
	targets := map[Digest]string{}
	for _, p := range append([]string{""}, purposes(hist)...) {
		targets[subDigest(residual, lsumTerm('p', str(p)))] = p
	}
	end := after.Booked
	for t := end; t > end-timeBudget; t-- {
		if p, ok := targets[lsumTerm('t', timeValue(t))]; ok {
			c.Purpose, c.Time, c.Confirmed = p, t, true
			return
		}
	}
}

func purposes(hist []*Money) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range hist {
		if !seen[m.Purpose] {
			seen[m.Purpose] = true
			out = append(out, m.Purpose)
		}
	}
	return out
}

// Recovered is one entry put back by Recover.
type Recovered struct {
	Clue  *Clue  // what the book alone said of the entry
	Entry *Entry // the entry restored
	Money *Money // the money restored with it: its purpose and time are the record's, the clue's a guess
}

// drainCommits waits (holding seqMu, so nothing new is sequenced) until
// every sequenced batch is committed or has failed, and the hot backup has
// every committed one.
func (b *Bank) drainCommits(ctx context.Context) error {
	for {
		if b.pending.Load() == 0 && b.backupPending.Load() == 0 {
			return nil
		}
		if b.pending.Load() == 0 && b.BackupError() != nil {
			return nil // the backup is failing: recover with what it has
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// reopen rebuilds the booking state from a whole book (the caller holds
// seqMu): the committed size and checkpoint, the loop's view (chain heads,
// Merkle range, next batch), every account's balance, and the replay set,
// which forgets what this process booked so that every money is checked
// in the book again (a commit that failed may still have happened). Only
// then does booking resume; if any step fails, the bank stays broken.
func (b *Bank) reopen(ctx context.Context, rep *CheckReport) error {
	// Read everything first: stateMu is taken only to switch over (readers
	// of balances hold b.mu before stateMu, and bookBalances takes b.mu).
	nextBatch, err := b.store.nextBatch(ctx)
	if err != nil {
		return err
	}
	hashes, err := b.store.nodeHashes(ctx, compact.RangeNodes(0, rep.Size, nil))
	if err != nil {
		return fmt.Errorf("ledger: Merkle log: %w", err)
	}
	rng, err := rangeFactory.NewRange(0, rep.Size, hashes)
	if err != nil {
		return err
	}
	var cp *Checkpoint
	if rep.Size > 0 {
		if cp, err = b.store.checkpoint(ctx, rep.Size); err != nil {
			return err
		}
	}
	bals, err := b.bookBalances(ctx, rep.Size)
	if err != nil {
		return err
	}
	// The balances must come from the book that was checked: an entry lost
	// while they were read shows in a second check, and balances that do
	// not add up to the openings are never booked on.
	again, err := b.check(ctx)
	if err != nil {
		return err
	}
	if !again.OK() || again.Size != rep.Size {
		return fmt.Errorf("%w: the book changed while its balances were read: %s", ErrBookBroken, again)
	}
	var sum, openings uint64
	for a, v := range bals {
		sum, openings = sum+v, openings+a.opening
	}
	if sum != openings {
		return fmt.Errorf("%w: balances read from the book add up to %d, openings to %d", ErrBookBroken, sum, openings)
	}
	b.stateMu.Lock()
	defer b.stateMu.Unlock()
	setBalances(bals)
	b.seen.reset(b.cfg.Now().Add(b.cfg.MaxSkew).UnixMilli())
	b.next, b.cp = rep.Size, cp
	b.seq = seqState{next: rep.Size, nextBatch: nextBatch, ecode: rep.lastEcode, prev: rep.lastHash, rng: rng}
	b.gen.Add(1)
	b.broken = nil
	return nil
}
