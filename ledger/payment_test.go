package ledger

import (
	"bytes"
	"errors"
	"testing"
)

// The payee accepts money only with the payer's template signed by the
// bank, and only if the template's key signed the money: a forged or
// mismatched template, or money signed by another key, is refused before
// anything is submitted.
func TestPaymentCarriesTheBanksEvidence(t *testing.T) {
	for _, scheme := range []Scheme{SM2, SM9} {
		bk := newBook(t, sqliteOpen(t), scheme)
		alice, bob, carol := bk.accts["alice"], bk.accts["bob"], bk.accts["carol"]
		bank, master := bk.bank.Verifier(), bk.bank.PublicKey()
		m, err := alice.Money("bob", 42, "evidence", bk.now)
		if err != nil {
			t.Fatal(err)
		}
		forged := alice.Hand(m)
		forged.Template.Sig3 = bytes.Clone(forged.Template.Sig3)
		forged.Template.Sig3[5] ^= 1
		byCarol, err := (&Account{Template: alice.Template, Signer: carol.Signer}).Money("bob", 42, "evidence", bk.now)
		if err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			p     *Payment
			payee *Account
			want  error
		}{
			"ok/payee":                 {alice.Hand(m), bob, nil},
			"fail/other-payee":         {alice.Hand(m), carol, ErrNotPayee},
			"fail/forged-template":     {forged, bob, ErrBadSignature},
			"fail/mismatched-template": {&Payment{Template: *carol.Template, Money: *m}, bob, ErrBadSignature},
			"fail/money-by-another":    {&Payment{Template: *alice.Template, Money: *byCarol}, bob, ErrBadSignature},
		} {
			// Through the wire, as the payee receives it.
			b, err := tc.p.MarshalBinary()
			if err != nil {
				t.Fatal(name, err)
			}
			dec, err := DecodeQRMessage(b)
			if err != nil {
				t.Fatal(name, err)
			}
			sub, err := tc.payee.Accept(dec.(*Payment), bank, master)
			if tc.want == nil && (err != nil || sub.Money.Digest() != m.Digest()) {
				t.Errorf("%v %s: %v", scheme, name, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%v %s: %v, want %v", scheme, name, err, tc.want)
			}
		}
		// A template of another bank (another key) vouches for nothing here.
		other := newBook(t, sqliteOpen(t), scheme)
		elsewhere := other.accts["alice"]
		m2, _ := elsewhere.Money("bob", 42, "evidence", bk.now)
		if _, err := bob.Accept(elsewhere.Hand(m2), bank, master); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%v: a template of another bank: %v", scheme, err)
		}
	}
}
