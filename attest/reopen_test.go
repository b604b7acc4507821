package attest_test

import (
	"crypto/sha256"
	"testing"

	"trustbank/attest"
	"trustbank/attest/attesttest"
)

// An swtpm opened twice (as a wallet process run twice would) keeps its
// AIK, and a coin key exported in the first run signs in the second.
func TestReopenKeepsKeys(t *testing.T) {
	path := attesttest.SWTPMPath(t)
	d1, err := attest.OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := d1.NewCoinKey()
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := d1.ExportKey(pub)
	aik := d1.AIK()
	d1.Close()
	d2, err := attest.OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if string(d2.AIK()) != string(aik) {
		t.Fatal("AIK changed between opens")
	}
	if _, err := d2.ImportKey(blob); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.SignCoin(pub, sha256.Sum256([]byte("x"))); err != nil {
		t.Fatal(err)
	}
}
