package node

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"trustbank/ledger"
	"trustbank/shield/ca"
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

// The shield bank's CA and server certificate are made once and sealed
// in secrets.json: a reopened node has the same root and server key.
func TestShieldKeysPersist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	root, srv := n.Shield.Authority.Root().Raw, n.Shield.Cert
	n.Close()
	if err := srv.CheckSignatureFrom(n.Shield.Authority.Issuing()); err != nil {
		t.Fatalf("server certificate not issued by the shield CA: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, secretsFile))
	if err != nil {
		t.Fatal(err)
	}
	var sec secrets
	if err := json.Unmarshal(b, &sec); err != nil || sec.Shield == nil {
		t.Fatalf("secrets.json: %v", err)
	}
	for _, k := range [][]byte{sec.Shield.RootKey, sec.Shield.IssuingKey, sec.Shield.ServerKey} {
		if !bytes.HasPrefix(k, []byte("-----BEGIN TRUSTBANK SEALED SM2 KEY")) {
			t.Fatalf("a shield key is not sealed: %.40q", k)
		}
	}
	n, err = Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !bytes.Equal(n.Shield.Authority.Root().Raw, root) || !bytes.Equal(n.Shield.Cert.Raw, srv.Raw) {
		t.Fatal("reopened node has another shield CA or server certificate")
	}
	if _, err := n.Shield.Authority.Issue(ctx, ca.IssueRequest{}); err == nil {
		t.Fatal("the authority issued for an empty request")
	}
}
