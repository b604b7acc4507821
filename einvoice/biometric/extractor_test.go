package biometric

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// testRand is a deterministic randomness source for Gen.
func testRand(seed byte) io.Reader { return rand.NewChaCha8([32]byte{seed}) }

func TestGenRep(t *testing.T) {
	people := population(3, mustOptions(t, EvalOptions{Persons: 12}))
	for i, p := range people {
		key, h, err := Gen(testRand(byte(i)), p.live[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, probe := range p.live[1:] {
			got, err := Rep(probe, h)
			if err != nil || got != key {
				t.Fatalf("person %d: genuine Rep: %v (key equal: %v)", i, err, got == key)
			}
		}
		other := people[(i+1)%len(people)]
		for _, probe := range other.live {
			if got, err := Rep(probe, h); !errors.Is(err, ErrNoMatch) || got != ([32]byte{}) {
				t.Fatalf("person %d: impostor Rep: %v", i, err)
			}
		}
	}
}

func TestGenFresh(t *testing.T) {
	face := population(4, mustOptions(t, EvalOptions{Persons: 2}))[0].live[0]
	k1, h1, err := Gen(testRand(1), face)
	if err != nil {
		t.Fatal(err)
	}
	k2, h2, err := Gen(testRand(2), face)
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k2 || bytes.Equal(h1.Sketch, h2.Sketch) || h1.Salt == h2.Salt {
		t.Fatal("two Gen calls with fresh randomness share a key or helper")
	}
	k3, h3, _ := Gen(testRand(1), face)
	e1, _ := h1.MarshalBinary()
	e3, _ := h3.MarshalBinary()
	if k1 != k3 || !bytes.Equal(e1, e3) {
		t.Fatal("Gen is not a function of its randomness and template")
	}
	for _, h := range []*Helper{h1, h2} {
		if k, err := Rep(face, h); err != nil || (k != k1 && k != k2) {
			t.Fatal("each helper reproduces its own key", err)
		}
	}
}

func TestGenErrors(t *testing.T) {
	face := population(4, mustOptions(t, EvalOptions{Persons: 2}))[0].live[0]
	if _, _, err := Gen(bytes.NewReader(make([]byte, 20)), face); err == nil {
		t.Error("short randomness accepted")
	}
	if _, _, err := Gen(testRand(0), face[:10]); !errors.Is(err, ErrTemplate) {
		t.Error("short template:", err)
	}
	for _, p := range []Params{{N: 48, K: 15, Repeat: 15}, {N: 16, K: 16, Repeat: 1}, {N: 48, K: 16, Repeat: 4}, {N: 255, K: 16, Repeat: 31}} {
		if _, _, err := GenParams(testRand(0), face, p); !errors.Is(err, ErrParams) {
			t.Errorf("%v: %v", p, err)
		}
	}
	if _, err := Rep(face, nil); err == nil {
		t.Error("nil helper")
	}
}

// probeWithErrors returns enrolment bits w altered in exactly e RS
// symbols: in each of the first e bytes one codeword bit has its whole
// repetition group flipped, and in every other group (Repeat−1)/2 bits
// are flipped, the most the majority vote absorbs.
func probeWithErrors(p Params, w []byte, e int) []byte {
	out := append([]byte(nil), w...)
	flip := func(j int) { out[j/8] ^= 0x80 >> (j % 8) }
	for i := range 8 * p.N {
		n := (p.Repeat - 1) / 2
		if i%8 == 3 && i/8 < e {
			n = p.Repeat
		}
		for j := i * p.Repeat; j < i*p.Repeat+n; j++ {
			flip(j)
		}
	}
	return out
}

func TestCapacityBoundary(t *testing.T) {
	face := population(5, mustOptions(t, EvalOptions{Persons: 2}))[0].live[0]
	for _, p := range []Params{DefaultParams, {N: 40, K: 16, Repeat: 21}, {N: 33, K: 16, Repeat: 1}, {N: 255, K: 200, Repeat: 3}} {
		key, h, err := GenParams(testRand(9), face, p)
		if err != nil {
			t.Fatal(err)
		}
		w := binarize(face, p.Bits())
		tc := p.Capacity()
		for _, e := range []int{0, tc - 1, tc} {
			if got, err := rep(probeWithErrors(p, w, e), h); err != nil || got != key {
				t.Errorf("%v: %d byte errors (capacity %d) not corrected: %v", p, e, tc, err)
			}
		}
		for _, e := range []int{tc + 1, tc + 2, p.N} {
			if _, err := rep(probeWithErrors(p, w, e), h); !errors.Is(err, ErrNoMatch) {
				t.Errorf("%v: %d byte errors (capacity %d): got %v, want ErrNoMatch", p, e, tc, err)
			}
		}
		if n := byteErrors(p, w, probeWithErrors(p, w, tc+1)); n != tc+1 {
			t.Errorf("probe has %d byte errors, want %d", n, tc+1)
		}
	}
}

// TestTamper alters every byte of an encoded helper in turn: Rep on the
// genuine face must then fail (malformed, tampered or no match) and never
// return a key, let alone a wrong one.
func TestTamper(t *testing.T) {
	ps := population(6, mustOptions(t, EvalOptions{Persons: 2}))
	face, probe := ps[0].live[0], ps[0].live[1]
	key, h, err := Gen(testRand(3), face)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := h.MarshalBinary()
	counts := map[string]int{}
	for i := range enc {
		bad := append([]byte(nil), enc...)
		bad[i] ^= 0x04
		var h2 Helper
		if err := h2.UnmarshalBinary(bad); err != nil {
			counts["malformed"]++
			continue
		}
		got, err := Rep(probe, &h2)
		switch {
		case err == nil:
			t.Fatalf("byte %d altered: Rep returned a key (the right one: %v)", i, got == key)
		case errors.Is(err, ErrHelperTampered):
			counts["tampered"]++
		case errors.Is(err, ErrNoMatch):
			counts["nomatch"]++
		default:
			counts["other"]++
		}
	}
	// Salt, sketch and tag changes are caught by the tag; only the
	// commitment (32 bytes) turns into "no match", and the parameters
	// into decode errors or a failed decoding.
	if counts["tampered"] < 16+len(h.Sketch)+32 || counts["nomatch"] > 32+3 {
		t.Errorf("outcomes %v", counts)
	}
}

// TestForgedHelper: an attacker who makes a helper from their own face
// with the victim's salt and parameters gets nothing from the victim's
// face, and a victim's helper re-tagged by the attacker is refused.
func TestForgedHelper(t *testing.T) {
	ps := population(8, mustOptions(t, EvalOptions{Persons: 2}))
	victim, attacker := ps[0], ps[1]
	_, h, _ := Gen(testRand(1), victim.live[0])
	_, forged, _ := Gen(testRand(2), attacker.live[0])
	forged.Salt = h.Salt
	if _, err := Rep(victim.live[1], forged); err == nil {
		t.Fatal("attacker's helper opened with the victim's face")
	}
	// Move the victim's sketch by a codeword of the attacker's choosing:
	// the decoding then lands on a different secret the commitment refuses.
	cw, _ := codeword(h.Params, bytes.Repeat([]byte{1}, h.Params.K))
	moved := *h
	moved.Sketch = xorBytes(h.Sketch, cw)
	if _, err := Rep(victim.live[1], &moved); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("shifted sketch: %v", err)
	}
}

func TestHelperEncoding(t *testing.T) {
	face := population(10, mustOptions(t, EvalOptions{Persons: 2}))[0].live[0]
	_, h, _ := Gen(testRand(4), face)
	enc, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 + 16 + DefaultParams.Bits()/8 + 64; len(enc) != want {
		t.Fatalf("helper is %d bytes, want %d", len(enc), want)
	}
	var back Helper
	if err := back.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	again, _ := back.MarshalBinary()
	if !bytes.Equal(enc, again) {
		t.Fatal("round trip")
	}
	keep := back
	for name, b := range map[string][]byte{
		"fail/empty":    nil,
		"fail/kind":     append([]byte{0x00}, enc[1:]...),
		"fail/trailing": append(append([]byte(nil), enc...), 0),
		"fail/short":    enc[:len(enc)-1],
		"fail/params":   append([]byte{KindHelper, 48, 16, 14}, enc[4:]...),
	} {
		if err := back.UnmarshalBinary(b); err == nil {
			t.Errorf("%s accepted", name)
		}
		if back.Salt != keep.Salt || !bytes.Equal(back.Sketch, keep.Sketch) {
			t.Fatalf("%s changed the helper", name)
		}
	}
	if _, err := (&Helper{Params: DefaultParams}).MarshalBinary(); err == nil {
		t.Error("helper without sketch encoded")
	}
}
