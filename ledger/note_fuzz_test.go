package ledger

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"

	"trustbank/internal/fuzzcorpus"
)

// fuzzBank is a fixed bank key, so that checked-in seeds verify.
func fuzzBank(tb testing.TB) (*SM2Signer, *Cosigner) {
	s, err := ParseSM2Signer(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	w, err := NewCosigner("witness.example/w1", bytes.Repeat([]byte{7}, 32), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s, w
}

func noteSeeds(f *testing.F) [][]byte {
	s, w := fuzzBank(f)
	bank, _ := NoteVerifier(SM2, "bank-a", s.PublicKey())
	cp := &Checkpoint{Bank: "bank-a", Size: 7, Time: 1700000000123}
	cp.Root[3] = 9
	cp.Sig, _ = s.Sign(cp.signed())
	msg, err := cp.SignedNote(bank)
	if err != nil {
		f.Fatal(err)
	}
	co, err := w.Cosign(msg, bank)
	if err != nil {
		f.Fatal(err)
	}
	return [][]byte{msg, co}
}

// FuzzCheckpointNote: opening a note never panics; a note that opens
// re-signs to one that opens to the same checkpoint, and its text is the
// checkpoint's canonical text.
func FuzzCheckpointNote(f *testing.F) {
	var inputs [][][]byte
	for _, s := range noteSeeds(f) {
		inputs = append(inputs, fuzzcorpus.Variants(s)...)
	}
	fuzzcorpus.Seed(f, inputs...)
	s, w := fuzzBank(f)
	bank, _ := NoteVerifier(SM2, "bank-a", s.PublicKey())
	wv, _ := ParseWitnessKey(w.VerifierKey())
	v, _ := NewSM2Verifier(s.PublicKey(), nil)
	f.Fuzz(func(t *testing.T, msg []byte) {
		OpenCheckpoint(msg, bank, wv)
		cp, err := OpenCheckpoint(msg, bank)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(msg, cp.NoteText()) || cp.Verify(v) != nil {
			t.Fatalf("opened a note whose text or signature is not the checkpoint's:\n%q", msg)
		}
		re, err := cp.SignedNote(bank)
		if err != nil {
			t.Fatal(err)
		}
		back, err := OpenCheckpoint(re, bank)
		if err != nil || fmt.Sprint(*back) != fmt.Sprint(*cp) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, back, cp)
		}
	})
}

// FuzzNoteText: the checkpoint body parser takes only what NoteText writes.
func FuzzNoteText(f *testing.F) {
	var inputs [][][]byte
	for _, s := range noteSeeds(f) {
		text, _, _ := bytes.Cut(s, []byte("\n\n"))
		inputs = append(inputs, fuzzcorpus.Variants(append(text, '\n'))...)
	}
	fuzzcorpus.Seed(f, inputs...)
	f.Fuzz(func(t *testing.T, text []byte) {
		cp, err := parseNoteText(string(text))
		if err != nil {
			return
		}
		if !bytes.Equal(cp.NoteText(), text) {
			t.Fatalf("non-canonical text accepted: %q", text)
		}
	})
}

// FuzzWitnessKey: a vkey parses only in its one canonical spelling.
func FuzzWitnessKey(f *testing.F) {
	_, w := fuzzBank(f)
	fuzzcorpus.Seed(f, fuzzcorpus.Variants([]byte(w.VerifierKey()))...)
	f.Fuzz(func(t *testing.T, vkey []byte) {
		v, err := ParseWitnessKey(string(vkey))
		if err != nil {
			return
		}
		cv := v.(*cosignatureVerifier)
		key := base64.StdEncoding.EncodeToString(append([]byte(noteAlgCo), cv.pub...))
		if got := fmt.Sprintf("%s+%08x+%s", cv.name, cv.hash, key); got != string(vkey) {
			t.Fatalf("vkey %q parsed as %q", vkey, got)
		}
	})
}
