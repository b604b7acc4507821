package ledger

import (
	"golang.org/x/mod/sumdb/note"
)

// Witness cosigns the bank's checkpoints, each only if it extends the last
// one the witness cosigned (c2sp.org/tlog-cosignature semantics: "the
// largest consistent tree I have seen"). It refuses a rollback or a fork
// with a *SplitViewError; keeping that evidence (both notes) is the
// caller's, as is persisting Last after each Add.
//
//	witness                          bank
//	   GET checkpoint  ───────────▶
//	   ◀───────────  note (size n, bank-signed)
//	   GET consistency m→n ───────▶  (m: last cosigned size)
//	   ◀───────────  proof
//	   verify bank signature, CheckView(last, new, proof), cosign
type Witness struct {
	cosigner *Cosigner
	bank     note.Verifier
	verifier Verifier
	last     *Checkpoint
	lastNote []byte
}

// NewWitness makes the witness c of the bank (scheme, name, public key);
// last is the note it cosigned last, nil on its first use.
func NewWitness(c *Cosigner, scheme Scheme, bank string, pub []byte, last []byte) (*Witness, error) {
	nv, err := NoteVerifier(scheme, bank, pub)
	if err != nil {
		return nil, err
	}
	v, err := BankVerifier(scheme, bank, pub)
	if err != nil {
		return nil, err
	}
	w := &Witness{cosigner: c, bank: nv, verifier: v}
	if last != nil {
		if w.last, err = OpenCheckpoint(last, nv, c.verifier()); err != nil {
			return nil, err
		}
		w.lastNote = last
	}
	return w, nil
}

// Last is the checkpoint cosigned last and its cosigned note (nil, nil
// before the first).
func (w *Witness) Last() (*Checkpoint, []byte) { return w.last, w.lastNote }

// Add verifies msg, a checkpoint note signed by the bank, and proof, the
// consistency proof from the last cosigned checkpoint's size to msg's, and
// returns msg with the witness's cosignature added.
func (w *Witness) Add(msg []byte, proof [][]byte) ([]byte, error) {
	cp, err := OpenCheckpoint(msg, w.bank)
	if err != nil {
		return nil, err
	}
	if w.last != nil {
		if err := CheckView(w.verifier, w.last, cp, proof); err != nil {
			return nil, err
		}
	}
	cosigned, err := w.cosigner.Cosign(msg, w.bank)
	if err != nil {
		return nil, err
	}
	w.last, w.lastNote = cp, cosigned
	return cosigned, nil
}

// verifier is the cosigner's own public key as a note verifier.
func (c *Cosigner) verifier() note.Verifier {
	v, err := ParseWitnessKey(c.VerifierKey())
	if err != nil {
		panic(err) // VerifierKey always parses
	}
	return v
}

// BankKey is the bank's key as a note verifier.
func (w *Witness) BankKey() note.Verifier { return w.bank }
