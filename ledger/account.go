package ledger

import (
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

// Account is an account holder's side (the card-held key of the paper):
// it asks for payments, pays, submits, and gives receipts.
type Account struct {
	Template *Template
	Signer   Signer
	last     int64 // the last money time used, so each money has its own
}

// NewAccount pairs a template with the account's signing key.
func NewAccount(t *Template, s Signer) *Account { return &Account{Template: t, Signer: s} }

// LastTime is the time of the last money made (kept by wallets across runs,
// so each money has its own time); SetLastTime restores it.
func (a *Account) LastTime() int64 { return a.last }

// SetLastTime restores the time of the last money made.
func (a *Account) SetLastTime(t int64) { a.last = max(a.last, t) }

// Name is the account name.
func (a *Account) Name() string { return a.Template.Account }

// Collect makes a collection notice (step 1) asking for amount.
func (a *Account) Collect(amount uint64, purpose string, now time.Time) (*CollectionNotice, error) {
	c := &CollectionNotice{Payee: *a.Template, Amount: amount, Currency: a.Template.Currency, Purpose: purpose, Time: now.UnixMilli()}
	sig, err := a.Signer.Sign(c.body())
	if err != nil {
		return nil, err
	}
	c.Sig = sig
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// Pay checks a collection notice against the bank (bank verifies the
// payee's template; master is the SM9 master public key, or nil) and
// makes the money it asks for (step 2).
func (a *Account) Pay(c *CollectionNotice, bank Verifier, master []byte, now time.Time) (*Money, error) {
	v, err := AccountVerifier(&c.Payee, master)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(bank, v); err != nil {
		return nil, err
	}
	return a.Money(c.Payee.Account, c.Amount, c.Purpose, now)
}

// Money makes money for payee directly.
func (a *Account) Money(payee string, amount uint64, purpose string, now time.Time) (*Money, error) {
	t := max(now.UnixMilli(), a.last+1)
	m := &Money{Payer: a.Name(), Time: t, Amount: amount, Currency: a.Template.Currency, Purpose: purpose, Payee: payee}
	m.LSum = m.LinearSum()
	fields := m.fields()
	sigs := make([][]byte, len(fields))
	for i, f := range fields {
		s, err := a.Signer.Sign(f)
		if err != nil {
			return nil, err
		}
		sigs[i] = s
	}
	m.Sig3, m.Sig4, m.Sig5, m.Sig6, m.Sig7 = sigs[0], sigs[1], sigs[2], sigs[3], sigs[4]
	if err := m.check(); err != nil {
		return nil, err
	}
	a.last = t
	return m, nil
}

// Submit signs money addressed to this account for the bank (step 3).
func (a *Account) Submit(m *Money) (*Submission, error) {
	if m.Payee != a.Name() {
		return nil, fmt.Errorf("%w: money is for %s, not %s", ErrNotPayee, m.Payee, a.Name())
	}
	sig, err := a.Signer.Sign(submitMsg(m.Digest()))
	if err != nil {
		return nil, err
	}
	return &Submission{Money: *m, Sig: sig}, nil
}

// Receipt is the payee's receipt (QR5) for money settled by notice n.
func (a *Account) Receipt(m *Money, n *Settlement, now time.Time) (*Receipt, error) {
	r := &Receipt{Payee: a.Name(), Payer: m.Payer, Amount: m.Amount, Currency: m.Currency, Purpose: m.Purpose,
		Money: m.Digest(), Settlement: n.Digest(), Time: now.UnixMilli()}
	sig, err := a.Signer.Sign(r.body())
	if err != nil {
		return nil, err
	}
	r.Sig = sig
	return r, nil
}

// OpenBalance decrypts the balance in a balance notice (QR4) with the
// payer's SM2 key.
func OpenBalance(n *Settlement, key *sm2.PrivateKey) (uint64, error) {
	if !n.IsBalanceNotice() {
		return 0, fmt.Errorf("ledger: not a balance notice")
	}
	pt, err := sm2.Decrypt(key, n.Balance)
	if err != nil || len(pt) != 8 {
		return 0, ErrBalanceKey
	}
	var v uint64
	for _, c := range pt {
		v = v<<8 | uint64(c)
	}
	return v, nil
}
