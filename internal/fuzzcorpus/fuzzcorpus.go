// Package fuzzcorpus keeps fuzz targets honest: each target's checked-in
// seed corpus (testdata/fuzz/<Target>) must exist and be non-empty, so that
// `go test` (and CI) really runs the target over its seeds.
//
// To (re)write a corpus from valid encodings made by the test itself, run
// the tests with TRUSTBANK_WRITE_CORPUS=1.
//
// RoundTrip is the one fuzz target of every binary codec: seeded with
// valid encodings and their near misses, it checks that decoding never
// panics and that whatever decodes re-encodes to exactly the input.
package fuzzcorpus

import (
	"bytes"
	"encoding"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Check fails f if the seed corpus of the running fuzz target is missing or empty.
func Check(f *testing.F) {
	f.Helper()
	dir := filepath.Join("testdata", "fuzz", f.Name())
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		f.Fatalf("seed corpus %s is missing or empty: run the tests once with TRUSTBANK_WRITE_CORPUS=1", dir)
	}
}

// Seed adds each input to f and, when TRUSTBANK_WRITE_CORPUS=1, also writes
// it to the target's corpus directory. Each input is the argument list of
// one call of the fuzz function ([]byte arguments only).
func Seed(f *testing.F, inputs ...[][]byte) {
	f.Helper()
	write := os.Getenv("TRUSTBANK_WRITE_CORPUS") == "1"
	dir := filepath.Join("testdata", "fuzz", f.Name())
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for i, in := range inputs {
		args := make([]any, len(in))
		s := "go test fuzz v1\n"
		for j, b := range in {
			args[j] = b
			s += "[]byte(" + strconv.Quote(string(b)) + ")\n"
		}
		f.Add(args...)
		if write {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(s), 0o644); err != nil {
				f.Fatal(err)
			}
		}
	}
	Check(f)
}

// Variants returns b, b without its last byte, and b with one bit flipped
// in the middle: a valid input and two near misses.
func Variants(b []byte) [][][]byte {
	if len(b) == 0 {
		return [][][]byte{{b}}
	}
	flip := append([]byte(nil), b...)
	flip[len(flip)/2] ^= 0x10
	return [][][]byte{{b}, {b[:len(b)-1]}, {flip}}
}

// Codec is a message with one canonical binary encoding.
type Codec interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// RoundTrip fuzzes a decoder over seeds and their Variants: decoding
// never panics, and whatever decodes re-encodes to exactly the input.
func RoundTrip[M Codec](f *testing.F, fresh func() M, seeds ...[]byte) {
	f.Helper()
	RoundTripCheck(f, fresh, nil, seeds...)
}

// RoundTripCheck is RoundTrip with a further check (if not nil) of each
// input that decodes and re-encodes.
func RoundTripCheck[M Codec](f *testing.F, fresh func() M, check func(t *testing.T, m M, in []byte), seeds ...[]byte) {
	f.Helper()
	var inputs [][][]byte
	for _, s := range seeds {
		inputs = append(inputs, Variants(s)...)
	}
	Seed(f, inputs...)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := fresh()
		if m.UnmarshalBinary(b) != nil {
			return
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded but does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n in  %x\n out %x", b, again)
		}
		if check != nil {
			check(t, m, b)
		}
	})
}
