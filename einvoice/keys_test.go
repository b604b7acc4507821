package einvoice

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// Test IDs: a resident ID number and a unified social credit code whose
// check characters are right (the standards' algorithms, worked by hand
// in TestParseIDs).
const (
	testEID = "11010519491231002X"
	testSID = "91350100M000100Y43"
)

func mustEID(t testing.TB, s string) EID {
	e, err := ParseEID(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustSID(t testing.TB, s string) SID {
	id, err := ParseSID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestParseIDs(t *testing.T) {
	eids := map[string]bool{
		"ok/x-check":        true,
		"fail/wrong-check":  false,
		"fail/short":        false,
		"fail/letter":       false,
		"fail/lowercase-x":  false,
		"ok/digit-check":    true,
		"fail/digit-swap-1": false,
	}
	in := map[string]string{
		"ok/x-check":        testEID,
		"fail/wrong-check":  "110105194912310021",
		"fail/short":        "11010519491231002",
		"fail/letter":       "1101051949123100AX",
		"fail/lowercase-x":  "11010519491231002x",
		"ok/digit-check":    "440524188001010014",
		"fail/digit-swap-1": "440524188001010041",
	}
	for name, ok := range eids {
		_, err := ParseEID(in[name])
		if ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadID)) {
			t.Errorf("eID %s (%s): %v", name, in[name], err)
		}
	}
	sids := map[string]struct {
		s  string
		ok bool
	}{
		"ok/code":          {testSID, true},
		"ok/code-2":        {"91110000802100433B", true},
		"fail/check":       {"91350100M000100Y44", false},
		"fail/forbidden-I": {"91350100I000100Y43", false},
		"fail/long":        {testSID + "0", false},
	}
	for name, tc := range sids {
		_, err := ParseSID(tc.s)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadID)) {
			t.Errorf("sID %s (%s): %v", name, tc.s, err)
		}
	}
}

// h is HMAC-SM3 over the framed label and parts, exactly as documented.
func TestHFraming(t *testing.T) {
	key := []byte("key")
	got := h(key, "L", []byte("ab"), []byte{})
	m := hmac.New(sm3.New, key)
	m.Write([]byte{0, 0, 0, 1, 'L', 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0})
	if want := m.Sum(nil); !bytes.Equal(got[:], want) {
		t.Fatalf("h = %x, want %x", got, want)
	}
	// Framing is injective: moving a byte between parts changes h.
	if a, b := h(key, "L", []byte("ab"), []byte("c")), h(key, "L", []byte("a"), []byte("bc")); a == b {
		t.Fatal("framing does not separate parts")
	}
	// Masks: T_1 ‖ T_2, T_c = h(k, label, x, be32(c)).
	m40 := mask(40, key, "L", []byte("x"))
	t1, t2 := h(key, "L", []byte("x"), []byte{0, 0, 0, 1}), h(key, "L", []byte("x"), []byte{0, 0, 0, 2})
	if !bytes.Equal(m40, append(t1[:], t2[:8]...)) {
		t.Fatal("mask is not HMAC-SM3 in counter mode")
	}
}

// The paper's identity algebra: the system recovers b_i and eID_i from
// (HID_i, Hb_i, ρ), and K_i from them.
func TestIdentityRoundTrip(t *testing.T) {
	ke := NewMasterKey()
	eID := mustEID(t, testEID)
	var b BioKey
	copy(b[:], random(KeyLen))
	id := ke.NewIdentity(eID, &b)
	gotEID, gotB, err := ke.Open(&id)
	if err != nil || gotEID != eID || *gotB != b {
		t.Fatalf("open: %v %s %x", err, gotEID, gotB)
	}
	// The documented formulas, computed here independently.
	wantHID := xor(eID[:], mask(IDLen, b[:], lblHID, ke[:], id.Rho[:]))
	wantHb := xor(b[:], mask(KeyLen, wantHID, lblHb, ke[:]))
	if !bytes.Equal(id.HID[:], wantHID) || !bytes.Equal(id.Hb[:], wantHb) {
		t.Fatal("identity does not follow HID = eID ⊕ h(b, Ke, ρ), Hb = b ⊕ h(HID, Ke)")
	}
	if ke.BuyerKey(eID, &b) != h(ke[:], lblKi, eID[:], b[:]) {
		t.Fatal("K_i")
	}
	// Refresh: a second identity of the same buyer shares no field.
	id2 := ke.NewIdentity(eID, &b)
	if bytes.Equal(id.HID[:], id2.HID[:]) || bytes.Equal(id.Hb[:], id2.Hb[:]) || id.Rho == id2.Rho {
		t.Fatal("refreshed identity repeats a field")
	}
	// Another master key recovers garbage: no registered eID.
	if e, _, err := NewMasterKey().Open(&id); err == nil && e == eID {
		t.Fatal("identity opened under another Ke")
	}
}

func TestSellerKey(t *testing.T) {
	ke := &MasterKey{1}
	sid := mustSID(t, testSID)
	a, b := ke.SellerKey(sid), (&MasterKey{2}).SellerKey(sid)
	if a == b || a != h(ke[:], lblKj, sid[:]) {
		t.Fatal("K_j")
	}
	t.Logf("K_j under Ke=01…: %s", hex.EncodeToString(a[:8]))
}

func TestEncDec(t *testing.T) {
	tk := random(KeyLen)
	ct := enc(tk, "C_i1", []byte("hello"))
	if len(ct) != 5+EncOverhead {
		t.Fatalf("ciphertext %d bytes", len(ct))
	}
	if pt, err := dec(tk, "C_i1", ct); err != nil || string(pt) != "hello" {
		t.Fatalf("dec: %v", err)
	}
	for name, f := range map[string]func() error{
		"other-field": func() error { _, err := dec(tk, "C_i2", ct); return err },
		"other-key":   func() error { _, err := dec(random(KeyLen), "C_i1", ct); return err },
		"flipped": func() error {
			c := bytes.Clone(ct)
			c[len(c)-1] ^= 1
			_, err := dec(tk, "C_i1", c)
			return err
		},
		"short": func() error { _, err := dec(tk, "C_i1", ct[:EncOverhead-1]); return err },
	} {
		if err := f(); !errors.Is(err, ErrAuth) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
