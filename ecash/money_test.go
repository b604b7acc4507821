package ecash

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/money"
	"trustbank/internal/sqldb"
)

// moneyModel is what the store must hold after a sequence of operations:
// it changes only when an operation succeeds, so comparing it with the
// store after every operation shows that every refused one changed nothing.
type moneyModel struct {
	balances  map[string]Amount // "bank/id" → balance
	float     Amount
	paidIn    Amount
	positions map[string]int64
	coins     []edgeCoin
	evidence  map[string]int64 // serial + transcript digest → evidence id
	withdrawn []Withdrawal
	edges     map[string]int // limits the operations ran into
}

type edgeCoin struct {
	SpentCoin
	value Amount
	spent bool
}

var edgeBanks = []string{"bank-a", "bank-b"}

// edgeAmount draws an amount near one of the limits, or an ordinary one.
func edgeAmount(r *mrand.Rand) Amount {
	near := func(v uint64) Amount { return Amount(v - 64 + r.Uint64N(128)) }
	switch r.IntN(8) {
	case 0:
		return Amount(1 + r.Uint64N(1000))
	case 1, 2:
		return near(money.MaxAmount)
	case 3:
		return near(money.MaxAmount / 2)
	case 4:
		return near(1 << 63)
	case 5:
		return Amount(r.Uint64())
	case 6:
		return near(1 << 46) // the largest withdrawal coins can make
	}
	return Amount(r.Uint64N(uint64(MaxAmount)))
}

// The money invariant at the edges: thousands of random opens, withdrawals,
// deposits (with double spends and replays) and retries against the store,
// with amounts near MaxAmount, MaxBalance, 2^63 and beyond. Balances plus
// float always equal the money paid in, positions offset the float, every
// refusal is the right error and changes nothing, and no value is ever
// stored out of range.
func TestMoneyInvariantAtTheEdges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		st, err := NewSQLStore(ctx, open())
		must(t, err)
		defer st.Close()
		m := &moneyModel{balances: map[string]Amount{}, positions: map[string]int64{}, evidence: map[string]int64{}, edges: map[string]int{}}
		r := mrand.New(mrand.NewPCG(9, 8))
		m.seed(t, st, 508)
		refused := map[string]int{}
		for i := range 2500 {
			var op string
			var err error
			switch k := r.IntN(10); {
			case k < 3:
				op, err = "open", m.open(t, st, r, i)
			case k < 6:
				op, err = "withdraw", m.withdraw(t, st, r)
			case k < 9:
				op, err = "deposit", m.deposit(t, st, r)
			default:
				op, err = "retry", m.retry(t, st, r)
			}
			if err != nil {
				refused[op+"/"+errName(err)]++
			}
			m.check(t, st, i%100 == 99)
		}
		t.Logf("refused: %v; limits met: %v", refused, m.edges)
		for _, want := range []string{"open/amount_range", "withdraw/amount_range", "deposit/amount_range", "deposit/double_spend"} {
			if refused[want] == 0 {
				t.Errorf("no operation was refused as %s: the test does not reach that edge", want)
			}
		}
		// (The position limit is out of reach while the invariant holds: see
		// package money. The model still checks every position.)
		for _, want := range []string{"opening", "supply", "withdrawal", "deposit", "balance"} {
			if m.edges[want] == 0 {
				t.Errorf("no operation met the %s limit", want)
			}
		}
	})
}

// seed brings the book near MaxSupply and bank-a's clearing position near
// −MaxPosition: n accounts at MaxBalance (MaxSupply is 512 of them), each
// withdrawn in full at bank-a.
func (m *moneyModel) seed(t *testing.T, st *SQLStore, n int) {
	for i := range n {
		id := fmt.Sprintf("big-%d", i)
		must(t, m.openOf(t, st, "bank-a", id, MaxBalance))
		must(t, m.withdrawOf(t, st, "bank-a/"+id, MaxBalance))
	}
}

func errName(err error) string {
	for _, c := range []struct {
		err  error
		name string
	}{{ErrAmountRange, "amount_range"}, {ErrDoubleSpend, "double_spend"}, {ErrInsufficientFunds, "insufficient_funds"},
		{ErrAccountExists, "account_exists"}, {ErrUnknownAccount, "unknown_account"}, {ErrRequestReused, "request_reused"}} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return err.Error()
}

