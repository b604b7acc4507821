package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/ledger/ledgertest"
)

// The attack: the bank's database is rolled back by one entry (an older
// copy restored; here its last entry, chain record, nodes and checkpoint
// deleted). The book left is whole, so the evidence chains alone call it
// whole; the bank's head file shows that it signed one entry more, so the
// bank refuses to book and its check says "rolled back".
func TestRolledBackBookRefusesToBook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := newBook(t, open, SM2)
		bk.head = filepath.Join(t.TempDir(), "head.note")
		bk.reopen()
		for range 7 {
			bk.mustPay("alice", "bob", 1, "rent")
		}
		bk.bank.Close() // flushes the head file
		if err := ledgertest.RollBack(bk.ctx, bk.store.DB(), 6); err != nil {
			t.Fatal(err)
		}
		if rep, err := CheckStore(bk.ctx, bk.store); err != nil || !rep.OK() || rep.Size != 6 {
			t.Fatalf("the rolled-back book should look whole by its chains alone: %v %v", rep, err)
		}
		bk.reopen()
		var sv *SplitViewError
		if split := bk.bank.Split(); split == nil || !errors.Is(split, ErrRollback) || !errors.As(error(split), &sv) || sv.Seen.Size != 7 || sv.Got.Size != 6 {
			t.Fatalf("split at open: %v", split)
		}
		if _, _, err := bk.pay("alice", "bob", 1, "after the rollback"); !errors.Is(err, ErrRollback) || !errors.Is(err, ErrBookBroken) {
			t.Fatalf("booking on a rolled-back book: %v", err)
		}
		rep, err := bk.bank.Check(bk.ctx)
		if err != nil || rep.OK() || !strings.Contains(rep.String(), "rolled back: size 6 < 7 seen") {
			t.Fatalf("check of a rolled-back book: %v %v", rep, err)
		}
		// Recovery does not clear it: only the newer database does.
		if _, _, err := bk.bank.Recover(bk.ctx); err == nil {
			if _, _, err := bk.pay("alice", "bob", 1, "after recover"); !errors.Is(err, ErrRollback) {
				t.Fatalf("booking after recover on a rolled-back book: %v", err)
			}
		}
	})
}

// A head file that cannot be read or verified stops the bank from opening;
// it is never taken for a first start.
func TestCorruptHeadFileIsAnError(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	bk.head = filepath.Join(t.TempDir(), "head.note")
	bk.reopen()
	bk.mustPay("alice", "bob", 1, "x")
	bk.bank.Close()
	b, err := os.ReadFile(bk.head)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bk.head, b[:len(b)-3], 0o600)
	if _, err := Open(bk.ctx, Config{Name: "bank-a", HeadFile: bk.head}, bk.keys, bk.store, nil); err == nil {
		t.Fatal("a bank opened on a corrupt head file")
	}
}

func signedCheckpoint(t *testing.T, s Signer, size uint64, root byte) *Checkpoint {
	t.Helper()
	cp := &Checkpoint{Bank: "bank-a", Size: size, Time: 1700000000000}
	cp.Root[0] = root
	var err error
	if cp.Sig, err = s.Sign(cp.signed()); err != nil {
		t.Fatal(err)
	}
	return cp
}

// Two checkpoints of one size with different roots, both signed by the
// bank's key, are a fork; a smaller one is a rollback; a proof that fails
// is a fork — each with both checkpoints as evidence, none ErrMalformed.
func TestCheckViewRollbackAndFork(t *testing.T) {
	s, _ := GenerateSM2()
	v, _ := NewSM2Verifier(s.PublicKey(), nil)
	a7, b7, a6 := signedCheckpoint(t, s, 7, 1), signedCheckpoint(t, s, 7, 2), signedCheckpoint(t, s, 6, 1)
	for name, c := range map[string]struct {
		seen, got *Checkpoint
		want      error
		msg       string
	}{
		"fail/rollback":      {a7, a6, ErrRollback, "ledger: log rolled back: size 6 < 7 seen"},
		"fail/fork":          {a7, b7, ErrFork, "two roots for size 7"},
		"fail/bad-proof":     {a6, a7, ErrFork, "consistency proof 6 → 7 fails"},
		"ok/same":            {a7, a7, nil, ""},
		"fail/bad-signature": {a7, &Checkpoint{Bank: "bank-a", Size: 8, Sig: a7.Sig}, ErrBadSignature, ""},
	} {
		err := CheckView(v, c.seen, c.got, nil)
		if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) || errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var sv *SplitViewError
		if c.msg != "" && (!strings.Contains(err.Error(), c.msg) || !errors.As(err, &sv) || sv.Seen != c.seen || sv.Got != c.got) {
			t.Errorf("%s: %v (evidence %+v)", name, err, sv)
		}
	}
}

