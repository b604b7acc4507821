package ecash

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"sync"
	"time"
)

// ChallengeTTL is how long a merchant's challenge stays answerable.
const ChallengeTTL = 5 * time.Minute

// Merchant verifies payments offline with one module key set and the
// user group's keys, and deposits them at its own bank. Its challenges name
// its bank and account there, so a payment cannot be deposited to anyone
// else.
type Merchant struct {
	bank    string
	account string
	keys    func() *KeySet
	users   UserKeys
	now     func() time.Time

	mu      sync.Mutex
	pending map[[NonceSize]byte]Challenge
}

// NewMerchant returns the merchant who is paid into account at bank; keys
// returns the current verified key set.
func NewMerchant(bank, account string, keys func() *KeySet, users UserKeys, now func() time.Time) *Merchant {
	if now == nil {
		now = time.Now
	}
	return &Merchant{bank: bank, account: account, keys: keys, users: users, now: now, pending: map[[NonceSize]byte]Challenge{}}
}

// Challenge starts a payment of amount.
func (m *Merchant) Challenge(amount Amount) (*Challenge, error) {
	if amount == 0 {
		return nil, fmt.Errorf("%w: zero amount", ErrMalformed)
	}
	ch := Challenge{Bank: m.bank, Account: m.account, Amount: amount, Time: m.now()}
	rand.Read(ch.Nonce[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	for n, c := range m.pending { // forget stale challenges
		if m.now().Sub(c.Time) > ChallengeTTL {
			delete(m.pending, n)
		}
	}
	m.pending[ch.Nonce] = ch
	return &ch, nil
}

// Accept verifies a payment against an open challenge of this merchant and
// closes the challenge, so the same transcript cannot be accepted twice.
func (m *Merchant) Accept(p *Payment) error {
	m.mu.Lock()
	ch, ok := m.pending[p.Challenge.Nonce]
	m.mu.Unlock()
	if !ok || string(ch.Encode()) != string(p.Challenge.Encode()) {
		return fmt.Errorf("%w: no open challenge matches", ErrChallenge)
	}
	if m.now().Sub(ch.Time) > ChallengeTTL {
		return fmt.Errorf("%w: challenge older than %v", ErrExpired, ChallengeTTL)
	}
	if err := VerifyPayment(p, m.keys(), m.users, m.now(), SpendWindow); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.pending[p.Challenge.Nonce]; !ok {
		return fmt.Errorf("%w: challenge already answered", ErrChallenge)
	}
	delete(m.pending, p.Challenge.Nonce)
	return nil
}

// DepositRequest wraps an accepted payment for deposit into the merchant's
// account, signed with the account key.
func (m *Merchant) DepositRequest(p *Payment, key ed25519.PrivateKey) (*DepositRequest, error) {
	enc, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	q := &DepositRequest{Account: m.account, Payment: enc}
	rand.Read(q.ID[:])
	q.SignWith(key)
	return q, nil
}
