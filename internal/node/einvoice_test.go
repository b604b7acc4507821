package node

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// The tax system's keys are made once and sealed in secrets.json: a
// reopened node (here tax-only, without e-cash or ledger) has the same
// registration key and signing certificate, writes the root buyers pin,
// and its signer's invoices verify against that root.
func TestEinvoiceKeysPersist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := Open(ctx, Config{DataDir: dir, TaxOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if n.Module != nil || n.Ledger != nil {
		t.Fatal("a tax-only node opened the e-cash or ledger roles")
	}
	pub, chain := n.Einvoice.System.PublicKey(), n.Einvoice.System.Chain()
	n.Close()
	n, err = Open(ctx, Config{DataDir: dir, TaxOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !n.Einvoice.System.PublicKey().Equal(pub) || !bytes.Equal(n.Einvoice.System.Chain()[0].Raw, chain[0].Raw) {
		t.Fatal("reopened node has other e-invoice keys")
	}
	b, err := os.ReadFile(filepath.Join(dir, EinvoiceRootFile))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || !bytes.Equal(blk.Bytes, n.Einvoice.Root.Raw) {
		t.Fatalf("%s does not hold the root", EinvoiceRootFile)
	}
	sec, err := loadOrCreateSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{sec.Einvoice.RegistrationKey, sec.Einvoice.SignerKey} {
		if blk, _ := pem.Decode(k); blk == nil || blk.Type != "TRUSTBANK SEALED SM2 KEY" {
			t.Fatalf("an e-invoice key is not sealed in secrets.json: %.40q", k)
		}
	}
	if err := chain[0].CheckSignatureFrom(chain[1]); err != nil || !bytes.Equal(chain[1].Raw, n.Shield.Authority.Issuing().Raw) {
		t.Fatalf("the signing certificate is not issued by the node's CA: %v", err)
	}
}
