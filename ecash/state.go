package ecash

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/wire"
)

// WalletState is what a wallet must keep between runs: the seed, the next
// coin index, the user-group keys (one per user epoch the wallet holds
// coins of, newest last) and the coins. (A TPM-bound coin also needs its
// key blob on the same TPM; see attest.Device.ExportKey.)
type WalletState struct {
	Seed    [32]byte
	Next    uint64
	Members [][]byte // groupsig member key encodings
	Coins   [][]byte // Coin encodings
}

// State returns the wallet's state for storage. Keys of user epochs no
// coin escrows any more are dropped, the newest is always kept.
func (w *Wallet) State() WalletState {
	st := WalletState{Seed: w.seed, Next: w.next}
	need := map[uint64]bool{w.userEpoch(): true}
	for i := range w.coins {
		need[w.coins[i].Message.Users] = true
		enc, _ := w.coins[i].MarshalBinary()
		st.Coins = append(st.Coins, enc)
	}
	for _, e := range slices.Sorted(maps.Keys(w.members)) {
		if need[e] {
			enc, _ := w.members[e].MarshalBinary()
			st.Members = append(st.Members, enc)
		}
	}
	return st
}

// LoadWallet rebuilds a wallet from its stored state.
func LoadWallet(st WalletState, keys *KeySet, users UserKeys, device Device) (*Wallet, error) {
	if len(st.Members) == 0 {
		return nil, fmt.Errorf("%w: wallet state without a user key", ErrMalformed)
	}
	var w *Wallet
	for i, b := range st.Members {
		mk, err := groupsig.ParseMemberKey(b)
		if err != nil {
			return nil, fmt.Errorf("stored user key %d: %w", i, err)
		}
		if w == nil {
			w = NewWallet(st.Seed, keys, mk, users, device)
		}
		w.members[mk.Epoch] = mk
	}
	w.next = st.Next
	for i, b := range st.Coins {
		var c Coin
		if err := c.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("stored coin %d: %w", i, err)
		}
		w.coins = append(w.coins, c)
	}
	return w, nil
}

// ParseChallenge decodes a challenge (as Encode writes it).
func ParseChallenge(b []byte) (*Challenge, error) {
	r := wire.NewReader(b)
	var c Challenge
	c.read(r)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: challenge: %w", ErrMalformed, err)
	}
	return &c, nil
}

// Pending returns the merchant's open challenges (to store between runs).
func (m *Merchant) Pending() []Challenge {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Challenge, 0, len(m.pending))
	for _, c := range m.pending {
		out = append(out, c)
	}
	return out
}

// Reopen restores stored open challenges that have not expired.
func (m *Merchant) Reopen(cs []Challenge) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range cs {
		if m.now().Sub(c.Time) <= ChallengeTTL && c.Time.Before(m.now().Add(time.Minute)) {
			m.pending[c.Nonce] = c
		}
	}
}
