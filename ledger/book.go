package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle/compact"

	"trustbank/internal/money"
	"trustbank/internal/wire"
)

// The booking pipeline has two stages. The loop takes verified
// submissions in batches and sequences each batch: balances, entries,
// evidence-chain codes, bank signatures, hash chain, Merkle nodes and a
// checkpoint. The committer makes each batch durable in the book (one group
// commit) and only then answers; the backup writer copies the batch to the
// hot backup after that, in book order. The loop runs at most one batch ahead of the committer, so one
// batch is sequenced and signed while the one before it is being fsynced.
// Entries are numbered in the loop, so the evidence chains need no locks.

// seqState is the loop's view of the book: it includes the batch being
// committed. Its generation (Bank.gen) changes whenever the book is
// reloaded (after recovery), so that a batch sequenced on an older view is
// never committed.
type seqState struct {
	next      uint64
	nextBatch uint64
	ecode     Digest
	prev      Digest
	rng       *compact.Range
}

// pendingCommit is a sequenced batch on its way to the disk.
type pendingCommit struct {
	gen      uint64
	w        *batchWrite
	booked   []*submitted
	cp       *Checkpoint
	balances map[*account]uint64
}

func (b *Bank) loop() {
	defer close(b.commits)
	for {
		var first *submitted
		select {
		case first = <-b.queue:
		case <-b.stop:
			b.drain(ErrClosed)
			return
		}
		batch := []*submitted{first}
	fill:
		for len(batch) < b.cfg.MaxBatch {
			select {
			case p := <-b.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		if pc := b.sequence(batch); pc != nil {
			b.commits <- pc
		}
	}
}

// batchKey is a batch's balance key and its SM2 encryption to the bank (β).
type batchKey struct{ key, beta []byte }

func (b *Bank) newBatchKey() (batchKey, error) {
	key := make([]byte, balanceKeySize)
	if _, err := rand.Read(key); err != nil {
		return batchKey{}, err
	}
	beta, err := sm2.Encrypt(rand.Reader, &b.keys.Enc.PublicKey, key, nil)
	return batchKey{key, beta}, err
}

// keyMaker keeps a few batch keys ready (each is used once) until the
// bank closes.
func (b *Bank) keyMaker() {
	for {
		k, err := b.newBatchKey()
		if err != nil { // the loop makes its own, and reports the error
			return
		}
		select {
		case b.batchKeys <- k:
		case <-b.stop:
			return
		}
	}
}

func (b *Bank) drain(err error) {
	for {
		select {
		case p := <-b.queue:
			p.res <- submitResult{err: err}
		default:
			return
		}
	}
}

func (b *Bank) brokenErr() error {
	if b.split != nil { // set at open, never changed
		return fmt.Errorf("%w: %w", ErrBookBroken, b.split)
	}
	b.stateMu.RLock()
	defer b.stateMu.RUnlock()
	return b.broken
}

// sequence builds one batch on the loop's view and advances the view; it
// answers the submissions it refuses itself and returns nil if none is left.
func (b *Bank) sequence(batch []*submitted) *pendingCommit {
	b.seqMu.Lock()
	defer b.seqMu.Unlock()
	// Checked under seqMu: a Recover that held it and failed leaves the
	// book broken, and its view stale.
	if err := b.brokenErr(); err != nil {
		b.fail(batch, err)
		return nil
	}
	st := b.seq
	rng, err := rangeFactory.NewRange(st.rng.Begin(), st.rng.End(), slices.Clone(st.rng.Hashes()))
	if err != nil {
		b.fail(batch, err)
		return nil
	}
	now := b.cfg.Now().UnixMilli()

	// One fresh balance key per batch, wrapped to the bank (β): made ahead
	// of time by keyMaker when it can, so the SM2 encryption is off the
	// path of a lightly loaded bank.
	var bk batchKey
	select {
	case bk = <-b.batchKeys:
	default:
		var err error
		if bk, err = b.newBatchKey(); err != nil {
			b.fail(batch, err)
			return nil
		}
	}
	key, beta := bk.key, bk.beta

	// Balances, entries and evidence-chain codes, in order. Balances are the
	// sequenced ones (a.seq), which include the batch being committed.
	balances := map[*account]uint64{}
	bal := func(a *account) uint64 {
		if v, ok := balances[a]; ok {
			return v
		}
		return a.seq
	}
	w := &batchWrite{id: st.nextBatch, beta: beta}
	var booked []*submitted
	for _, p := range batch {
		m := p.money
		payer, err1 := b.account(m.Payer)
		payee, err2 := b.account(m.Payee)
		if err := errors.Join(err1, err2); err != nil {
			p.res <- submitResult{err: err}
			continue
		}
		payerBal, err1 := money.Sub(bal(payer), m.Amount)
		payeeBal, err2 := money.Add(bal(payee), m.Amount)
		switch {
		case err1 != nil:
			p.res <- submitResult{err: fmt.Errorf("%w: %s cannot pay %d", ErrInsufficientFunds, m.Payer, m.Amount)}
			continue
		case err2 != nil:
			p.res <- submitResult{err: fmt.Errorf("%w: crediting %d to %s would take its balance past %d", ErrAmountRange, m.Amount, m.Payee, MaxBalance)}
			continue
		}
		balances[payer], balances[payee] = payerBal, payeeBal
		st.ecode = xorDigest(st.ecode, m.LSum)
		e := &Entry{Index: st.next, Booked: now, Money: p.digest, Payer: m.Payer, Payee: m.Payee,
			Amount: m.Amount, LSum: m.LSum, Batch: st.nextBatch, Ecode: st.ecode,
			PayerBalance: sealBalance(key, st.next, m.Payer, balances[payer]),
			PayeeBalance: sealBalance(key, st.next, m.Payee, balances[payee])}
		st.next++
		w.entries = append(w.entries, e)
		w.moneys = append(w.moneys, p.encoded)
		w.mtimes = append(w.mtimes, m.Time)
		booked = append(booked, p)
	}
	if len(booked) == 0 {
		return nil
	}

	// sign9 and sign8 of every entry, in parallel.
	if err := b.signEntries(w.entries); err != nil {
		b.fail(booked, err)
		return nil
	}

	// SM3 hash chain and Merkle leaves, in order.
	for _, e := range w.entries {
		e.Prev = st.prev
		ww := wire.Writer{B: make([]byte, 0, entryCap)}
		e.encode(&ww)
		st.prev = sm3.Sum(ww.B)
		w.encoded = append(w.encoded, ww.B)
		w.hashes = append(w.hashes, st.prev)
		if err := rng.Append(TreeHasher.HashLeaf(ww.B), func(id compact.NodeID, h []byte) {
			w.nodes = append(w.nodes, merkleNode{level: id.Level, index: id.Index, hash: h})
		}); err != nil {
			b.fail(booked, err)
			return nil
		}
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		b.fail(booked, err)
		return nil
	}
	cp := &Checkpoint{Bank: b.cfg.Name, Size: st.next, Time: now}
	copy(cp.Root[:], root)
	if cp.Sig, err = b.signer.Sign(cp.signed()); err != nil {
		b.fail(booked, err)
		return nil
	}
	if w.cp, err = cp.MarshalBinary(); err != nil {
		b.fail(booked, err)
		return nil
	}
	w.cpSize = st.next

	// The batch is made: advance the loop's view.
	for a, v := range balances {
		a.seq = v
	}
	st.nextBatch++
	st.rng = rng
	b.seq = st
	b.pending.Add(1)
	return &pendingCommit{gen: b.gen.Load(), w: w, booked: booked, cp: cp, balances: balances}
}

// committer makes sequenced batches durable, in order, and answers them.
func (b *Bank) committer() {
	defer func() {
		b.head.close()
		close(b.backupQ)
		<-b.backupDone
		close(b.done)
	}()
	for pc := range b.commits {
		b.commit(pc)
		b.pending.Add(-1)
	}
}

func (b *Bank) commit(pc *pendingCommit) {
	err := b.brokenErr()
	if err == nil && pc.gen != b.gen.Load() {
		err = ErrBookBroken
	}
	if err != nil {
		b.fail(pc.booked, errors.Join(ErrBookBroken, err))
		return
	}
	ctx := context.Background()
	w := pc.w
	if err := b.store.writeBook(ctx, w); err != nil {
		// A failed commit leaves the book as it was, but the batches
		// sequenced after it are built on it; and an unknown outcome (the
		// commit may have happened) must not be booked over. Stop booking
		// until the book is checked (Recover reloads it).
		b.stateMu.Lock()
		b.broken = fmt.Errorf("%w: commit of batch %d failed: %v", ErrBookBroken, w.id, err)
		b.stateMu.Unlock()
		b.fail(pc.booked, fmt.Errorf("ledger: book: %w", err))
		return
	}
	if b.backup != nil {
		b.backupPending.Add(1)
		b.backupQ <- w // in book order; the backup writer takes it from here
	}
	b.nodes.add(w.nodes, pc.cp.Size)
	ids := make([][]byte, len(pc.booked))
	for i, p := range pc.booked {
		ids[i] = p.money.id()
	}
	b.seen.add(ids, w.mtimes, b.cfg.Now().Add(-b.cfg.MaxAge).UnixMilli())
	b.stateMu.Lock()
	for a, v := range pc.balances {
		a.balance = v
	}
	b.next, b.cp = pc.cp.Size, pc.cp
	b.stateMu.Unlock()
	b.head.offer(pc.cp)
	for i, p := range pc.booked {
		p.res <- submitResult{entry: w.entries[i], cp: pc.cp}
	}
	// Let the answered submissions run before this goroutine starts the
	// next commit: they wait on this core's run queue, and the commit's
	// fsync holds the core (Go hands the core of a goroutine blocked in a
	// syscall to others only when its monitor notices: 20 µs to 10 ms).
	runtime.Gosched()
}

func (b *Bank) fail(batch []*submitted, err error) {
	for _, p := range batch {
		p.res <- submitResult{err: err}
	}
}

// signEntries makes sign9 and sign8 of each entry on all cores.
func (b *Bank) signEntries(es []*Entry) error {
	workers := min(runtime.GOMAXPROCS(0), len(es))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(es); i += workers {
				e := es[i]
				var err error
				if e.Sig9, err = b.signer.Sign(sign9Msg(e.Index, e.Batch, e.Money, e.PayerBalance, e.PayeeBalance)); err != nil {
					errs[w] = err
					return
				}
				if e.Sig8, err = b.signer.Sign(sign8Msg(e.Index, e.Ecode)); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// backupWriter copies committed batches to the hot backup, in book order,
// right after the book commits them (off the answer's path: the book is
// the durable record, the backup its copy for restoring lost entries).
// A batch it fails to write stays queued, with every later one, and is
// retried; batches it had not written when the process died are copied
// from the book when the bank opens again (Backup.catchUp).
func (b *Bank) backupWriter() {
	defer close(b.backupDone)
	var lag []*batchWrite
	retry := time.NewTicker(b.backup.retryEvery())
	defer retry.Stop()
	flush := func() {
		for len(lag) > 0 {
			if err := b.backup.write(context.Background(), lag[0]); err != nil {
				err = fmt.Errorf("ledger: hot backup behind by %d batches: %w", len(lag), err)
				b.backupErr.Store(&err)
				return
			}
			lag = lag[1:]
			b.backupPending.Add(-1)
		}
		b.backupErr.Store(nil)
	}
	for {
		select {
		case w, ok := <-b.backupQ:
			if !ok {
				flush()
				return
			}
			lag = append(lag, w)
			flush()
		case <-retry.C:
			flush()
		}
	}
}

// BackupError is the last error writing the hot backup, or nil if the
// backup has every committed batch.
func (b *Bank) BackupError() error {
	if p := b.backupErr.Load(); p != nil {
		return *p
	}
	return nil
}
