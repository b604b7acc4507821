package ledger_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"trustbank/ledger"
)

// A client that requires a witness: the bank's checkpoint note opens only
// once the witness has cosigned it, and a smaller checkpoint after it is
// a rollback.
func ExampleOpenCheckpoint() {
	bankKey, _ := ledger.ParseSM2Signer(bytes.Repeat([]byte{0x42}, 32))
	bank, _ := ledger.NoteVerifier(ledger.SM2, "bank-a", bankKey.PublicKey())
	witness, _ := ledger.NewCosigner("witness.example/w1", bytes.Repeat([]byte{7}, 32), nil)
	wkey, _ := ledger.ParseWitnessKey(witness.VerifierKey())

	msg := exampleNote(bankKey, bank, 7)
	_, err := ledger.OpenCheckpoint(msg, bank, wkey)
	fmt.Println(errors.Is(err, ledger.ErrNotCosigned))

	cosigned, _ := witness.Cosign(msg, bank)
	seen, err := ledger.OpenCheckpoint(cosigned, bank, wkey)
	fmt.Println(seen.Size, err, strings.Count(string(cosigned), "— "))

	older, _ := ledger.OpenCheckpoint(exampleNote(bankKey, bank, 6), bank)
	v, _ := ledger.NewSM2Verifier(bankKey.PublicKey(), nil)
	fmt.Println(ledger.CheckView(v, seen, older, nil))
	// Output:
	// true
	// 7 <nil> 2
	// ledger: log rolled back: size 6 < 7 seen
}

// exampleNote is the bank's note of a checkpoint of size n (as the bank's
// committer signs it).
func exampleNote(key *ledger.SM2Signer, bank note.Verifier, n uint64) []byte {
	cp := &ledger.Checkpoint{Bank: "bank-a", Size: n, Time: 1700000000000}
	cp.Root[0] = byte(n)
	cp.Sig, _ = key.Sign(cp.NoteText())
	msg, err := cp.SignedNote(bank)
	if err != nil {
		panic(err)
	}
	return msg
}

func BenchmarkOpenCheckpoint(b *testing.B) {
	key, _ := ledger.ParseSM2Signer(bytes.Repeat([]byte{0x42}, 32))
	bank, _ := ledger.NoteVerifier(ledger.SM2, "bank-a", key.PublicKey())
	witness, _ := ledger.NewCosigner("witness.example/w1", bytes.Repeat([]byte{7}, 32), nil)
	wkey, _ := ledger.ParseWitnessKey(witness.VerifierKey())
	cosigned, _ := witness.Cosign(exampleNote(key, bank, 7), bank)
	for b.Loop() {
		if _, err := ledger.OpenCheckpoint(cosigned, bank, wkey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCosign(b *testing.B) {
	key, _ := ledger.ParseSM2Signer(bytes.Repeat([]byte{0x42}, 32))
	bank, _ := ledger.NoteVerifier(ledger.SM2, "bank-a", key.PublicKey())
	witness, _ := ledger.NewCosigner("witness.example/w1", bytes.Repeat([]byte{7}, 32), nil)
	msg := exampleNote(key, bank, 7)
	for b.Loop() {
		if _, err := witness.Cosign(msg, bank); err != nil {
			b.Fatal(err)
		}
	}
}
