package ecash

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/blindsign/blindrsa"
)

// Restorer answers a restoring wallet: the blind signatures issued for
// blinded messages (nil where none was) and whether a coin is spent.
// *Module implements it, and so does the HTTP client.
type Restorer interface {
	BlindSignatures(ctx context.Context, blinded [][]byte) ([][]byte, error)
	IsSpent(ctx context.Context, c SpentCoin) (bool, error)
}

// MaxRestoreBatch bounds one BlindSignatures call.
const MaxRestoreBatch = 256

// BlindSignatures returns the blind signatures the module issued for the
// blinded messages, nil where it issued none.
func (m *Module) BlindSignatures(ctx context.Context, blinded [][]byte) ([][]byte, error) {
	if len(blinded) > MaxRestoreBatch {
		return nil, fmt.Errorf("%w: %d messages in one restore call, at most %d", ErrMalformed, len(blinded), MaxRestoreBatch)
	}
	out := make([][]byte, len(blinded))
	for i, b := range blinded {
		sig, err := m.store.BlindSignature(ctx, b)
		if err != nil && !errors.Is(err, ErrUnknownKey) {
			return nil, err
		}
		out[i] = sig
	}
	return out, nil
}

// IsSpent reports whether a coin is in the spent registry.
func (m *Module) IsSpent(ctx context.Context, c SpentCoin) (bool, error) {
	return m.store.IsSpent(ctx, c)
}

// Restore recovers the wallet's unbound coins from its seed alone: for coin
// index 0, 1, … it re-derives the serial and blinding, re-blinds the coin
// message under every key of the key set, and asks the module for the
// signature it issued; it stops after gap indexes in a row with none. Coins
// already spent are skipped. It returns how many coins it recovered.
//
// Bound coins cannot be restored from the seed: their keys live in the TPM
// that made them (that is the point of binding); back up the TPM key blobs
// (attest.Device.ExportKey) to restore them on the same TPM.
func (w *Wallet) Restore(ctx context.Context, r Restorer, gap int) (int, error) {
	found, misses := 0, 0
	for i := uint64(0); misses < gap; i++ {
		c, err := w.restoreOne(ctx, r, i)
		switch {
		case errors.Is(err, ErrUnknownKey):
			misses++
			continue
		case err != nil:
			return found, err
		}
		misses = 0
		w.next = max(w.next, i+1)
		spent, err := r.IsSpent(ctx, SpentCoin{Epoch: c.Message.Epoch, Serial: c.Message.Serial})
		if err != nil {
			return found, err
		}
		if !spent {
			w.coins = append(w.coins, *c)
			found++
		}
	}
	return found, nil
}

// restoreOne tries every key for coin index i, in one lookup.
func (w *Wallet) restoreOne(ctx context.Context, r Restorer, i uint64) (*Coin, error) {
	type candidate struct {
		m      CoinMessage
		client blindrsa.Client
		state  blindrsa.State
	}
	var cands []candidate
	var blinded [][]byte
	for _, k := range w.keys.Keys {
		stream := w.coinStream(i)
		m := CoinMessage{Denom: k.Denom, Epoch: k.Epoch}
		io.ReadFull(stream, m.Serial[:])
		client, err := blindrsa.NewClient(variant, k.PublicKey)
		if err != nil {
			return nil, err
		}
		b, state, err := client.Blind(stream, m.Encode())
		if err != nil {
			return nil, err
		}
		cands, blinded = append(cands, candidate{m, client, state}), append(blinded, b)
	}
	for start := 0; start < len(blinded); start += MaxRestoreBatch {
		end := min(start+MaxRestoreBatch, len(blinded))
		sigs, err := r.BlindSignatures(ctx, blinded[start:end])
		if err != nil {
			return nil, err
		}
		for j, bs := range sigs {
			if bs == nil {
				continue
			}
			c := cands[start+j]
			sig, err := c.client.Finalize(c.state, bs)
			if err != nil {
				return nil, fmt.Errorf("%w: restored signature for coin %d: %v", ErrBadSignature, i, err)
			}
			return &Coin{Message: c.m, Sig: sig}, nil
		}
	}
	return nil, ErrUnknownKey
}
