package ledger

import (
	"bytes"
	"errors"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// TestCloseDay: a whole book closes with a signed closing checkpoint that
// survives a restart; a tampered one is refused, stops booking and
// records no closing.
func TestCloseDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		bk := tamperBook(t, open, SM2)
		c, rep, err := bk.bank.CloseDay(bk.ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("close of a whole book: %v, %v", rep, err)
		}
		cp, err := bk.bank.Checkpoint(bk.ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != 8 || c.Root != cp.Root || c.Bank != "bank-a" {
			t.Fatalf("closing %+v does not name checkpoint %+v", c, cp)
		}
		if err := c.Verify(bk.bank.Verifier()); err != nil {
			t.Fatal(err)
		}
		// A checkpoint's signature does not pass for a closing's.
		forged := *c
		forged.Sig = cp.Sig
		if err := forged.Verify(bk.bank.Verifier()); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("checkpoint signature accepted as a closing: %v", err)
		}
		bk.reopen()
		got, err := bk.bank.Closings(bk.ctx)
		if err != nil || len(got) != 1 || !bytes.Equal(got[0].Sig, c.Sig) {
			t.Fatalf("closings after restart: %v, %v", got, err)
		}
		e, m := bk.storedEntry(6)
		m.Purpose = "changed after closing"
		bk.rewrite(6, e, m)
		if _, rep, err := bk.bank.CloseDay(bk.ctx); !errors.Is(err, ErrBookBroken) || rep == nil || len(rep.Failed(6)) == 0 {
			t.Fatalf("close of a tampered book: %v, %v", rep, err)
		}
		if got, _ := bk.bank.Closings(bk.ctx); len(got) != 1 {
			t.Fatalf("a tampered book was closed: %d closings", len(got))
		}
		if _, _, err := bk.pay("bob", "carol", 1, "after a failed close"); !errors.Is(err, ErrBookBroken) {
			t.Fatalf("booking after a failed close: %v", err)
		}
	})
}

// FuzzClosing: a closing that decodes encodes back to the same bytes.
func FuzzClosing(f *testing.F) {
	s, err := GenerateSM2()
	if err != nil {
		f.Fatal(err)
	}
	c := &Closing{Bank: "bank-a", Size: 8, Closed: 1700000000000, Checked: 12}
	if c.Sig, err = s.Sign(c.body()); err != nil {
		f.Fatal(err)
	}
	seed, err := c.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-1])
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Closing
		if c.UnmarshalBinary(b) != nil {
			return
		}
		again, err := c.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip: %x → %x, %v", b, again, err)
		}
	})
}
