package ledger

import (
	"fmt"

	"trustbank/internal/wire"
)

// KindPayment is the first byte of a Payment's encoding.
const KindPayment byte = 0x5A

// Payment is what the payer hands the payee in step 2: the money (QR2)
// together with the payer's template (QR1), the bank's evidence that the
// key which signed every field of the money is the payer's account key.
// The payee verifies both before it submits (Account.Accept), so money it
// cannot verify never reaches the bank.
type Payment struct {
	Template Template // the payer's, signed by the bank
	Money    Money    // signed field by field by the payer
}

// maxTemplate bounds an embedded template's encoding.
const maxTemplate = 1024

// MarshalBinary encodes the payment: kind, template, money.
func (p *Payment) MarshalBinary() ([]byte, error) {
	tb, err := p.Template.MarshalBinary()
	if err != nil {
		return nil, err
	}
	mb, err := p.Money.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var w wire.Writer
	w.U8(KindPayment)
	w.Bytes16(tb)
	w.Bytes16(mb)
	return w.B, nil
}

// UnmarshalBinary decodes a payment and checks its form (not its
// signatures: see Verify).
func (p *Payment) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if k := r.U8("kind"); r.Err() == nil && k != KindPayment {
		r.Fail("not a payment (kind %#x)", k)
	}
	tb := r.Bytes16(maxTemplate, "template")
	mb := r.Bytes16(4096, "money")
	if err := r.Done(); err != nil {
		return err
	}
	if err := p.Template.UnmarshalBinary(tb); err != nil {
		return err
	}
	return p.Money.UnmarshalBinary(mb)
}

// Verify checks the evidence chain of steps 1–2 as the payee holds it: the
// template's three bank signatures (bank; master is the SM9 master public
// key, or nil), that the template is the payer's and in the money's
// currency, and the money's five field signatures under the template's
// key. A mismatched template is ErrBadSignature: it vouches for no
// signature of this money.
func (p *Payment) Verify(bank Verifier, master []byte) error {
	t, m := &p.Template, &p.Money
	if err := t.Verify(bank); err != nil {
		return err
	}
	if t.Account != m.Payer || t.Currency != m.Currency {
		return fmt.Errorf("%w: money of %s in %s with the template of %s in %s", ErrBadSignature, m.Payer, m.Currency, t.Account, t.Currency)
	}
	payer, err := AccountVerifier(t, master)
	if err != nil {
		return err
	}
	return m.Verify(payer)
}

// Hand wraps money this account made with its template, for the payee.
func (a *Account) Hand(m *Money) *Payment { return &Payment{Template: *a.Template, Money: *m} }

// Accept verifies a payment (see Payment.Verify) and, if it is for this
// account, signs its submission to the bank (step 3).
func (a *Account) Accept(p *Payment, bank Verifier, master []byte) (*Submission, error) {
	if err := p.Verify(bank, master); err != nil {
		return nil, fmt.Errorf("payment refused before submission: %w", err)
	}
	return a.Submit(&p.Money)
}
