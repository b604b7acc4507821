package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/transparency-dev/merkle/compact"
)

// Recover restores every missing entry — and every entry the last failed
// deep check found changed — from the hot backup (which serves entries by
// index only): each is checked against the book before it goes
// back — its bank signatures, the money's payer signatures, both hash-chain
// links, the XOR chain, its Merkle leaf, and the clue derived from the
// balances — and then the book is checked again and, if whole, reopened
// for booking.
func (b *Bank) Recover(ctx context.Context) ([]Recovered, *CheckReport, error) {
	if b.backup == nil {
		return nil, nil, errors.New("ledger: no hot backup to recover from")
	}
	// Stop booking and let the batches already sequenced reach the disk (or
	// fail), so the book holds still while it is repaired.
	b.seqMu.Lock()
	defer b.seqMu.Unlock()
	b.stateMu.Lock()
	if b.broken == nil {
		b.broken = fmt.Errorf("%w: recovery in progress", ErrBookBroken)
	}
	b.stateMu.Unlock()
	if err := b.drainCommits(ctx); err != nil {
		return nil, nil, err
	}
	rep, err := b.check(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Every missing entry is vetted first, then all go back in one
	// transaction: a restore that fails leaves the book as it was.
	b.stateMu.RLock()
	changed, changedAll := slices.Clone(b.changed), b.changedAll || len(b.changed) == 0
	b.stateMu.RUnlock()
	var out []Recovered
	var fixes []restoration
	vetted := map[uint64]*Entry{}
	for _, k := range repairList(rep.Missing, changed) {
		clue, err := b.Reconstruct(ctx, k)
		if err != nil {
			return nil, rep, err
		}
		e, money, err := b.backup.Entry(ctx, k)
		if err != nil {
			return nil, rep, fmt.Errorf("ledger: entry %d from the hot backup: %w", k, err)
		}
		m, err := b.vetRecovered(ctx, e, money, clue, vetted)
		if err != nil {
			return nil, rep, fmt.Errorf("ledger: entry %d from the hot backup does not fit the book: %w", k, err)
		}
		vetted[k] = e
		fixes = append(fixes, restoration{entry: e, money: money, mtime: m.Time})
		out = append(out, Recovered{Clue: clue, Entry: e, Money: m})
	}
	if len(fixes) > 0 {
		if err := b.store.restoreEntries(ctx, fixes); err != nil {
			return nil, rep, fmt.Errorf("ledger: recover restored nothing: %w", err)
		}
	}
	rep, err = b.check(ctx)
	if err != nil {
		return out, nil, err
	}
	if !changedAll {
		return out, rep, fmt.Errorf("%w: the deep check found more changed entries than it kept; run it again and recover", ErrBookBroken)
	}
	if rep.OK() {
		if err := b.reopen(ctx, rep); err != nil {
			return out, rep, err
		}
		b.stateMu.Lock()
		b.changed, b.changedAll = nil, false
		b.stateMu.Unlock()
	}
	return out, rep, nil
}

// repairList is the entries Recover restores: the lost ones and those a
// deep check found changed, in index order, each once.
func repairList(missing, changed []uint64) []uint64 {
	out := slices.Concat(missing, changed)
	slices.Sort(out)
	return slices.Compact(out)
}

// vetRecovered checks entry e from the backup against the book and against
// the entries vetted before it (missing ones, restored with it).
func (b *Bank) vetRecovered(ctx context.Context, e *Entry, money []byte, clue *Clue, vetted map[uint64]*Entry) (*Money, error) {
	if err := e.VerifySigs(b.verifier); err != nil {
		return nil, err
	}
	var m Money
	if err := m.UnmarshalBinary(money); err != nil {
		return nil, err
	}
	if err := e.Matches(&m); err != nil {
		return nil, err
	}
	payer, err := b.account(m.Payer)
	if err != nil {
		return nil, err
	}
	if err := m.Verify(payer.verifier); err != nil {
		return nil, err
	}
	k := e.Index
	if k > 0 {
		prev, _, err := b.store.Entry(ctx, k-1)
		if v, ok := vetted[k-1]; ok {
			prev, err = v, nil
		}
		if err == nil {
			if e.Prev != prev.Hash() {
				return nil, errors.New("SM3 chain: prev is not the hash of the entry before")
			}
			if xorDigest(prev.Ecode, e.LSum) != e.Ecode {
				return nil, errors.New("ecode does not follow from the entry before")
			}
		}
	}
	if next, _, err := b.store.Entry(ctx, k+1); err == nil && next.Prev != e.Hash() {
		return nil, errors.New("SM3 chain: the entry after does not name it")
	}
	if leaf, err := b.store.nodeHashes(ctx, []compact.NodeID{compact.NewNodeID(0, k)}); err == nil && !bytes.Equal(leaf[0], e.LeafHash()) {
		return nil, errors.New("Merkle leaf differs from the log's")
	}
	if clue.HaveLSum && clue.LSum != e.LSum {
		return nil, errors.New("lsum differs from the one the neighbouring codes imply")
	}
	if clue.Payer != "" && (clue.Payer != e.Payer || clue.Amount != e.Amount) {
		return nil, errors.New("payer or amount differs from the balance jump")
	}
	if clue.Payee != "" && clue.Payee != e.Payee {
		return nil, errors.New("payee differs from the balance jump")
	}
	return &m, nil
}
