package ledger

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

func sqliteOpen(t testing.TB) func() *sqldb.DB {
	path := dbtest.SQLitePath(t)
	return func() *sqldb.DB {
		db, err := sqldb.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// Every field and every signature of money, altered in any bit, is refused
// and books nothing.
func TestAlteredMoneyRefused(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	bk.now = bk.now.Add(time.Millisecond)
	m, err := bk.accts["alice"].Money("bob", 500, "rent", bk.now)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := m.MarshalBinary()
	payer, _ := AccountVerifier(bk.accts["alice"].Template, nil)
	refused := 0
	for i := 1; i < len(enc); i++ { // byte 0 is the kind
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(enc)
			bad[i] ^= bit
			var m2 Money
			if err := m2.UnmarshalBinary(bad); err != nil {
				refused++
				continue
			}
			if err := m2.Verify(payer); err == nil {
				t.Fatalf("byte %d bit %#x: altered money verifies", i, bit)
			}
			// The bank refuses it too (signed by Bob as a proper submission).
			s, err := bk.accts["bob"].Submit(&m2)
			if err != nil {
				refused++
				continue
			}
			if _, err := bk.bank.Submit(bk.ctx, s); err == nil {
				t.Fatalf("byte %d bit %#x: bank booked altered money", i, bit)
			}
			refused++
		}
	}
	if bk.bank.Size() != 0 {
		t.Fatalf("altered money booked %d entries", bk.bank.Size())
	}
	t.Logf("%d alterations of a %d-byte money refused", refused, len(enc))
}

// Fields of two moneys of one payer cannot be spliced into a third, though
// each field signature is checked alone (they are bound to the money's
// identity).
func TestSplicedFieldsRefused(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	a := bk.accts["alice"]
	m1, _ := a.Money("bob", 10, "coffee", bk.now)
	m2, _ := a.Money("carol", 90000, "car", bk.now)
	spliced := *m1
	spliced.Amount, spliced.Sig4 = m2.Amount, m2.Sig4
	spliced.LSum = spliced.LinearSum()
	payer, _ := AccountVerifier(a.Template, nil)
	if err := spliced.Verify(payer); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("spliced money: %v", err)
	}
	spliced.LSum, spliced.Sig7 = m1.LSum, m1.Sig7
	if err := spliced.Verify(payer); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) {
		t.Fatalf("spliced money with the old lsum: %v", err)
	}
}

// Money is worth something only to its payee, once: a copy submitted by
// anyone else, the same money twice (also concurrently), and money signed
// by the wrong key are refused.
func TestReplayAndThief(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		m, err := bk.accts["alice"].Money("bob", 700, "books", bk.now)
		if err != nil {
			t.Fatal(err)
		}
		// Carol found a copy: she signs the submission herself.
		stolen, _ := (&Account{Template: bk.accts["carol"].Template, Signer: bk.accts["carol"].Signer}).signSubmission(m)
		if _, err := bk.bank.Submit(bk.ctx, stolen); !errors.Is(err, ErrNotPayee) {
			t.Fatalf("thief's submission: %v", err)
		}
		s, _ := bk.accts["bob"].Submit(m)
		// 50 concurrent submissions of the same money: exactly one books.
		var ok, replayed atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := bk.bank.Submit(bk.ctx, s)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrReplayed):
					replayed.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || replayed.Load() != 49 {
			t.Fatalf("%d booked, %d replays refused; want 1 and 49", ok.Load(), replayed.Load())
		}
		bk.reopen()
		if _, err := bk.bank.Submit(bk.ctx, s); !errors.Is(err, ErrReplayed) || !strings.Contains(err.Error(), "as entry 0") {
			t.Fatalf("replay after restart: %v (want the entry it was booked as)", err)
		}
		// Money "from alice" signed with Carol's key.
		forged, _ := (&Account{Template: bk.accts["alice"].Template, Signer: bk.accts["carol"].Signer}).Money("bob", 5, "x", bk.now.Add(time.Second))
		fs, _ := bk.accts["bob"].Submit(forged)
		if _, err := bk.bank.Submit(bk.ctx, fs); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("forged money: %v", err)
		}
		if got := bk.balances(); got["bob"] != opening+700 || got["alice"] != opening-700 {
			t.Fatalf("balances %v", got)
		}
		bk.invariant()
	})
}

func (a *Account) signSubmission(m *Money) (*Submission, error) {
	sig, err := a.Signer.Sign(submitMsg(m.Digest()))
	return &Submission{Money: *m, Sig: sig}, err
}

