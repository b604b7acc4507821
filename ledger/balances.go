package ledger

import (
	"context"
	"fmt"
	"maps"

	"github.com/emmansun/gmsm/sm2"
)

// bookBalances reads every account's balance after the first size
// entries of the book: the balance after the last entry naming it, or its
// opening balance if none does — whatever batches the loop sequenced and
// the book never committed held. It takes b.mu only to list the accounts
// (an account opened meanwhile has its opening balance, and no entry).
func (b *Bank) bookBalances(ctx context.Context, size uint64) (map[*account]uint64, error) {
	if err := b.store.fail("state.load"); err != nil {
		return nil, err
	}
	b.mu.RLock()
	accts := maps.Clone(b.accounts)
	b.mu.RUnlock()
	keys := map[uint64][]byte{}
	bals := make(map[*account]uint64, len(accts))
	for name, a := range accts {
		bals[a] = a.opening
		e, err := b.store.neighbour(ctx, name, size, false)
		if err != nil {
			return nil, err
		}
		if e == nil {
			continue
		}
		if bals[a], err = b.entryBalance(ctx, e, name, keys); err != nil {
			return nil, err
		}
	}
	return bals, nil
}

// setBalances makes bals every account's committed and sequenced balance
// (the caller holds seqMu and stateMu, or owns the bank).
func setBalances(bals map[*account]uint64) {
	for a, v := range bals {
		a.balance, a.seq = v, v
	}
}

// batchKey unwraps the balance key of a batch (β) with the bank's key.
func (b *Bank) batchKey(ctx context.Context, id uint64, cache map[uint64][]byte) ([]byte, error) {
	if k, ok := cache[id]; ok {
		return k, nil
	}
	beta, err := b.store.batchBeta(ctx, id)
	if err != nil {
		return nil, err
	}
	k, err := sm2.Decrypt(b.keys.Enc, beta)
	if err != nil {
		return nil, fmt.Errorf("ledger: unwrap key of batch %d: %w", id, err)
	}
	if cache != nil {
		cache[id] = k
	}
	return k, nil
}

// entryBalance decrypts account's balance after entry e.
func (b *Bank) entryBalance(ctx context.Context, e *Entry, name string, cache map[uint64][]byte) (uint64, error) {
	k, err := b.batchKey(ctx, e.Batch, cache)
	if err != nil {
		return 0, err
	}
	ct := e.PayeeBalance
	if e.Payer == name {
		ct = e.PayerBalance
	}
	return openBalance(k, e.Index, name, ct)
}

// Balance is the current balance of account name (the bank decrypts it).
func (b *Bank) Balance(name string) (uint64, error) {
	a, err := b.account(name)
	if err != nil {
		return 0, err
	}
	b.stateMu.RLock()
	defer b.stateMu.RUnlock()
	return a.balance, nil
}

// Totals returns the sum of all balances and the sum of opening balances:
// they are equal while no money is lost or created. Neither can overflow:
// openings add up to at most money.MaxSupply, and so do balances while
// the invariant holds.
func (b *Bank) Totals() (balances, opening uint64) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	b.stateMu.RLock()
	defer b.stateMu.RUnlock()
	for _, a := range b.accounts {
		balances += a.balance
		opening += a.opening
	}
	return balances, opening
}
