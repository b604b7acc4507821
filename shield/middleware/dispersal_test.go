package middleware

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/cloudflare/circl/group"
)

func testDispersal(t *testing.T) (*Sandbox, *record, []byte, []share) {
	t.Helper()
	plain := make([]byte, 48)
	rand.Read(plain)
	cc := make([]byte, 16)
	rand.Read(cc)
	sb, rec, err := disperse(plain, [8]byte{1, 2, 3}, cc, DefaultDispersal)
	if err != nil {
		t.Fatal(err)
	}
	shares, err := rec.shares(sb, cc)
	if err != nil {
		t.Fatal(err)
	}
	return sb, rec, plain, shares
}

func TestAnyTSharesRebuild(t *testing.T) {
	sb, rec, plain, shares := testDispersal(t)
	n := 0
	subsets(len(shares), rec.T, func(idx []int) bool {
		var pick []share
		for _, i := range idx {
			pick = append(pick, shares[i])
		}
		w, err := combine(rec.T, pick)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sb.open(w)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("subset %v: %v", idx, err)
		}
		n++
		return true
	})
	if n != 4 {
		t.Fatalf("%d subsets of 3 out of 4", n)
	}
}

func TestTMinusOneSharesRevealNothing(t *testing.T) {
	sb, rec, _, shares := testDispersal(t)
	if _, err := combine(rec.T, shares[:rec.T-1]); !errors.Is(err, ErrSandbox) {
		t.Fatalf("t-1 shares: %v", err)
	}
	// t-1 real shares and any guess for the last one: the key does not
	// pass the check value, so there are no host keys and no channel.
	for range 20 {
		v, _ := group.P256.RandomScalar(rand.Reader).MarshalBinary()
		guess := append(append([]share(nil), shares[:rec.T-1]...), share{id: 255, v: v})
		w, err := combine(rec.T, guess)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sb.open(w); err == nil {
			t.Fatal("t-1 shares and a guess opened the host keys")
		}
	}
	// Each side alone holds fewer than T shares.
	if len(rec.Positions) >= rec.T || len(rec.Card) >= rec.T {
		t.Fatalf("a side holds %d/%d shares, threshold %d", len(rec.Positions), len(rec.Card), rec.T)
	}
}

func TestCorruptedShareDetected(t *testing.T) {
	sb, rec, plain, _ := testDispersal(t)
	cc := make([]byte, 16)
	shares, _ := rec.shares(sb, cc)
	shares[0].v[31] ^= 1 // the first share tried (in the file or the card): tolerated
	got, failed, err := rebuild(sb, rec.T, shares)
	if err != nil || !bytes.Equal(got, plain) || failed == 0 {
		t.Fatalf("one corrupted share: failed %d, %v", failed, err)
	}
	shares[1].v[31] ^= 1 // two of four: beyond repair
	if _, _, err := rebuild(sb, rec.T, shares); !errors.Is(err, ErrSandbox) {
		t.Fatalf("two corrupted shares: %v", err)
	}
	if _, _, err := rebuild(sb, rec.T, shares[2:]); !errors.Is(err, ErrSandbox) {
		t.Fatalf("t-1 shares: %v", err)
	}
}

func TestDispersalValidate(t *testing.T) {
	for name, d := range map[string]Dispersal{
		"fail/file-alone": {T: 2, FileShares: 2, CardShares: 1, Slots: 8},
		"fail/card-alone": {T: 2, FileShares: 1, CardShares: 2, Slots: 8},
		"fail/too-few":    {T: 4, FileShares: 1, CardShares: 2, Slots: 8},
		"fail/slots":      {T: 3, FileShares: 2, CardShares: 2, Slots: 1},
	} {
		if err := d.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := DefaultDispersal.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSandboxRoundTrip(t *testing.T) {
	sb, rec, _, _ := testDispersal(t)
	b, err := sb.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Sandbox
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := back.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Fatal("sandbox round trip differs")
	}
	r2, err := parseRecord(rec.marshal())
	if err != nil || !bytes.Equal(r2.marshal(), rec.marshal()) {
		t.Fatalf("record round trip: %v", err)
	}
	if err := back.UnmarshalBinary(b[:len(b)-1]); !errors.Is(err, ErrSandbox) {
		t.Fatalf("short sandbox: %v", err)
	}
}

func FuzzSandbox(f *testing.F) {
	sb := &Sandbox{Sealed: make([]byte, sealedLen), Slots: [][]byte{make([]byte, scalarLen)}}
	b, _ := sb.MarshalBinary()
	f.Add(b)
	f.Add((&record{T: 3, Positions: []byte{1, 2}, CardIDs: []byte{201, 202}, Card: [][]byte{make([]byte, 32), make([]byte, 32)}}).marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sandbox
		if s.UnmarshalBinary(b) == nil {
			out, err := s.MarshalBinary()
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("sandbox round trip: %v", err)
			}
		}
		if r, err := parseRecord(b); err == nil && !bytes.Equal(r.marshal(), b) {
			t.Fatal("record round trip")
		}
	})
}
