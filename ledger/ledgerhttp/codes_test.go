package ledgerhttp

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"trustbank/ledger"
)

// A restore that conflicts with the book is the operator's to resolve: 409
// with its own code (never a 500), and the client's error unwraps to the
// sentinel.
func TestRestoreConflictIs409(t *testing.T) {
	err := fmt.Errorf("ledger: recover restored nothing: %w: entry 4 books alice's money of 1, and entry 7 holds that money", ledger.ErrRestoreConflict)
	code, status := codes.Classify(err)
	if code != "restore_conflict" || status != http.StatusConflict {
		t.Fatalf("classified as %s %d", code, status)
	}
	if !errors.Is(codes.Sentinel(code), ledger.ErrRestoreConflict) {
		t.Fatal("the client does not map restore_conflict back to ledger.ErrRestoreConflict")
	}
}
