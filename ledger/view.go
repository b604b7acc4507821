package ledger

import (
	"fmt"

	"github.com/transparency-dev/merkle/proof"
)

// SplitViewError is a rollback (ErrRollback) or a fork (ErrFork), with its
// evidence: the checkpoint seen before and the one presented now, both
// signed by the bank.
type SplitViewError struct {
	Err    error // ErrRollback or ErrFork
	Seen   *Checkpoint
	Got    *Checkpoint
	Detail string
}

func (e *SplitViewError) Error() string { return e.Err.Error() + ": " + e.Detail }
func (e *SplitViewError) Unwrap() error { return e.Err }

func rollback(seen, got *Checkpoint) *SplitViewError {
	return &SplitViewError{Err: ErrRollback, Seen: seen, Got: got,
		Detail: fmt.Sprintf("size %d < %d seen", got.Size, seen.Size)}
}

func fork(seen, got *Checkpoint, why string) *SplitViewError {
	return &SplitViewError{Err: ErrFork, Seen: seen, Got: got, Detail: why}
}

// CompareSizes is the part of CheckView that needs no proof: nil if got is
// larger than seen (a proof is then needed), a rollback if it is smaller,
// a fork if it has seen's size and another root. equal reports same size
// and root.
func CompareSizes(seen, got *Checkpoint) (equal bool, err error) {
	switch {
	case got.Size < seen.Size:
		return false, rollback(seen, got)
	case got.Size == seen.Size && got.Root != seen.Root:
		return false, fork(seen, got, fmt.Sprintf("two roots for size %d: %x seen, %x now", got.Size, seen.Root[:8], got.Root[:8]))
	}
	return got.Size == seen.Size, nil
}

// CheckView checks that got, the checkpoint a log presents now, extends
// seen, the last one the client accepted: both signed by bank, got no
// smaller, and proof (RFC 6962, from seen.Size to got.Size) verifying.
// A smaller got is ErrRollback, a different root at one size or a failing
// proof ErrFork — each a *SplitViewError holding both checkpoints — and a
// bad signature ErrBadSignature.
func CheckView(bank Verifier, seen, got *Checkpoint, proofHashes [][]byte) error {
	if err := seen.Verify(bank); err != nil {
		return err
	}
	if err := got.Verify(bank); err != nil {
		return err
	}
	if equal, err := CompareSizes(seen, got); equal || err != nil {
		return err
	}
	if err := proof.VerifyConsistency(TreeHasher, seen.Size, got.Size, proofHashes, seen.Root[:], got.Root[:]); err != nil {
		return fork(seen, got, fmt.Sprintf("consistency proof %d → %d fails: %v", seen.Size, got.Size, err))
	}
	return nil
}
