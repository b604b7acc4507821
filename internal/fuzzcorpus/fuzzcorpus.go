// Package fuzzcorpus keeps fuzz targets honest: each target's checked-in
// seed corpus (testdata/fuzz/<Target>) must exist and be non-empty, so that
// `go test` (and CI) really runs the target over its seeds.
//
// To (re)write a corpus from valid encodings made by the test itself, run
// the tests with TRUSTBANK_WRITE_CORPUS=1.
package fuzzcorpus

import (
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