func TestRefusals(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	try := func(payer, payee string, amount uint64, at time.Time, currency string) error {
		a := &Account{Template: bk.accts[payer].Template, Signer: bk.accts[payer].Signer}
		m, err := a.Money(payee, amount, "p", at)
		if err != nil {
			t.Fatal(err)
		}
		if currency != "" {
			m.Currency = currency
			a.signMoney(m)
		}
		s, _ := bk.accts[payee].Submit(m)
		_, err = bk.bank.Submit(bk.ctx, s)
		return err
	}
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"overdraft", try("alice", "bob", opening+1, bk.now, ""), ErrInsufficientFunds},
		{"expired", try("alice", "bob", 1, bk.now.Add(-31*24*time.Hour), ""), ErrExpired},
		{"future", try("alice", "bob", 1, bk.now.Add(time.Hour), ""), ErrExpired},
		{"currency", try("alice", "bob", 1, bk.now, "USD"), ErrCurrency},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	if bk.bank.Size() != 0 {
		t.Fatalf("refused money booked")
	}
	bk.invariant()
}

func (a *Account) signMoney(m *Money) {
	m.LSum = m.LinearSum()
	f := m.fields()
	sigs := make([][]byte, 5)
	for i := range f {
		sigs[i], _ = a.Signer.Sign(f[i])
	}
	m.Sig3, m.Sig4, m.Sig5, m.Sig6, m.Sig7 = sigs[0], sigs[1], sigs[2], sigs[3], sigs[4]
}

// Delete entry k of n: the bank refuses to book, check names k, the book
// alone reconstructs payer, payee, amount, purpose and time, and recovery
// from the hot backup restores the entry with its signatures.
func TestLossFoundAndRecovered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		names := []string{"alice", "bob", "carol"}
		var lost *Money
		const n, k = 24, 13
		for i := range n {
			m, _ := bk.mustPay(names[i%3], names[(i+1)%3], uint64(100+i), fmt.Sprintf("purpose %d", i%4))
			if i == k {
				lost = m
			}
		}
		before := bk.balances()
		if err := bk.store.DeleteEntry(bk.ctx, k); err != nil {
			t.Fatal(err)
		}
		bk.reopen()
		if _, _, err := bk.pay("alice", "bob", 1, "x"); !errors.Is(err, ErrBookBroken) {
			t.Fatalf("booking on a broken book: %v", err)
		}
		rep, err := bk.bank.Check(bk.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Missing) != 1 || rep.Missing[0] != k || len(rep.Breaks) != 0 {
			t.Fatalf("check: %s", rep)
		}
		clue, err := bk.bank.Reconstruct(bk.ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		want := Clue{Index: k, Payer: lost.Payer, Payee: lost.Payee, Amount: lost.Amount, LSum: lost.LSum, HaveLSum: true,
			Purpose: lost.Purpose, Time: lost.Time, Confirmed: true}
		if *clue != want {
			t.Fatalf("clue %+v\nwant %+v", *clue, want)
		}
		got, rep, err := bk.bank.Recover(bk.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !rep.OK() {
			t.Fatalf("recovered %d, check %s", len(got), rep)
		}
		e, money, err := bk.store.Entry(bk.ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		lostEnc, _ := lost.MarshalBinary()
		if !bytes.Equal(money, lostEnc) || e.VerifySigs(bk.bank.Verifier()) != nil {
			t.Fatal("restored entry differs from the lost one")
		}
		for name, v := range bk.balances() {
			if v != before[name] {
				t.Errorf("%s: %d after recovery, %d before the loss", name, v, before[name])
			}
		}
		bk.mustPay("alice", "bob", 1, "after recovery")
		bk.invariant()
	})
}

// The last entry lost: no later entry names it, so the position comes from
// the checkpoint and the entry from the backup, checked by its Merkle leaf.
func TestLastEntryLost(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	for range 5 {
		bk.mustPay("alice", "bob", 3, "tea")
	}
	if err := bk.store.DeleteEntry(bk.ctx, 4); err != nil {
		t.Fatal(err)
	}
	bk.reopen()
	rep, _ := bk.bank.Check(bk.ctx)
	if len(rep.Missing) != 1 || rep.Missing[0] != 4 {
		t.Fatalf("check: %s", rep)
	}
	if _, rep, err := bk.bank.Recover(bk.ctx); err != nil || !rep.OK() {
		t.Fatalf("recover: %v %v", err, rep)
	}
	if v, _ := bk.bank.Balance("bob"); v != opening+15 {
		t.Fatalf("bob %d", v)
	}
	bk.invariant()
}

