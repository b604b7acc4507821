package node

import (
	"context"
	"strings"
	"testing"

	"trustbank/ledger"
)

// The ledger's signature scheme is fixed at the book's first use: a book
// signed with SM2 is not reopened as SM9.
func TestLedgerSchemeFixed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if n.Ledger.Scheme() != ledger.SM2 {
		t.Fatalf("default scheme %v", n.Ledger.Scheme())
	}
	n.Close()
	if _, err := Open(ctx, Config{DataDir: dir, LedgerScheme: ledger.SM9}); err == nil || !strings.Contains(err.Error(), "signed with sm2") {
		t.Fatalf("reopening an SM2 book as SM9: %v", err)
	}
	n, err = Open(ctx, Config{DataDir: dir, LedgerScheme: ledger.SM2})
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
}
