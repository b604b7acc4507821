package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// book is a test bank with three SM2 accounts.
type book struct {
	t      testing.TB
	ctx    context.Context
	keys   *Keys
	store  *Store
	backup *Backup
	bank   *Bank
	now    time.Time
	accts  map[string]*Account
	sm2    map[string]*SM2Signer
	open   func() *sqldb.DB
	bpath  string
	head   string // Config.HeadFile
}

const opening = 1_000_000

func newBook(t testing.TB, open func() *sqldb.DB, scheme Scheme) *book {
	t.Helper()
	ctx := context.Background()
	keys, err := GenerateKeys(scheme)
	if err != nil {
		t.Fatal(err)
	}
	bk := &book{t: t, ctx: ctx, keys: keys, now: time.Now(), accts: map[string]*Account{}, sm2: map[string]*SM2Signer{},
		open: open, bpath: filepath.Join(t.TempDir(), "backup.db")}
	bk.reopen()
	for _, name := range []string{"alice", "bob", "carol"} {
		if scheme == SM9 {
			tmpl, key, err := bk.bank.OpenSM9Account(ctx, name, opening)
			if err != nil {
				t.Fatal(err)
			}
			bk.accts[name] = NewAccount(tmpl, key)
			continue
		}
		s, err := GenerateSM2()
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := bk.bank.OpenAccount(ctx, name, s.PublicKey(), opening)
		if err != nil {
			t.Fatal(err)
		}
		bk.accts[name] = NewAccount(tmpl, s)
		bk.sm2[name] = s
	}
	return bk
}

// reopen closes the bank (if open) and opens it again on fresh handles.
func (bk *book) reopen() {
	bk.t.Helper()
	if bk.bank != nil {
		bk.bank.Close()
	}
	var err error
	if bk.store, err = NewStore(bk.ctx, bk.open()); err != nil {
		bk.t.Fatal(err)
	}
	bdb, err := sqldb.OpenSQLite(bk.bpath)
	if err != nil {
		bk.t.Fatal(err)
	}
	bk.t.Cleanup(func() { bdb.Close() })
	if bk.backup, err = NewBackup(bk.ctx, bdb); err != nil {
		bk.t.Fatal(err)
	}
	cfg := Config{Name: "bank-a", Currency: "CNY", Now: func() time.Time { return bk.now }, HeadFile: bk.head}
	if bk.bank, err = Open(bk.ctx, cfg, bk.keys, bk.store, bk.backup); err != nil {
		bk.t.Fatal(err)
	}
	bk.t.Cleanup(bk.bank.Close)
}

// pay runs steps 1–3: payee asks, payer pays, payee submits; it returns the
// money and the bank's answer.
func (bk *book) pay(payer, payee string, amount uint64, purpose string) (*Money, *Settlement, error) {
	_, m, st, err := bk.payWithNotice(payer, payee, amount, purpose)
	return m, st, err
}

func (bk *book) payWithNotice(payer, payee string, amount uint64, purpose string) (*CollectionNotice, *Money, *Settlement, error) {
	bk.t.Helper()
	bk.now = bk.now.Add(time.Millisecond)
	n, err := bk.accts[payee].Collect(amount, purpose, bk.now)
	if err != nil {
		bk.t.Fatal(err)
	}
	m, err := bk.accts[payer].Pay(n, bk.bank.Verifier(), bk.bank.PublicKey(), bk.now)
	if err != nil {
		bk.t.Fatal(err)
	}
	s, err := bk.accts[payee].Submit(m)
	if err != nil {
		bk.t.Fatal(err)
	}
	st, err := bk.bank.Submit(bk.ctx, s)
	return n, m, st, err
}

func (bk *book) mustPay(payer, payee string, amount uint64, purpose string) (*Money, *Settlement) {
	bk.t.Helper()
	m, st, err := bk.pay(payer, payee, amount, purpose)
	if err != nil {
		bk.t.Fatal(err)
	}
	return m, st
}

// invariant checks that balances sum to the opening balances, in memory
// and as a freshly opened bank reads them from the book.
func (bk *book) invariant() {
	bk.t.Helper()
	bal, open := bk.bank.Totals()
	if bal != open {
		bk.t.Fatalf("balances sum to %d, opening balances to %d", bal, open)
	}
}

func (bk *book) balances() map[string]uint64 {
	out := map[string]uint64{}
	for name := range bk.accts {
		v, err := bk.bank.Balance(name)
		if err != nil {
			bk.t.Fatal(err)
		}
		out[name] = v
	}
	return out
}

func TestPaymentStory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		bank := bk.bank.Verifier()
		// Step 1–2: Bob asks Alice for 250.00; Alice pays.
		coll, m, st, err := bk.payWithNotice("alice", "bob", 25000, "invoice 7")
		if err != nil {
			t.Fatal(err)
		}
		// Step 5: the settlement notice verifies offline and books m.
		if err := st.Verify(bank); err != nil {
			t.Fatal(err)
		}
		if err := st.Entry.Matches(m); err != nil {
			t.Fatal(err)
		}
		// Step 6: Alice's balance notice, encrypted to her.
		bn, err := bk.bank.BalanceNotice(bk.ctx, st.Entry.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := bn.Verify(bank); err != nil {
			t.Fatal(err)
		}
		got, err := OpenBalance(bn, bk.sm2["alice"].Key())
		if err != nil || got != opening-25000 {
			t.Fatalf("balance notice: %d, %v; want %d", got, err, opening-25000)
		}
		if _, err := OpenBalance(bn, bk.sm2["bob"].Key()); !errors.Is(err, ErrBalanceKey) {
			t.Fatalf("Bob opened Alice's balance: %v", err)
		}
		// Receipt (QR5) from Bob names the money and the notice.
		rc, err := bk.accts["bob"].Receipt(m, st, bk.now)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := AccountVerifier(bk.accts["bob"].Template, nil)
		if err := rc.Verify(v); err != nil {
			t.Fatal(err)
		}
		ev := &Evidence{Collection: coll, Payer: bk.accts["alice"].Template, Money: m, Settlement: st, Balance: bn, Receipt: rc}
		if err := Trace(ev, bank, nil); err != nil {
			t.Fatal(err)
		}
		// Each missing link is named by its step.
		for want, cut := range map[int]func(e *Evidence){
			1: func(e *Evidence) { e.Collection = nil },
			2: func(e *Evidence) { e.Money = nil },
			3: func(e *Evidence) { e.Settlement = nil },
			6: func(e *Evidence) { e.Balance = nil },
			7: func(e *Evidence) { e.Receipt = nil },
		} {
			broken := *ev
			cut(&broken)
			var se *StepError
			if err := Trace(&broken, bank, nil); !errors.As(err, &se) || se.Step != want {
				t.Errorf("cut step %d: Trace = %v", want, err)
			}
		}
		want := map[string]uint64{"alice": opening - 25000, "bob": opening + 25000, "carol": opening}
		for name, v := range bk.balances() {
			if v != want[name] {
				t.Errorf("%s: balance %d, want %d", name, v, want[name])
			}
		}
		bk.invariant()
		// After a restart the balances come back from the encrypted book.
		bk.reopen()
		for name, v := range bk.balances() {
			if v != want[name] {
				t.Errorf("after restart %s: balance %d, want %d", name, v, want[name])
			}
		}
		m2, st2 := bk.mustPay("bob", "carol", 100, "lunch")
		if st2.Entry.Index != 1 || st2.Entry.Prev != st.Entry.Hash() {
			t.Fatalf("the chain did not continue across the restart")
		}
		_ = m2
		bk.invariant()
	})
}