// A backup entry that does not fit the book is not restored.
func TestForgedBackupRefused(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	for range 6 {
		bk.mustPay("alice", "bob", 3, "tea")
	}
	// The backup's entry 2 is replaced by entry 3 (a backup that serves
	// the wrong record).
	bk.reopen() // the backup writer has written everything
	e3, m3, err := bk.backup.Entry(bk.ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	e3.Index = 2 // claims to be entry 2; its signatures say otherwise
	enc, _ := e3.MarshalBinary()
	bdb := bk.backup.DB()
	if _, err := bdb.ExecContext(bk.ctx, "DELETE FROM ledger_backup"); err != nil {
		t.Fatal(err)
	}
	if _, err := bdb.ExecContext(bk.ctx, "INSERT INTO ledger_backup (first, last, data) VALUES (2, 2, ?)", encodeBackup([][]byte{enc}, [][]byte{m3})); err != nil {
		t.Fatal(err)
	}
	bk.store.DeleteEntry(bk.ctx, 2)
	bk.reopen()
	if _, _, err := bk.bank.Recover(bk.ctx); err == nil {
		t.Fatal("a misplaced backup entry was restored")
	}
	if rep, _ := bk.bank.Check(bk.ctx); rep.OK() {
		t.Fatal("book reported whole")
	}
}

// Notices carry inclusion proofs that verify and fail for any change;
// consecutive checkpoints are consistent.
func TestMerkleProofs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		bank := bk.bank.Verifier()
		var notices []*Settlement
		for i := range 13 {
			_, st := bk.mustPay("alice", "bob", uint64(i+1), "x")
			notices = append(notices, st)
		}
		latest, err := bk.bank.Checkpoint(bk.ctx, 0)
		if err != nil || latest.Size != 13 {
			t.Fatalf("checkpoint %+v %v", latest, err)
		}
		for _, st := range notices {
			if err := st.Verify(bank); err != nil {
				t.Fatal(err)
			}
			n, err := bk.bank.Notice(bk.ctx, st.Entry.Index)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Verify(bank); err != nil {
				t.Fatal(err)
			}
			// A changed entry, proof or root fails.
			bad := *n
			bad.Entry.Amount++
			if err := bad.Verify(bank); err == nil {
				t.Fatal("changed entry verifies")
			}
			if len(n.Proof) > 0 {
				bad = *n
				bad.Proof = append([][]byte{}, n.Proof...)
				bad.Proof[0] = bytes.Repeat([]byte{7}, 32)
				if err := bad.Verify(bank); !errors.Is(err, ErrProof) {
					t.Fatalf("changed proof: %v", err)
				}
			}
		}
		for _, st := range notices {
			older := &st.Checkpoint
			pr, err := bk.bank.Consistency(bk.ctx, older.Size, latest.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(bank, older, latest, pr); err != nil {
				t.Fatalf("%d → %d: %v", older.Size, latest.Size, err)
			}
			if older.Size < latest.Size {
				forged := *older
				forged.Root[0] ^= 1
				if err := VerifyConsistency(bank, &forged, latest, pr); err == nil {
					t.Fatal("forged checkpoint consistent")
				}
			}
		}
		// The stored log agrees with an independent computation over the entries.
		var leaves [][]byte
		for i := range uint64(13) {
			e, _, _ := bk.store.Entry(bk.ctx, i)
			leaves = append(leaves, e.LeafHash())
		}
		r := rangeFactory.NewEmptyRange(0)
		for _, l := range leaves {
			r.Append(l, nil)
		}
		root, _ := r.GetRootHash(nil)
		if !bytes.Equal(root, latest.Root[:]) {
			t.Fatal("checkpoint root is not the root of the entries")
		}
		pr, _ := bk.bank.inclusion(bk.ctx, 5, 13)
		if err := proof.VerifyInclusion(TreeHasher, 5, 13, leaves[5], pr, root); err != nil {
			t.Fatal(err)
		}
	})
}