// expect fails the test unless err is want (nil: success).
func expect(t *testing.T, what string, err, want error) {
	t.Helper()
	if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func (m *moneyModel) open(t *testing.T, st *SQLStore, r *mrand.Rand, i int) error {
	bank := edgeBanks[r.IntN(2)]
	id := fmt.Sprintf("acct-%d", i)
	if len(m.balances) > 0 && r.IntN(10) == 0 {
		_, id = splitKey(m.someAccount(r))
	}
	return m.openOf(t, st, bank, id, edgeAmount(r))
}

func (m *moneyModel) openOf(t *testing.T, st *SQLStore, bank, id string, bal Amount) error {
	var want error
	_, exists := m.balances[bank+"/"+id]
	_, supplyErr := money.AddSupply(m.paidIn, bal)
	switch {
	case bal > MaxBalance:
		want = ErrAmountRange
		m.edges["opening"]++
	case supplyErr != nil:
		want = ErrAmountRange
		m.edges["supply"]++
	case exists:
		want = ErrAccountExists
	}
	err := st.OpenAccount(ctx, Account{Bank: bank, ID: id, Owner: id, Key: make([]byte, 32), Balance: bal})
	expect(t, fmt.Sprintf("open %s/%s with %d", bank, id, bal), err, want)
	if err == nil {
		m.balances[bank+"/"+id] = bal
		m.paidIn += bal
	}
	return err
}

// someAccount returns a random account key ("bank/id").
func (m *moneyModel) someAccount(r *mrand.Rand) string {
	n := r.IntN(len(m.balances))
	for k := range m.balances {
		if n == 0 {
			return k
		}
		n--
	}
	panic("unreachable")
}

func (m *moneyModel) withdraw(t *testing.T, st *SQLStore, r *mrand.Rand) error {
	if len(m.balances) == 0 {
		return nil
	}
	key := m.someAccount(r)
	amount := edgeAmount(r)
	if r.IntN(2) == 0 { // often all of it, or nearly: the balance is near a limit too
		amount = m.balances[key] - min(m.balances[key], Amount(r.IntN(3)))
	}
	return m.withdrawOf(t, st, key, amount)
}

func (m *moneyModel) withdrawOf(t *testing.T, st *SQLStore, key string, amount Amount) error {
	bank, id := splitKey(key)
	w := edgeWithdrawal(bank, id, amount)
	var want error
	pos := m.positions[bank] - int64(amount)
	switch {
	case amount > MaxAmount:
		want = ErrAmountRange
		m.edges["withdrawal"]++
	case amount > m.balances[key]:
		want = ErrInsufficientFunds
	case pos < -money.MaxPosition:
		want = ErrAmountRange
		m.edges["position"]++
	}
	_, _, err := st.Withdraw(ctx, w)
	expect(t, fmt.Sprintf("withdraw %d from %s holding %d", amount, key, m.balances[key]), err, want)
	if err == nil {
		m.balances[key] -= amount
		m.float += amount
		m.positions[bank] = pos
		var c edgeCoin
		c.Epoch, c.value = 1, amount
		rand.Read(c.Serial[:])
		m.coins = append(m.coins, c)
		m.withdrawn = append(m.withdrawn, w)
	}
	return err
}

func splitKey(key string) (bank, id string) {
	for i := range key {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

// edgeWithdrawal is a withdrawal record as a bank commits it (one blinded
// coin standing for the amount: the store does not look at denominations).
func edgeWithdrawal(bank, id string, amount Amount) Withdrawal {
	w := Withdrawal{Bank: bank, Account: id, Amount: amount, Epoch: 1, At: time.Unix(1, 0),
		Items: []BlindItem{{Denom: 0, Blinded: make([]byte, 16)}}, BankSig: []byte{1}}
	rand.Read(w.RequestID[:])
	rand.Read(w.RequestHash[:])
	rand.Read(w.Items[0].Blinded)
	w.Response, _ = (&WithdrawResponse{ID: w.RequestID, BlindSigs: [][]byte{{1}}}).MarshalBinary()
	return w
}

func (m *moneyModel) deposit(t *testing.T, st *SQLStore, r *mrand.Rand) error {
	if len(m.coins) == 0 {
		return nil
	}
	d := Deposit{At: time.Unix(2, 0), Payment: make([]byte, 8)}
	rand.Read(d.RequestID[:])
	rand.Read(d.RequestHash[:])
	rand.Read(d.Payment)
	picked := map[int]bool{}
	var sum uint64
	var spent *edgeCoin
	for range 1 + r.IntN(3) {
		i := r.IntN(len(m.coins))
		if picked[i] {
			continue
		}
		picked[i] = true
		c := &m.coins[i]
		d.Coins = append(d.Coins, c.SpentCoin)
		sum += uint64(c.value) // at most 3 × MaxAmount: no wrap
		if c.spent && spent == nil {
			spent = c
		}
	}
	d.Amount = Amount(sum)
	key := m.someAccount(r)
	d.Bank, d.Account = splitKey(key)
	if r.IntN(20) == 0 {
		d.Account = "nobody"
	}
	want, pos := m.depositOutcome(d, key, spent)
	_, err := st.Deposit(ctx, d)
	expect(t, fmt.Sprintf("deposit %d to %s holding %d", d.Amount, key, m.balances[key]), err, want)
	if spent != nil {
		m.checkEvidence(t, st, err, d, spent, r)
	}
	if err == nil {
		m.balances[key] += d.Amount
		m.float -= d.Amount
		m.positions[d.Bank] = pos
		for i := range picked {
			m.coins[i].spent = true
		}
	}
	return err
}

// depositOutcome is what the store must answer, in the order it checks.
func (m *moneyModel) depositOutcome(d Deposit, key string, spent *edgeCoin) (error, int64) {
	pos := m.positions[d.Bank] + int64(d.Amount)
	_, credit := money.Add(m.balances[key], d.Amount)
	switch {
	case d.Amount > MaxAmount:
		m.edges["deposit"]++
		return ErrAmountRange, pos
	case spent != nil:
		return ErrDoubleSpend, pos
	case d.Account == "nobody":
		return ErrUnknownAccount, pos
	case credit != nil:
		m.edges["balance"]++
		return ErrAmountRange, pos
	case pos > money.MaxPosition:
		m.edges["position"]++
		return ErrAmountRange, pos
	}
	return nil, pos
}

// checkEvidence: a refused double spend is kept once; replaying the same
// deposit gets the same evidence id and adds nothing.
func (m *moneyModel) checkEvidence(t *testing.T, st *SQLStore, err error, d Deposit, spent *edgeCoin, r *mrand.Rand) {
	t.Helper()
	var dse *DoubleSpendError
	if !errors.As(err, &dse) {
		return // refused for its amount before the coins were looked at
	}
	digest := sha256.Sum256(d.Payment)
	k := string(spent.Serial[:]) + string(digest[:])
	if id, ok := m.evidence[k]; ok && id != dse.EvidenceID {
		t.Fatalf("replayed double spend: evidence %d, first time %d", dse.EvidenceID, id)
	}
	m.evidence[k] = dse.EvidenceID
	for range r.IntN(3) {
		_, again := st.Deposit(ctx, d)
		var dse2 *DoubleSpendError
		if !errors.As(again, &dse2) || *dse2 != *dse {
			t.Fatalf("replay of a refused deposit: %v, first %v", again, err)
		}
	}
}

// retry sends a committed withdrawal again: the same answer, no change;
// with another request under its id: ErrRequestReused, no change.
func (m *moneyModel) retry(t *testing.T, st *SQLStore, r *mrand.Rand) error {
	if len(m.withdrawn) == 0 {
		return nil
	}
	w := m.withdrawn[r.IntN(len(m.withdrawn))]
	var want error
	if r.IntN(2) == 0 {
		w.RequestHash[0] ^= 1
		want = ErrRequestReused
	}
	resp, committed, err := st.Withdraw(ctx, w)
	expect(t, "retried withdrawal", err, want)
	if committed || (err == nil && string(resp) != string(w.Response)) {
		t.Fatalf("a retry committed again (%v) or answered otherwise", committed)
	}
	return err
}

// check compares the store with the model: the totals always, every
// account and the evidence when full.
func (m *moneyModel) check(t *testing.T, st *SQLStore, full bool) {
	t.Helper()
	tot, err := st.Totals(ctx)
	must(t, err)
	var bal Amount
	var pos int64
	for _, b := range m.balances {
		bal += b
	}
	for _, p := range m.positions {
		pos += p
	}
	want := Totals{Balances: bal, Float: m.float, Positions: pos, PaidIn: m.paidIn}
	if tot != want || tot.Balances+tot.Float != tot.PaidIn || tot.Positions != -int64(tot.Float) {
		t.Fatalf("totals %+v, model %+v", tot, want)
	}
	if !full {
		return
	}
	for key, b := range m.balances {
		bank, id := splitKey(key)
		a, err := st.Account(ctx, bank, id)
		must(t, err)
		if a.Balance != b {
			t.Fatalf("%s: balance %d, model %d", key, a.Balance, b)
		}
	}
	var n int
	must(t, st.db.QueryRowContext(ctx, `SELECT count(*) FROM ecash_double_spends`).Scan(&n))
	if n != len(m.evidence) {
		t.Fatalf("%d evidence rows for %d double spends", n, len(m.evidence))
	}
}
