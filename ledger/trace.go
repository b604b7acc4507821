package ledger

import (
	"errors"
	"fmt"
)

// Evidence is what the three books hold of one transaction: the payee's
// collection notice (step 1), the payer's template and money (step 2), the
// bank's settlement notice (steps 3–5: the money was submitted, booked and
// settled), the payer's balance notice (step 6) and the payee's receipt.
type Evidence struct {
	Collection *CollectionNotice
	Payer      *Template
	Money      *Money
	Settlement *Settlement
	Balance    *Settlement
	Receipt    *Receipt
}

// StepError names the step of the six-step transaction whose evidence is
// missing or does not link to the step before.
type StepError struct {
	Step int
	Name string
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("ledger: evidence chain broken at step %d (%s): %v", e.Step, e.Name, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

var errMissing = errors.New("missing")

// Trace walks the evidence in step order with the bank's verifier (and,
// in SM9 deployments, its master public key) and returns a *StepError for
// the first step that fails, or nil if the chain is whole.
func Trace(ev *Evidence, bank Verifier, master []byte) error {
	step := func(n int, name string, err error) error {
		if err == nil {
			return nil
		}
		return &StepError{Step: n, Name: name, Err: err}
	}
	c := ev.Collection
	if c == nil {
		return step(1, "collection notice", errMissing)
	}
	payee, err := AccountVerifier(&c.Payee, master)
	if err == nil {
		err = c.Verify(bank, payee)
	}
	if err := step(1, "collection notice", err); err != nil {
		return err
	}
	m := ev.Money
	if m == nil || ev.Payer == nil {
		return step(2, "digital money", errMissing)
	}
	err = ev.Payer.Verify(bank)
	var payer Verifier
	if err == nil {
		payer, err = AccountVerifier(ev.Payer, master)
	}
	if err == nil && ev.Payer.Account != m.Payer {
		err = fmt.Errorf("money is from %s, template is %s's", m.Payer, ev.Payer.Account)
	}
	if err == nil {
		err = m.Verify(payer)
	}
	if err == nil && (m.Payee != c.Payee.Account || m.Amount != c.Amount || m.Currency != c.Currency || m.Purpose != c.Purpose) {
		err = errors.New("money does not answer the collection notice (payee, amount, currency or purpose differ)")
	}
	if err := step(2, "digital money", err); err != nil {
		return err
	}
	st := ev.Settlement
	if st == nil {
		return step(3, "submission and booking", errMissing)
	}
	if err := step(3, "submission and booking", st.Entry.Matches(m)); err != nil {
		return err
	}
	if err := step(5, "settlement notice", st.Verify(bank)); err != nil {
		return err
	}
	bn := ev.Balance
	if bn == nil {
		return step(6, "balance notice", errMissing)
	}
	err = bn.Verify(bank)
	if err == nil && !bn.IsBalanceNotice() {
		err = errors.New("not a balance notice")
	}
	if err == nil && bn.Entry.Hash() != st.Entry.Hash() {
		err = errors.New("balance notice is for another entry")
	}
	if err := step(6, "balance notice", err); err != nil {
		return err
	}
	rc := ev.Receipt
	if rc == nil {
		return step(7, "receipt", errMissing)
	}
	err = rc.Verify(payee)
	if err == nil && (rc.Money != m.Digest() || rc.Settlement != st.Digest()) {
		err = errors.New("receipt names another money or notice")
	}
	return step(7, "receipt", err)
}