// The paper's XOR chain is blind to order: swapping two entries keeps the
// final code, so a check of the final code alone passes. The SM3 hash chain
// (and sign8, which binds each code to its index) catches it.
func TestXORChainIsOrderBlind(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	var entries []Entry
	for i := range 6 {
		_, st := bk.mustPay("alice", "bob", uint64(10+i), "x")
		entries = append(entries, st.Entry)
	}
	final := func(es []Entry) Digest {
		var c Digest
		for _, e := range es {
			c = xorDigest(c, e.LSum)
		}
		return c
	}
	head := func(es []Entry) Digest {
		var h Digest
		for _, e := range es {
			e.Prev = h
			h = e.Hash()
		}
		return h
	}
	swapped := append([]Entry{}, entries...)
	swapped[1], swapped[4] = swapped[4], swapped[1]
	if final(swapped) != final(entries) || final(entries) != entries[5].Ecode {
		t.Fatal("expected the XOR code to be blind to the swap")
	}
	if head(swapped) == head(entries) {
		t.Fatal("the SM3 chain missed the swap")
	}
	// Stored, the swap is caught by the check (both chains per position).
	swapChainRecords(t, bk, 1, 4)
	rep, err := bk.bank.Check(bk.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Breaks[0].Index != 1 {
		t.Fatalf("check after swap: %s", rep)
	}
}

// Balances are stored encrypted: each opens with its own disclosed key,
// not with another's, and not with the wrong batch key.
func TestBalancesEncrypted(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	_, st := bk.mustPay("alice", "bob", 42, "x")
	_, st2 := bk.mustPay("alice", "bob", 43, "x")
	e := st.Entry
	key, err := bk.bank.batchKey(bk.ctx, e.Batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := BalanceKey(key, e.Index, "alice")
	if v, err := OpenBalanceWithKey(k, e.PayerBalance); err != nil || v != opening-42 {
		t.Fatalf("disclosed key: %d %v", v, err)
	}
	if _, err := OpenBalanceWithKey(k, e.PayeeBalance); !errors.Is(err, ErrBalanceKey) {
		t.Fatal("alice's key opened bob's balance")
	}
	if _, err := OpenBalanceWithKey(k, st2.Entry.PayerBalance); !errors.Is(err, ErrBalanceKey) {
		t.Fatal("one entry's key opened another's balance")
	}
	other, _ := GenerateKeys(SM2)
	if _, err := openBalance(other.Enc.D.Bytes()[:16], e.Index, "alice", e.PayerBalance); !errors.Is(err, ErrBalanceKey) {
		t.Fatal("wrong batch key opened a balance")
	}
	if bytes.Contains(e.PayerBalance, []byte{0, 0, 0, 0, 0, 0x0f, 0x42}) {
		t.Fatal("balance stored in the clear")
	}
}

// An SM9 deployment: identity-based keys issued by the bank, same story.
func TestSM9Deployment(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM9)
	coll, m, st, err := bk.payWithNotice("alice", "bob", 900, "sm9")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Verify(bk.bank.Verifier()); err != nil {
		t.Fatal(err)
	}
	if len(m.Sig3) != sm9SigSize {
		t.Fatalf("SM9 signature of %d bytes", len(m.Sig3))
	}
	// Alice's key cannot sign as Bob.
	forged, _ := (&Account{Template: bk.accts["bob"].Template, Signer: bk.accts["alice"].Signer}).Money("carol", 1, "x", bk.now)
	v, _ := AccountVerifier(bk.accts["bob"].Template, bk.bank.PublicKey())
	if err := forged.Verify(v); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("SM9 forgery: %v", err)
	}
	_ = coll
	bk.reopen()
	bk.mustPay("bob", "carol", 1, "after restart")
	bk.invariant()
}

// Many payers and payees booking concurrently: every acknowledged entry is
// there once, the chain is whole and balances add up.
func TestConcurrentBooking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		names := []string{"alice", "bob", "carol"}
		type job struct{ s *Submission }
		var jobs []job
		for i := range 150 {
			payer, payee := names[i%3], names[(i+1)%3]
			m, _ := bk.accts[payer].Money(payee, uint64(1+i%7), "c", bk.now)
			s, _ := bk.accts[payee].Submit(m)
			jobs = append(jobs, job{s})
		}
		var wg sync.WaitGroup
		var ok atomic.Int32
		for _, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := bk.bank.Submit(bk.ctx, j.s); err != nil {
					t.Error(err)
					return
				}
				ok.Add(1)
			}()
		}
		wg.Wait()
		if ok.Load() != 150 || bk.bank.Size() != 150 {
			t.Fatalf("%d acknowledged, %d booked", ok.Load(), bk.bank.Size())
		}
		rep, err := bk.bank.Check(bk.ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("check %v %v", rep, err)
		}
		bk.invariant()
		mem := bk.balances()
		bk.reopen()
		for name, v := range bk.balances() {
			if v != mem[name] {
				t.Errorf("%s: %d in memory, %d from the book", name, v, mem[name])
			}
		}
	})
}

