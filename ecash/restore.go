package ecash

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/blindsign/blindrsa"
)

// Restorer answers a restoring wallet: the blind signature issued for a
// blinded message (ErrUnknownKey if none) and whether a coin is spent.
// *Module implements it.
type Restorer interface {
	BlindSignature(ctx context.Context, blinded []byte) ([]byte, error)
	IsSpent(ctx context.Context, c SpentCoin) (bool, error)
}

// BlindSignature returns the blind signature the module issued for blinded.
func (m *Module) BlindSignature(ctx context.Context, blinded []byte) ([]byte, error) {
	return m.store.BlindSignature(ctx, blinded)
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

// restoreOne tries every key for coin index i.
func (w *Wallet) restoreOne(ctx context.Context, r Restorer, i uint64) (*Coin, error) {
	for _, k := range w.keys.Keys {
		stream := w.coinStream(i)
		m := CoinMessage{Denom: k.Denom, Epoch: k.Epoch}
		io.ReadFull(stream, m.Serial[:])
		client, err := blindrsa.NewClient(variant, k.PublicKey)
		if err != nil {
			return nil, err
		}
		blinded, state, err := client.Blind(stream, m.Encode())
		if err != nil {
			return nil, err
		}
		bs, err := r.BlindSignature(ctx, blinded)
		if errors.Is(err, ErrUnknownKey) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sig, err := client.Finalize(state, bs)
		if err != nil {
			return nil, fmt.Errorf("%w: restored signature for coin %d: %v", ErrBadSignature, i, err)
		}
		return &Coin{Message: m, Sig: sig}, nil
	}
	return nil, ErrUnknownKey
}
