package ecash

import (
	"fmt"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/wire"
)

// WalletState is what a wallet must keep between runs: the seed, the next
// coin index, the user-group key and the coins. (A TPM-bound coin also
// needs its key blob on the same TPM; see attest.Device.ExportKey.)
type WalletState struct {
	Seed   [32]byte
	Next   uint64
	Member []byte   // groupsig member key encoding
	Coins  [][]byte // Coin encodings
}

// State returns the wallet's state for storage.
func (w *Wallet) State() WalletState {
	st := WalletState{Seed: w.seed, Next: w.next}
	st.Member, _ = w.member.MarshalBinary()
	for i := range w.coins {
		enc, _ := w.coins[i].MarshalBinary()
		st.Coins = append(st.Coins, enc)
	}
	return st
}

// LoadWallet rebuilds a wallet from its stored state.
func LoadWallet(st WalletState, keys *KeySet, userKey *groupsig.PublicKey, device Device) (*Wallet, error) {
	mk, err := groupsig.ParseMemberKey(st.Member)
	if err != nil {
		return nil, err
	}
	w := NewWallet(st.Seed, keys, mk, userKey, device)
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

// UpdateUserKey replaces the user-group key (after a revocation epoch).
func (w *Wallet) UpdateUserKey(pk *groupsig.PublicKey) { w.userKey = pk }

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