// Money made after the bank started (plus the clock skew) is checked for
// replays in memory; a replay is still refused, before and after a restart.
func TestReplayOfRecentMoney(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	bk.now = bk.now.Add(10 * time.Minute) // past the set's horizon
	m, _ := bk.accts["alice"].Money("bob", 5, "recent", bk.now)
	s, _ := bk.accts["bob"].Submit(m)
	if !bk.bank.seen.covers(m.Time) {
		t.Fatal("the test money is not in the in-memory range")
	}
	if _, err := bk.bank.Submit(bk.ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := bk.bank.Submit(bk.ctx, s); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay of recent money: %v", err)
	}
	bk.reopen()
	if bk.bank.seen.covers(m.Time) {
		t.Fatal("after a restart the money must be checked in the book")
	}
	if _, err := bk.bank.Submit(bk.ctx, s); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay after restart: %v", err)
	}
	if v, _ := bk.bank.Balance("bob"); v != opening+5 {
		t.Fatalf("bob %d", v)
	}
}

// A hot backup that fell behind (its queued writes lost with the process,
// or a fresh file) catches up from the book when the bank opens.
func TestBackupCatchesUp(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	for range 7 {
		bk.mustPay("alice", "bob", 2, "x")
	}
	bk.reopen() // the backup writer has written everything
	if _, err := bk.backup.DB().ExecContext(bk.ctx, "DELETE FROM ledger_backup WHERE first >= 3 AND first <= 5"); err != nil {
		t.Fatal(err)
	}
	if n, _ := bk.backup.contiguous(bk.ctx); n != 3 {
		t.Fatalf("backup whole up to %d, want 3 (a gap at 3..5)", n)
	}
	bk.reopen()
	if n, _ := bk.backup.Size(bk.ctx); n != 7 {
		t.Fatalf("backup has %d entries after catching up, want 7", n)
	}
	for i := range uint64(7) {
		e, _, err := bk.backup.Entry(bk.ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		m, _, _ := bk.store.Entry(bk.ctx, i)
		if e.Hash() != m.Hash() {
			t.Fatalf("backup entry %d differs from the book's", i)
		}
	}
}

// swapChainRecords exchanges the chain-index records of entries i and j
// (an attacker reordering the book).
func swapChainRecords(t *testing.T, bk *book, i, j uint64) {
	t.Helper()
	recs := map[uint64][]byte{}
	if err := bk.store.scanChain(bk.ctx, 0, 1<<62, func(idx uint64, r []byte) error {
		recs[idx] = bytes.Clone(r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err := bk.store.DB().Tx(bk.ctx, func(tx *sql.Tx) error {
		for _, p := range [][2]uint64{{i, j}, {j, i}} {
			rec := binary.BigEndian.AppendUint64(nil, p[0])
			if err := bk.store.editChainBlock(bk.ctx, tx, p[0], append(rec, recs[p[1]]...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Recover on a live book stops booking, lets the batches in flight land,
// repairs, and reopens: nothing acknowledged is lost, nothing refused is
// booked, and the refused ones book afterwards.
func TestRecoverDuringBooking(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	var subs []*Submission
	for range 120 {
		m, _ := bk.accts["alice"].Money("bob", 1, "live", bk.now)
		s, _ := bk.accts["bob"].Submit(m)
		subs = append(subs, s)
	}
	var wg sync.WaitGroup
	var booked atomic.Int32
	refused := make(chan *Submission, len(subs))
	for i, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := bk.bank.Submit(bk.ctx, s)
			switch {
			case err == nil:
				booked.Add(1)
			case errors.Is(err, ErrBookBroken):
				refused <- s
			default:
				t.Error(err)
			}
		}()
		if i == 60 {
			if _, rep, err := bk.bank.Recover(bk.ctx); err != nil || !rep.OK() {
				t.Errorf("recover on a live book: %v %v", rep, err)
			}
		}
	}
	wg.Wait()
	close(refused)
	for s := range refused {
		if _, err := bk.bank.Submit(bk.ctx, s); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
		booked.Add(1)
	}
	if booked.Load() != 120 || bk.bank.Size() != 120 {
		t.Fatalf("%d booked, book has %d", booked.Load(), bk.bank.Size())
	}
	if rep, err := bk.bank.Check(bk.ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", rep, err)
	}
	bk.invariant()
	mem := bk.balances()
	bk.reopen()
	for name, v := range bk.balances() {
		if v != mem[name] {
			t.Errorf("%s: %d in memory, %d from the book", name, v, mem[name])
		}
	}
}
