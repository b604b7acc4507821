package ledger

import (
	"errors"
	"slices"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// tamperBook books eight entries (entry 4: alice pays bob 50).
func tamperBook(t *testing.T, open func() *sqldb.DB, scheme Scheme) *book {
	bk := newBook(t, open, scheme)
	pairs := [][2]string{{"alice", "bob"}, {"bob", "carol"}, {"carol", "alice"}, {"alice", "carol"}}
	for i := range 8 {
		p := pairs[i%len(pairs)]
		if i == 4 {
			p = [2]string{"alice", "bob"}
		}
		bk.mustPay(p[0], p[1], uint64(50+i%4*10), "tamper fixture")
	}
	return bk
}

// storedEntry reads entry idx and its money straight from the table.
func (bk *book) storedEntry(idx uint64) (*Entry, *Money) {
	bk.t.Helper()
	e, mb, err := bk.store.Entry(bk.ctx, idx)
	if err != nil {
		bk.t.Fatal(err)
	}
	var m Money
	if err := m.UnmarshalBinary(mb); err != nil {
		bk.t.Fatal(err)
	}
	return e, &m
}

// rewrite writes entry idx's row as an attacker with the database would:
// new encodings, no new signatures.
func (bk *book) rewrite(idx uint64, e *Entry, m *Money) {
	bk.t.Helper()
	var w = struct{ e, m []byte }{}
	var err error
	if w.e, err = e.MarshalBinary(); err != nil {
		bk.t.Fatal(err)
	}
	if w.m, err = m.MarshalBinary(); err != nil {
		bk.t.Fatal(err)
	}
	bk.exec("UPDATE ledger_entries SET entry = ?, money = ? WHERE idx = ?", w.e, w.m, int64(idx))
}

func (bk *book) exec(q string, args ...any) {
	bk.t.Helper()
	db := bk.store.DB()
	if _, err := db.ExecContext(bk.ctx, db.Rebind(q), args...); err != nil {
		bk.t.Fatal(err)
	}
}

// attacks change the stored book directly; each names the entries and
// checks the deep check must report.
var attacks = []struct {
	name string
	do   func(bk *book)
	want map[uint64][]Failure
}{
	{"entry-amount", func(bk *book) { // the attack: entry 4 books 5000, not 50
		e, m := bk.storedEntry(4)
		e.Amount = 5000
		bk.rewrite(4, e, m)
	}, map[uint64][]Failure{4: {FailMoney, FailMerkleLeaf, FailChainIndex}, 5: {FailHashChain}, 8: {FailCheckpoint}}},
	{"money-amount", func(bk *book) {
		e, m := bk.storedEntry(4)
		e.Amount, m.Amount = 5000, 5000
		bk.rewrite(4, e, m)
	}, map[uint64][]Failure{4: {FailMoney, FailLSum, FailPayerSig, FailMerkleLeaf, FailChainIndex}, 5: {FailHashChain}, 8: {FailCheckpoint}}},
	{"purpose", func(bk *book) {
		e, m := bk.storedEntry(4)
		m.Purpose = "laundering"
		bk.rewrite(4, e, m)
	}, map[uint64][]Failure{4: {FailMoney, FailLSum, FailPayerSig}}},
	{"payee", func(bk *book) {
		e, m := bk.storedEntry(4)
		e.Payee, m.Payee = "carol", "carol"
		bk.rewrite(4, e, m)
		bk.exec("UPDATE ledger_entries SET payee = ? WHERE idx = ?", "carol", 4)
	}, map[uint64][]Failure{4: {FailMoney, FailLSum, FailPayerSig, FailMerkleLeaf, FailChainIndex}, 5: {FailHashChain}, 8: {FailCheckpoint}}},
	{"payee-column", func(bk *book) {
		bk.exec("UPDATE ledger_entries SET payee = ? WHERE idx = ?", "carol", 4)
	}, map[uint64][]Failure{4: {FailRow}}},
	{"balance-ciphertext", func(bk *book) {
		e, m := bk.storedEntry(4)
		e.PayeeBalance[3] ^= 1
		bk.rewrite(4, e, m)
	}, map[uint64][]Failure{4: {FailSign9, FailMerkleLeaf, FailChainIndex}, 5: {FailHashChain}, 8: {FailCheckpoint}}},
	{"signature-byte", func(bk *book) {
		e, m := bk.storedEntry(4)
		e.Sig8[len(e.Sig8)-1] ^= 1
		bk.rewrite(4, e, m)
	}, map[uint64][]Failure{4: {FailSign8, FailMerkleLeaf, FailChainIndex}, 5: {FailHashChain}, 8: {FailCheckpoint}}},
	{"payer-signature-byte", func(bk *book) {
		e, m := bk.storedEntry(4)
		m.Sig6[len(m.Sig6)-1] ^= 1
		bk.rewrite(4, e, m)
	}, map[uint64][]Failure{4: {FailMoney, FailPayerSig}}},
	{"chain-code", func(bk *book) {
		e, m := bk.storedEntry(4)
		e.Ecode[0] ^= 1
		bk.rewrite(4, e, m)
	}, map[uint64][]Failure{4: {FailSign8, FailEcode, FailMerkleLeaf, FailChainIndex}, 5: {FailEcode, FailHashChain}, 8: {FailCheckpoint}}},
	{"swapped-pair", func(bk *book) {
		e3, m3 := bk.storedEntry(3)
		e4, m4 := bk.storedEntry(4)
		bk.exec("DELETE FROM ledger_entries WHERE idx IN (3, 4)")
		for _, r := range []struct {
			idx  int64
			e    *Entry
			m    *Money
			time int64
		}{{3, e4, m4, m4.Time}, {4, e3, m3, m3.Time}} {
			eb, _ := r.e.MarshalBinary()
			mb, _ := r.m.MarshalBinary()
			bk.exec("INSERT INTO ledger_entries (idx, payer, payee, mtime, entry, money) VALUES (?, ?, ?, ?, ?, ?)",
				r.idx, r.e.Payer, r.e.Payee, r.time, eb, mb)
		}
	}, map[uint64][]Failure{3: {FailIndex, FailEcode, FailHashChain, FailMerkleLeaf, FailChainIndex}, 4: {FailIndex, FailEcode, FailHashChain, FailMerkleLeaf, FailChainIndex}, 5: {FailEcode, FailHashChain}, 8: {FailCheckpoint}}},
	{"lost-entry", func(bk *book) {
		bk.exec("DELETE FROM ledger_entries WHERE idx = 4")
	}, map[uint64][]Failure{4: {FailMissing}, 8: {FailCheckpoint}}},
	{"merkle-leaf", func(bk *book) {
		bk.exec("UPDATE ledger_nodes SET hash = ? WHERE level = 0 AND idx = 4", make([]byte, 32))
	}, map[uint64][]Failure{4: {FailMerkleLeaf}}},
}

// TestDeepCheckFindsTampering runs every attack on SQLite and PostgreSQL:
// the deep check names exactly the entries and checks it must, with one
// worker and with many small ranges (seams between every two entries).
func TestDeepCheckFindsTampering(t *testing.T) {
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
				bk := tamperBook(t, open, SM2)
				if rep := bk.deep(DeepOptions{}); !rep.OK() {
					t.Fatalf("untouched book: %s", rep)
				}
				a.do(bk)
				for _, opt := range []DeepOptions{{Workers: 1}, {Workers: 5, Batch: 1}, {Workers: 3, Batch: 2}} {
					rep := bk.deep(opt)
					got := map[uint64][]Failure{}
					for _, f := range rep.Faults {
						got[f.Index] = append(got[f.Index], f.Failure)
					}
					for idx, want := range a.want {
						if g := got[idx]; !sameFailures(g, want) {
							t.Errorf("%+v: entry %d failed %v, want %v", opt, idx, g, want)
						}
					}
					for idx := range got {
						if _, ok := a.want[idx]; !ok {
							t.Errorf("%+v: entry %d failed %v, unexpected", opt, idx, got[idx])
						}
					}
				}
			})
		})
	}
}

