package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle/compact"

	"trustbank/internal/wire"
)

// loop is the booking loop: it takes verified submissions in batches and
// books each batch in one durable commit to the hot backup and then the
// book (group commit). Entries are sequenced here, so the evidence chains
// need no locks.
func (b *Bank) loop() {
	defer close(b.done)
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
		b.book(batch)
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

// book sequences, signs and commits one batch.
func (b *Bank) book(batch []*submitted) {
	b.stateMu.RLock()
	broken := b.broken
	next, nextBatch, ecode, prev := b.next, b.nextBatch, b.ecode, b.prev
	rng, err := rangeFactory.NewRange(b.rng.Begin(), b.rng.End(), slices.Clone(b.rng.Hashes()))
	b.stateMu.RUnlock()
	if broken != nil || err != nil {
		for _, p := range batch {
			p.res <- submitResult{err: errors.Join(broken, err)}
		}
		return
	}
	ctx := context.Background()
	now := b.cfg.Now().UnixMilli()

	// One fresh balance key per batch, wrapped to the bank (β).
	key := make([]byte, balanceKeySize)
	if _, err := rand.Read(key); err != nil {
		b.fail(batch, err)
		return
	}
	beta, err := sm2.Encrypt(rand.Reader, &b.keys.Enc.PublicKey, key, nil)
	if err != nil {
		b.fail(batch, err)
		return
	}

	// Sequence: balances, entries, evidence-chain codes.
	balances := map[*account]uint64{}
	bal := func(a *account) uint64 {
		if v, ok := balances[a]; ok {
			return v
		}
		return a.balance
	}
	w := &batchWrite{id: nextBatch, beta: beta}
	var booked []*submitted
	for _, p := range batch {
		m := p.money
		payer, err1 := b.account(m.Payer)
		payee, err2 := b.account(m.Payee)
		if err := errors.Join(err1, err2); err != nil {
			p.res <- submitResult{err: err}
			continue
		}
		if bal(payer) < m.Amount {
			p.res <- submitResult{err: fmt.Errorf("%w: %s cannot pay %d", ErrInsufficientFunds, m.Payer, m.Amount)}
			continue
		}
		if bal(payee) > math.MaxInt64-m.Amount {
			p.res <- submitResult{err: fmt.Errorf("ledger: balance of %s would overflow", m.Payee)}
			continue
		}
		balances[payer] = bal(payer) - m.Amount
		balances[payee] = bal(payee) + m.Amount
		ecode = xorDigest(ecode, m.LSum)
		e := &Entry{Index: next, Booked: now, Money: p.digest, Payer: m.Payer, Payee: m.Payee,
			Amount: m.Amount, LSum: m.LSum, Batch: nextBatch, Ecode: ecode,
			PayerBalance: sealBalance(key, next, m.Payer, balances[payer]),
			PayeeBalance: sealBalance(key, next, m.Payee, balances[payee])}
		next++
		w.entries = append(w.entries, e)
		w.moneys = append(w.moneys, p.encoded)
		w.mtimes = append(w.mtimes, m.Time)
		booked = append(booked, p)
	}
	if len(booked) == 0 {
		return
	}

	// sign9 and sign8 of every entry, in parallel.
	if err := b.signEntries(w.entries); err != nil {
		b.fail(booked, err)
		return
	}

	// SM3 hash chain and Merkle leaves, in order.
	for _, e := range w.entries {
		e.Prev = prev
		var ww wire.Writer
		e.encode(&ww)
		prev = sm3.Sum(ww.B)
		w.encoded = append(w.encoded, ww.B)
		w.hashes = append(w.hashes, prev)
		if err := rng.Append(TreeHasher.HashLeaf(ww.B), func(id compact.NodeID, h []byte) {
			w.nodes = append(w.nodes, merkleNode{level: id.Level, index: id.Index, hash: h})
		}); err != nil {
			b.fail(booked, err)
			return
		}
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		b.fail(booked, err)
		return
	}
	cp := &Checkpoint{Bank: b.cfg.Name, Size: next, Time: now}
	copy(cp.Root[:], root)
	if cp.Sig, err = b.signer.Sign(cp.body()); err != nil {
		b.fail(booked, err)
		return
	}
	if w.cp, err = cp.MarshalBinary(); err != nil {
		b.fail(booked, err)
		return
	}
	w.cpSize = next

	// Durable: the book and the hot backup commit concurrently (their
	// fsyncs overlap). Only the book's commit decides the outcome: if the
	// backup fails, its batches queue and are written, in order, before
	// the next ones. A batch the book did not commit may leave entries in
	// the backup past the book's end; the next batch replaces them.
	backupDone := make(chan error, 1)
	if b.backup != nil {
		b.backupLag = append(b.backupLag, w)
		go func() { backupDone <- b.writeBackupLag(ctx) }()
	} else {
		backupDone <- nil
	}
	err = b.store.writeBook(ctx, w)
	if berr := <-backupDone; berr != nil {
		b.backupErr.Store(&berr)
	} else {
		b.backupErr.Store(nil)
	}
	if err != nil {
		// A failed commit leaves the book as it was; an unknown outcome
		// (the commit may have happened) must not be booked over.
		b.stateMu.Lock()
		b.broken = fmt.Errorf("%w: commit of batch %d failed: %v", ErrBookBroken, nextBatch, err)
		b.stateMu.Unlock()
		b.fail(booked, fmt.Errorf("ledger: book: %w", err))
		return
	}

	b.nodes.add(w.nodes, next)
	b.stateMu.Lock()
	for a, v := range balances {
		a.balance = v
	}
	b.next, b.nextBatch, b.ecode, b.prev, b.rng, b.cp = next, nextBatch+1, ecode, prev, rng, cp
	b.stateMu.Unlock()
	for i, p := range booked {
		p.res <- submitResult{entry: w.entries[i], cp: cp}
	}
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

// writeBackupLag writes the queued batches to the hot backup in order,
// keeping those that fail (and all after them) for the next try.
func (b *Bank) writeBackupLag(ctx context.Context) error {
	for len(b.backupLag) > 0 {
		if err := b.backup.write(ctx, b.backupLag[0]); err != nil {
			return fmt.Errorf("ledger: hot backup behind by %d batches: %w", len(b.backupLag), err)
		}
		b.backupLag = b.backupLag[1:]
	}
	return nil
}

// BackupError is the last error writing the hot backup, or nil if the
// backup has every committed batch.
func (b *Bank) BackupError() error {
	if p := b.backupErr.Load(); p != nil {
		return *p
	}
	return nil
}
