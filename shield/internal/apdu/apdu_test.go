package apdu

import (
	"bytes"
	"errors"
	"testing"

	"trustbank/internal/fuzzcorpus"
)

func TestCommandCases(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 300)
	for name, tc := range map[string]struct {
		c    Command
		want []byte
	}{
		"ok/case1":        {Command{0, 0xA4, 4, 0, nil, 0}, []byte{0, 0xA4, 4, 0}},
		"ok/case2S":       {Command{0, 0x84, 0, 0, nil, 8}, []byte{0, 0x84, 0, 0, 8}},
		"ok/case2S-256":   {Command{0, 0x84, 0, 0, nil, 256}, []byte{0, 0x84, 0, 0, 0}},
		"ok/case3S":       {Command{0, 0x20, 0, 0x81, []byte{1, 2}, 0}, []byte{0, 0x20, 0, 0x81, 2, 1, 2}},
		"ok/case4S":       {Command{0, 0x88, 0, 0, []byte{9}, 256}, []byte{0, 0x88, 0, 0, 1, 9, 0}},
		"ok/case2E":       {Command{0, 0xB0, 0, 0, nil, 65536}, []byte{0, 0xB0, 0, 0, 0, 0, 0}},
		"ok/case2E-257":   {Command{0, 0xB0, 0, 0, nil, 257}, []byte{0, 0xB0, 0, 0, 0, 1, 1}},
		"ok/case3E":       {Command{0, 0xD6, 0, 0, long, 0}, append([]byte{0, 0xD6, 0, 0, 0, 1, 44}, long...)},
		"ok/case4E":       {Command{0, 0x2A, 0, 0, long, 65536}, append(append([]byte{0, 0x2A, 0, 0, 0, 1, 44}, long...), 0, 0)},
		"ok/case4E-by-Ne": {Command{0, 0x2A, 0, 0, []byte{1}, 300}, []byte{0, 0x2A, 0, 0, 0, 0, 1, 1, 1, 44}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := tc.c.MarshalBinary()
			if err != nil || !bytes.Equal(b, tc.want) {
				t.Fatalf("marshal %x %v, want %x", b, err, tc.want)
			}
			got, err := ParseCommand(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.CLA != tc.c.CLA || got.INS != tc.c.INS || got.P1 != tc.c.P1 || got.P2 != tc.c.P2 ||
				!bytes.Equal(got.Data, tc.c.Data) || got.Ne != tc.c.Ne {
				t.Fatalf("parsed %+v, want %+v", got, tc.c)
			}
		})
	}
}

func TestCommandRefusesNonCanonical(t *testing.T) {
	for name, b := range map[string][]byte{
		"fail/short-header":      {0, 0xA4, 4},
		"fail/lc-too-long":       {0, 0x20, 0, 0, 3, 1, 2},
		"fail/trailing":          {0, 0x20, 0, 0, 1, 1, 2, 3},
		"fail/ext-cut":           {0, 0x20, 0, 0, 0, 1},
		"fail/ext-le-fits":       {0, 0xB0, 0, 0, 0, 0, 5},
		"fail/ext-lc-zero":       {0, 0x20, 0, 0, 0, 0, 0, 1},
		"fail/ext-lc-fits":       {0, 0x20, 0, 0, 0, 0, 1, 9},
		"fail/ext-lc-fits-le":    {0, 0x20, 0, 0, 0, 0, 1, 9, 0, 5},
		"fail/ext-body-mismatch": {0, 0x20, 0, 0, 0, 1, 0, 9},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCommand(b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%x: %v", b, err)
			}
		})
	}
	if _, err := ParseCommand([]byte{0, 0x20, 0, 0, 3, 1}); !errors.Is(err, ErrLength) {
		t.Fatalf("lc mismatch: %v", err)
	}
}

func TestStatusWords(t *testing.T) {
	sw := WrongPIN(3)
	if sw != 0x63C3 || !errors.Is(sw, SWWrongPIN) || errors.Is(sw, SWOK) {
		t.Fatalf("%v", sw)
	}
	if n, ok := sw.TriesLeft(); !ok || n != 3 {
		t.Fatal(n, ok)
	}
	if _, ok := SWAuthBlocked.TriesLeft(); ok {
		t.Fatal("6983 has no tries")
	}
	if SWSMIncorrect.String() != "6988 (SM data objects incorrect)" {
		t.Fatal(SWSMIncorrect.String())
	}
	r, err := ParseResponse([]byte{1, 2, 0x90, 0})
	if err != nil || r.SW != SWOK || !bytes.Equal(r.Data, []byte{1, 2}) || !bytes.Equal(r.Bytes(), []byte{1, 2, 0x90, 0}) {
		t.Fatal(r, err)
	}
	if _, err := ParseResponse([]byte{0x90}); !errors.Is(err, ErrMalformed) {
		t.Fatal(err)
	}
}

func FuzzParseCommand(f *testing.F) {
	var seeds [][][]byte
	for _, c := range []Command{{0, 0xA4, 4, 0, []byte{0xF0, 1, 2}, 256}, {0x84, 0x20, 0, 0x81, bytes.Repeat([]byte{1}, 24), 0},
		{0, 0xB0, 0, 0, nil, 65536}, {0, 0xD6, 0, 0, bytes.Repeat([]byte{2}, 260), 0}, {0, 0x84, 0, 0, nil, 16}} {
		b, _ := c.MarshalBinary()
		seeds = append(seeds, fuzzcorpus.Variants(b)...)
	}
	fuzzcorpus.Seed(f, seeds...)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			return
		}
		again, err := c.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip %x → %x %v", b, again, err)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	fuzzcorpus.Seed(f, fuzzcorpus.Variants([]byte{1, 2, 3, 0x90, 0})...)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		if again := r.Bytes(); !bytes.Equal(again, b) {
			t.Fatalf("round trip %x → %x", b, again)
		}
	})
}