func sameFailures(got, want []Failure) bool {
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

func (bk *book) deep(opt DeepOptions) *DeepReport {
	bk.t.Helper()
	rep, err := CheckStoreDeep(bk.ctx, bk.store, bk.bank.Verifier(), bk.bank.PublicKey(), opt)
	if err != nil {
		bk.t.Fatal(err)
	}
	return rep
}

// TestDeepCheckSeesWhatCheckCannot is issue 10's hole 3: entry 4's amount
// changed from 50 to 5000 in the database. The fast check walks the chain
// index only and still calls the book whole; the deep check names entry 4,
// and the bank then books nothing.
func TestDeepCheckSeesWhatCheckCannot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := tamperBook(t, open, SM2)
		e, m := bk.storedEntry(4)
		if e.Amount != 50 {
			t.Fatalf("fixture: entry 4 books %d", e.Amount)
		}
		e.Amount = 5000
		bk.rewrite(4, e, m)
		bk.reopen()
		fast, err := bk.bank.Check(bk.ctx)
		if err != nil || !fast.OK() {
			t.Fatalf("fast check: %v, %v (it reads the chain index only, and should not see this)", fast, err)
		}
		rep, err := bk.bank.CheckDeep(bk.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rep.Failed(4), FailMoney) {
			t.Fatalf("deep check did not name entry 4: %s", rep)
		}
		if _, _, err := bk.pay("bob", "carol", 1, "after tampering"); !errors.Is(err, ErrBookBroken) {
			t.Fatalf("booking after a failed deep check: %v, want ErrBookBroken", err)
		}
		// Recover restores the changed entry from the hot backup, not only
		// lost ones: the book is whole again, deep too, and books on.
		got, rep2, err := bk.bank.Recover(bk.ctx)
		if err != nil || !rep2.OK() || len(got) != 1 || got[0].Entry.Index != 4 || got[0].Entry.Amount != 50 {
			t.Fatalf("recover after the deep check: %v, %v, %v", got, rep2, err)
		}
		if rep, err := bk.bank.CheckDeep(bk.ctx); err != nil || !rep.OK() {
			t.Fatalf("deep check after recover: %v, %v", rep, err)
		}
		if _, _, err := bk.pay("bob", "carol", 1, "after recovery"); err != nil {
			t.Fatalf("booking after recovery: %v", err)
		}
	})
}

// TestDeepCheckSM9 checks an SM9 book: whole, then a payer signature byte.
func TestDeepCheckSM9(t *testing.T) {
	bk := tamperBook(t, sqliteOpen(t), SM9)
	if rep := bk.deep(DeepOptions{}); !rep.OK() || rep.Size != 8 {
		t.Fatalf("untouched SM9 book: %s", rep)
	}
	e, m := bk.storedEntry(2)
	m.Sig5[len(m.Sig5)-1] ^= 1
	bk.rewrite(2, e, m)
	rep := bk.deep(DeepOptions{})
	if got := rep.Failed(2); !sameFailures(got, []Failure{FailMoney, FailPayerSig}) || len(rep.Faults) != 2 {
		t.Fatalf("SM9 book: %s", rep)
	}
}

// TestDeepCheckEmptyBook: nothing booked is whole.
func TestDeepCheckEmptyBook(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	if rep := bk.deep(DeepOptions{}); !rep.OK() || rep.Size != 0 {
		t.Fatalf("empty book: %s", rep)
	}
}