// The checkpoint is a c2sp.org/tlog-checkpoint signed note: x/mod's note
// package opens it with the bank's verifier, the text round-trips, a
// witness's cosignature is added and checked, and a client requiring that
// witness refuses the note without it.
func TestCheckpointNote(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	_, st := bk.mustPay("alice", "bob", 5, "note")
	bank := bk.bank.NoteVerifier()
	msg, err := bk.bank.CheckpointNote(&st.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(bank))
	if err != nil || !strings.HasPrefix(n.Text, "bank-a/ledger\n1\n") || len(n.Sigs) != 1 || n.Sigs[0].Name != "bank-a/ledger" {
		t.Fatalf("x/mod note.Open: %v %+v\n%s", err, n, msg)
	}
	cp, err := OpenCheckpoint(msg, bank)
	if err != nil || cp.Size != 1 || cp.Root != st.Checkpoint.Root || cp.Verify(bk.bank.Verifier()) != nil {
		t.Fatalf("open: %v %+v", err, cp)
	}
	if again, _ := cp.SignedNote(bank); string(again) != string(msg) {
		t.Fatalf("round trip:\n%s\n%s", msg, again)
	}
	w, _ := NewCosigner("witness.example/w1", make([]byte, 32), nil)
	wv, err := ParseWitnessKey(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewCosigner("witness.example/w2", append(make([]byte, 31), 1), nil)
	ov, _ := ParseWitnessKey(other.VerifierKey())
	cosigned, err := w.Cosign(msg, bank)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(cosigned, bank, wv); err != nil {
		t.Fatalf("cosigned: %v\n%s", err, cosigned)
	}
	if _, err := OpenCheckpoint(msg, bank, wv); !errors.Is(err, ErrNotCosigned) {
		t.Fatalf("un-cosigned note accepted by a client requiring a witness: %v", err)
	}
	if _, err := OpenCheckpoint(cosigned, bank, ov); !errors.Is(err, ErrNotCosigned) {
		t.Fatalf("note cosigned by another witness: %v", err)
	}
	tampered := []byte(strings.Replace(string(cosigned), "\n1\n", "\n2\n", 1))
	if _, err := OpenCheckpoint(tampered, bank, wv); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered note: %v", err)
	}
}

// A checkpoint written before the note form (signed over its binary body)
// still decodes and verifies, and the bank re-signs its latest one in the
// note form at open.
func TestLegacyCheckpointMigrates(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	bk.mustPay("alice", "bob", 1, "old")
	_, st := bk.mustPay("alice", "bob", 1, "old")
	bk.bank.Close()
	legacy := st.Checkpoint
	legacy.legacy = true
	var err error
	if legacy.Sig, err = bk.bank.signer.Sign(legacy.body()); err != nil {
		t.Fatal(err)
	}
	enc, _ := legacy.MarshalBinary()
	if enc[0] != KindCheckpoint {
		t.Fatalf("legacy kind %#x", enc[0])
	}
	var back Checkpoint
	if err := back.UnmarshalBinary(enc); err != nil || back.Verify(bk.bank.Verifier()) != nil {
		t.Fatalf("legacy checkpoint: %v", err)
	}
	if _, err := back.SignedNote(bk.bank.NoteVerifier()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a legacy checkpoint as a note: %v", err)
	}
	if _, err := bk.store.DB().ExecContext(bk.ctx, "UPDATE ledger_checkpoints SET cp = ? WHERE size = 2", enc); err != nil {
		t.Fatal(err)
	}
	bk.reopen()
	cp, err := bk.bank.Checkpoint(bk.ctx, 0)
	if err != nil || cp.legacy || cp.Size != 2 || cp.Root != legacy.Root || cp.Verify(bk.bank.Verifier()) != nil {
		t.Fatalf("migrated head: %v %+v", err, cp)
	}
	if _, err := bk.bank.CheckpointNote(cp); err != nil {
		t.Fatal(err)
	}
	bk.mustPay("alice", "bob", 1, "new")
}

// A head file that cannot be written is not silent: the book is still
// whole, but Check warns that a rollback past the head would go unseen,
// until a write succeeds again.
func TestHeadWriteFailureIsReported(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	bk.head = filepath.Join(t.TempDir(), "head.note")
	bk.reopen()
	os.RemoveAll(bk.head)
	if err := os.Mkdir(bk.head, 0o700); err != nil { // a file cannot be renamed onto it
		t.Fatal(err)
	}
	bk.mustPay("alice", "bob", 1, "x")
	var rep *CheckReport
	for range 200 { // the writer runs right behind the commit
		var err error
		if rep, err = bk.bank.Check(bk.ctx); err != nil {
			t.Fatal(err)
		}
		if len(rep.Warnings) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !rep.OK() || len(rep.Warnings) != 1 || !strings.Contains(rep.String(), "head file not written since") {
		t.Fatalf("check after failed head writes: %s", rep)
	}
	os.Remove(bk.head)
	bk.mustPay("bob", "carol", 1, "y")
	for range 200 {
		if rep, _ = bk.bank.Check(bk.ctx); len(rep.Warnings) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("warning outlived a successful write: %s", rep)
}
