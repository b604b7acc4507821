package ledger

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/money"
	"trustbank/internal/sqldb"
)

// ledgerModel is what the book must hold: it changes only when an
// operation succeeds, so comparing it with the bank after every operation
// shows that every refused one changed nothing.
type ledgerModel struct {
	bk       *book
	balances map[string]uint64
	names    []string
	small    []string // accounts not opened at MaxBalance
	paidIn   uint64
	booked   uint64
	edges    map[string]int // limits the operations ran into
}

// edgeLedgerAmount draws an amount near one of the limits, or an ordinary one.
func edgeLedgerAmount(r *mrand.Rand) uint64 {
	near := func(v uint64) uint64 { return v - 64 + r.Uint64N(128) }
	switch r.IntN(7) {
	case 0:
		return 1 + r.Uint64N(1000)
	case 1, 2:
		return near(MaxAmount)
	case 3:
		return near(MaxAmount / 2)
	case 4:
		return near(1 << 63)
	case 5:
		return r.Uint64()
	}
	return 1 + r.Uint64N(MaxAmount)
}

// The money invariant of the book at the edges: random openings and
// bookings with amounts near MaxAmount, MaxBalance, MaxSupply, 2^63 and
// beyond. Balances always sum to the openings, every refusal is the right
// error and books nothing, and a reopened bank reads the same balances
// from the book.
func TestBookInvariantAtTheEdges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		m := &ledgerModel{bk: newBook(t, open, SM2), balances: map[string]uint64{}, edges: map[string]int{}}
		for name := range m.bk.accts {
			m.balances[name], m.paidIn = opening, m.paidIn+opening
			m.names, m.small = append(m.names, name), append(m.small, name)
		}
		r := mrand.New(mrand.NewPCG(7, 6))
		refused := map[string]int{}
		for i := range 1500 {
			if i == 1000 { // then a book near its supply: 512 balances of MaxBalance
				for j := 0; m.paidIn < money.MaxSupply-3*MaxBalance; j++ {
					must(t, m.open(t, fmt.Sprintf("big-%d", j), MaxBalance))
				}
			}
			op, err := "book", error(nil)
			if r.IntN(5) == 0 {
				op, err = "open", m.open(t, fmt.Sprintf("acct-%d", i), edgeLedgerAmount(r))
			} else {
				err = m.book(t, r)
			}
			if err != nil {
				refused[op+"/"+ledgerErrName(err)]++
			}
			m.check(t, i%100 == 99)
		}
		t.Logf("%d booked; refused: %v; limits met: %v", m.booked, refused, m.edges)
		if m.booked < 300 {
			t.Errorf("only %d of 1500 operations booked: the test mostly checks refusals", m.booked)
		}
		for _, want := range []string{"opening", "supply", "amount", "balance"} {
			if m.edges[want] == 0 {
				t.Errorf("no operation met the %s limit", want)
			}
		}
		m.bk.reopen()
		m.check(t, true)
	})
}

func ledgerErrName(err error) string {
	switch {
	case errors.Is(err, ErrAmountRange):
		return "amount_range"
	case errors.Is(err, ErrInsufficientFunds):
		return "insufficient_funds"
	case errors.Is(err, ErrAccountExists):
		return "account_exists"
	}
	return err.Error()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (m *ledgerModel) open(t *testing.T, name string, bal uint64) error {
	var want error
	_, supply := money.AddSupply(m.paidIn, bal)
	switch {
	case bal > MaxBalance:
		want = ErrAmountRange
		m.edges["opening"]++
	case supply != nil:
		want = ErrAmountRange
		m.edges["supply"]++
	}
	s, err := GenerateSM2()
	must(t, err)
	tmpl, err := m.bk.bank.OpenAccount(m.bk.ctx, name, s.PublicKey(), bal)
	if (want == nil) != (err == nil) || !errors.Is(err, want) {
		t.Fatalf("open %s with %d (%d paid in): %v, want %v", name, bal, m.paidIn, err, want)
	}
	if err == nil {
		m.bk.accts[name] = NewAccount(tmpl, s)
		m.balances[name], m.paidIn = bal, m.paidIn+bal
		m.names = append(m.names, name)
		if bal < MaxBalance {
			m.small = append(m.small, name)
		}
	}
	return err
}

func (m *ledgerModel) book(t *testing.T, r *mrand.Rand) error {
	payer := m.names[r.IntN(len(m.names))]
	payee := m.names[r.IntN(len(m.names))]
	if r.IntN(2) == 0 { // money circulates among the accounts not opened full
		payer = m.small[r.IntN(len(m.small))]
	}
	if r.IntN(4) != 0 {
		payee = m.small[r.IntN(len(m.small))]
	}
	if payer == payee {
		return nil
	}
	amount := edgeLedgerAmount(r)
	switch r.IntN(5) {
	case 0: // all the payer has, or nearly
		amount = max(1, m.balances[payer]-min(m.balances[payer], r.Uint64N(3)))
	case 1: // what fills the payee up, or one more
		amount = max(1, MaxBalance-m.balances[payee]+r.Uint64N(2))
	case 2, 3: // some of what the payer has
		amount = 1 + r.Uint64N(max(1, m.balances[payer]))
	}
	var want error
	switch {
	case amount > MaxAmount:
		want = ErrAmountRange
		m.edges["amount"]++
	case amount > m.balances[payer]:
		want = ErrInsufficientFunds
	case m.balances[payee]+amount > MaxBalance:
		want = ErrAmountRange
		m.edges["balance"]++
	}
	m.bk.now = m.bk.now.Add(time.Millisecond)
	mo, err := m.bk.accts[payer].Money(payee, amount, "edge", m.bk.now)
	must(t, err)
	s, err := m.bk.accts[payee].Submit(mo)
	must(t, err)
	_, err = m.bk.bank.Submit(m.bk.ctx, s)
	if (want == nil) != (err == nil) || !errors.Is(err, want) {
		t.Fatalf("%s pays %s %d (holding %d, %d): %v, want %v", payer, payee, amount, m.balances[payer], m.balances[payee], err, want)
	}
	if err == nil {
		m.balances[payer] -= amount
		m.balances[payee] += amount
		m.booked++
	}
	return err
}

// check compares the bank with the model: size and totals always, every
// balance when full.
func (m *ledgerModel) check(t *testing.T, full bool) {
	t.Helper()
	bal, open := m.bk.bank.Totals()
	if bal != m.paidIn || open != m.paidIn || m.bk.bank.Size() != m.booked {
		t.Fatalf("totals %d, openings %d, size %d; model %d paid in, %d booked", bal, open, m.bk.bank.Size(), m.paidIn, m.booked)
	}
	if !full {
		return
	}
	for name, want := range m.balances {
		got, err := m.bk.bank.Balance(name)
		must(t, err)
		if got != want {
			t.Fatalf("%s: balance %d, model %d", name, got, want)
		}
	}
}
