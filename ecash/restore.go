package ecash

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cloudflare/circl/blindsign/blindrsa"
)

// Restorer answers a restoring wallet: the blind signatures issued for
// blinded messages (nil where none was), and the spent-coin registry one
// bucket at a time, so the wallet never names a serial. *Module implements
// it, and so does the HTTP client.
type Restorer interface {
	BlindSignatures(ctx context.Context, blinded [][]byte) ([][]byte, error)
	SpentBucketBits(ctx context.Context, e Epoch) (uint8, error)
	SpentBucket(ctx context.Context, e Epoch, bits uint8, prefix uint32) ([]uint64, error)
}

// MaxRestoreBatch bounds one BlindSignatures call.
const MaxRestoreBatch = 256

// DefaultRestoreAnonymity is the least number of spent coins a bucket of
// the spent registry holds on average (ModuleConfig.RestoreAnonymity).
const DefaultRestoreAnonymity = 1024

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

// SpentBucketBits returns how many leading bits of a serial name a bucket
// of epoch e's spent registry: the most that still leave every bucket
// RestoreAnonymity spent coins on average (0 — the whole epoch — for a
// small registry), at most 16. Every wallet gets the same answer.
func (m *Module) SpentBucketBits(ctx context.Context, e Epoch) (uint8, error) {
	n, err := m.store.SpentCount(ctx, e)
	if err != nil {
		return 0, err
	}
	var bits uint8
	for bits < 16 && n>>(bits+1) >= int64(m.cfg.RestoreAnonymity) {
		bits++
	}
	return bits, nil
}

// SpentBucket returns the first 8 bytes of every spent serial of epoch e in
// the bucket whose first `bits` bits are prefix. It refuses buckets
// narrower than SpentBucketBits allows: a narrow bucket would tell the
// module which coin a wallet asks about.
func (m *Module) SpentBucket(ctx context.Context, e Epoch, bits uint8, prefix uint32) ([]uint64, error) {
	allowed, err := m.SpentBucketBits(ctx, e)
	if err != nil {
		return nil, err
	}
	if bits > allowed {
		return nil, fmt.Errorf("%w: buckets of epoch %d have at most %d bits, asked %d", ErrMalformed, e, allowed, bits)
	}
	return m.store.SpentBucket(ctx, e, bits, prefix)
}

// Restore recovers the wallet's unbound coins from its seed alone: for coin
// index 0, 1, … it re-derives the serial, blinding and identity escrow,
// re-blinds the coin message under every key of the key set whose user
// epoch the wallet has a key for, and asks the module for the signature it
// issued; it stops after gap indexes in a row with none. Coins already
// spent are left out; whether a coin is spent is looked up by downloading
// the spent-registry bucket it falls in (Module.SpentBucketBits), never by
// its serial, so the module cannot link the restored withdrawals to their
// deposits. It returns how many coins it recovered.
//
// Bound coins cannot be restored from the seed: their keys live in the TPM
// that made them (that is the point of binding); back up the TPM key blobs
// (attest.Device.ExportKey) to restore them on the same TPM.
func (w *Wallet) Restore(ctx context.Context, r Restorer, gap int) (int, error) {
	var found []Coin
	for i, misses := uint64(0), 0; misses < gap; i++ {
		c, err := w.restoreOne(ctx, r, i)
		switch {
		case errors.Is(err, ErrUnknownKey):
			misses++
			continue
		case err != nil:
			return 0, err
		}
		misses = 0
		w.next = max(w.next, i+1)
		found = append(found, *c)
	}
	unspent, err := unspentOf(ctx, r, found)
	if err != nil {
		return 0, err
	}
	w.coins = append(w.coins, unspent...)
	return len(unspent), nil
}

// unspentOf drops the spent coins, one bucket download per bucket touched.
func unspentOf(ctx context.Context, r Restorer, coins []Coin) ([]Coin, error) {
	type bucket struct {
		epoch  Epoch
		prefix uint32
	}
	bitsOf := map[Epoch]uint8{}
	spent := map[bucket][]uint64{}
	var out []Coin
	for _, c := range coins {
		e := c.Message.Epoch
		bits, ok := bitsOf[e]
		if !ok {
			var err error
			if bits, err = r.SpentBucketBits(ctx, e); err != nil {
				return nil, err
			}
			bitsOf[e] = bits
		}
		head := binary.BigEndian.Uint64(c.Message.Serial[:])
		b := bucket{e, uint32(head >> (64 - uint64(bits)))} // bits 0: prefix 0
		list, ok := spent[b]
		if !ok {
			var err error
			if list, err = r.SpentBucket(ctx, e, bits, b.prefix); err != nil {
				return nil, err
			}
			spent[b] = list
		}
		if _, hit := slices.BinarySearch(list, head); !hit {
			out = append(out, c)
		}
	}
	return out, nil
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
	escrows := map[uint64][CommitSize]byte{}
	for _, k := range w.keys.Keys {
		if w.members[k.Users] == nil {
			continue
		}
		stream := w.coinStream(i)
		m := CoinMessage{Denom: k.Denom, Epoch: k.Epoch, Users: k.Users}
		io.ReadFull(stream, m.Serial[:])
		esc, ok := escrows[k.Users]
		if !ok {
			e, sec, err := w.escrow(m.Serial, k.Users)
			if err != nil {
				return nil, err
			}
			sec.Zeroize()
			esc = EscrowHash(e)
			escrows[k.Users] = esc
		}
		m.Escrow = esc
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
