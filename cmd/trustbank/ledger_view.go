package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/mod/sumdb/note"

	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// logView is what a holder or an auditor checks of the bank's log: the
// latest checkpoint (cosigned by the required witness, if any) must extend
// the last one accepted, and every checkpoint a notice carries must be
// consistent with it.
type logView struct {
	client     *ledgerhttp.Client
	bank       ledger.Verifier
	note       note.Verifier
	witness    note.Verifier // nil: no witness required
	witnessURL string
}

func newLogView(c *ledgerhttp.Client, scheme ledger.Scheme, bank string, pub []byte, witnessURL, witnessKey string) (*logView, error) {
	v := &logView{client: c, witnessURL: witnessURL}
	var err error
	if v.bank, err = ledger.BankVerifier(scheme, bank, pub); err != nil {
		return nil, err
	}
	if v.note, err = ledger.NoteVerifier(scheme, bank, pub); err != nil {
		return nil, err
	}
	if witnessKey != "" {
		if v.witness, err = ledger.ParseWitnessKey(witnessKey); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// latest fetches the bank's latest checkpoint note, through the witness
// if one is required, and verifies its signatures.
func (v *logView) latest(ctx context.Context) (*ledger.Checkpoint, []byte, error) {
	if v.witness == nil {
		msg, err := v.client.CheckpointNote(ctx, 0)
		if err != nil {
			return nil, nil, err
		}
		cp, err := ledger.OpenCheckpoint(msg, v.note)
		return cp, msg, err
	}
	msg, err := ledgerhttp.WitnessCheckpoint(ctx, v.witnessURL)
	if err != nil {
		return nil, nil, fmt.Errorf("witness %s: %w", v.witnessURL, err)
	}
	cp, err := ledger.OpenCheckpoint(msg, v.note, v.witness)
	return cp, msg, err
}

// openSaved reads a checkpoint note this client accepted before; a note
// that does not verify is an error, never a first use.
func (v *logView) openSaved(msg string) (*ledger.Checkpoint, error) {
	cp, err := ledger.OpenCheckpoint([]byte(msg), v.note)
	if err != nil {
		return nil, fmt.Errorf("the saved checkpoint: %w", err)
	}
	return cp, nil
}

// check fetches the latest checkpoint and checks it extends seen (nil on
// first use) and is consistent with every one of cps.
func (v *logView) check(ctx context.Context, seen *ledger.Checkpoint, cps ...*ledger.Checkpoint) (*ledger.Checkpoint, []byte, error) {
	latest, msg, err := v.latest(ctx)
	if err != nil {
		return nil, nil, err
	}
	if seen != nil {
		if err := v.client.Extend(ctx, v.bank, seen, latest); err != nil {
			return nil, nil, err
		}
	}
	for _, cp := range cps {
		if err := v.client.Extend(ctx, v.bank, cp, latest); err != nil {
			return nil, nil, fmt.Errorf("a notice's checkpoint against the latest: %w", err)
		}
	}
	return latest, msg, nil
}

// auditFile is an auditor's state: the pinned bank key, the last
// checkpoint audited (a signed note; Checkpoint is the binary form older
// files hold, read only), and the witness required, if any.
type auditFile struct {
	BankKey    []byte `json:"bank_key"`
	Checkpoint []byte `json:"checkpoint,omitempty"`
	Note       string `json:"note,omitempty"`
	Witness    string `json:"witness,omitempty"`
	WitnessKey string `json:"witness_key,omitempty"`
}

// loadAuditFile reads an audit file: only a file that does not exist is a
// first audit (nil); one that cannot be read or parsed is an error.
func loadAuditFile(path string) (*auditFile, error) {
	var st auditFile
	err := loadJSON(path, &st)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit file %s (not overwritten): %w", path, err)
	}
	if st.Note == "" && st.Checkpoint == nil {
		return nil, fmt.Errorf("audit file %s (not overwritten) holds no checkpoint", path)
	}
	return &st, nil
}

// saved is the audited checkpoint of st, verified.
func (st *auditFile) saved(v *logView) (*ledger.Checkpoint, error) {
	if st.Note != "" {
		return v.openSaved(st.Note)
	}
	var cp ledger.Checkpoint
	if err := cp.UnmarshalBinary(st.Checkpoint); err != nil {
		return nil, fmt.Errorf("the saved checkpoint: %w", err)
	}
	if err := cp.Verify(v.bank); err != nil {
		return nil, fmt.Errorf("the saved checkpoint: %w", err)
	}
	return &cp, nil
}
