package attest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"errors"
	"math/big"
	"testing"

	"trustbank/attest"
	"trustbank/attest/attesttest"
)

func openSim(t testing.TB) *attest.Device {
	t.Helper()
	d, err := attest.OpenPath("simulator")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestQuote(t *testing.T) {
	d := openSim(t)
	golden, err := d.PCRDigest()
	if err != nil {
		t.Fatal(err)
	}
	v := attest.NewVerifier(golden)
	nonce := sha256.Sum256([]byte("withdraw request"))
	ev, err := d.Quote(nonce)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyQuote(d.AIK(), ev, nonce); err != nil {
		t.Fatalf("genuine quote: %v", err)
	}
	other := sha256.Sum256([]byte("another request"))
	bad := append([]byte(nil), ev...)
	bad[len(bad)-1] ^= 1
	cases := map[string]error{
		"fail/other-nonce": v.VerifyQuote(d.AIK(), ev, other),
		"fail/tampered":    v.VerifyQuote(d.AIK(), bad, nonce),
		"fail/truncated":   v.VerifyQuote(d.AIK(), ev[:len(ev)-1], nonce),
		"fail/not-golden":  attest.NewVerifier(make([]byte, 32)).VerifyQuote(d.AIK(), ev, nonce),
		"fail/garbage-aik": v.VerifyQuote([]byte{1, 2, 3}, ev, nonce),
		"fail/empty":       v.VerifyQuote(d.AIK(), nil, nonce),
	}
	for name, err := range cases {
		if !errors.Is(err, attest.ErrEvidence) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// After the platform state changes, its quotes are off the allowlist.
	if err := d.ExtendPCR(7, []byte("unexpected bootloader")); err != nil {
		t.Fatal(err)
	}
	ev, err = d.Quote(nonce)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyQuote(d.AIK(), ev, nonce); !errors.Is(err, attest.ErrEvidence) {
		t.Fatalf("quote after PCR change: %v", err)
	}
}

func TestCoinKeyWorksOnlyInItsPlatformState(t *testing.T) {
	d := openSim(t)
	pub, err := d.NewCoinKey()
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("challenge"))
	sig, err := d.SignCoin(pub, digest)
	if err != nil {
		t.Fatal(err)
	}
	k := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(pub[1:33]), Y: new(big.Int).SetBytes(pub[33:])}
	if !ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("TPM signature does not verify under the coin key")
	}
	if _, err := d.SignCoin(append([]byte{4}, make([]byte, 64)...), digest); !errors.Is(err, attest.ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if err := d.ExtendPCR(0, []byte("rootkit")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SignCoin(pub, digest); !errors.Is(err, attest.ErrPolicy) {
		t.Fatalf("signing after a PCR change: %v", err)
	}
}

// A coin key's blob, copied to another TPM, cannot be loaded there; on its
// own TPM it loads and signs again.
func TestKeyBlobIsBoundToItsTPM(t *testing.T) {
	owner := openSim(t)
	thief := attesttest.SWTPM(t)
	pub, err := owner.NewCoinKey()
	if err != nil {
		t.Fatal(err)
	}
	blob, err := owner.ExportKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := thief.ImportKey(blob); !errors.Is(err, attest.ErrUnknownKey) {
		t.Fatalf("another TPM imported the key: %v", err)
	}
	if _, err := thief.SignCoin(pub, sha256.Sum256([]byte("x"))); !errors.Is(err, attest.ErrUnknownKey) {
		t.Fatalf("thief signed: %v", err)
	}
	again, err := owner.ImportKey(blob)
	if err != nil || string(again) != string(pub) {
		t.Fatalf("owner re-import: %v", err)
	}
	// swtpm is a full TPM too: its own keys work.
	tpub, err := thief.NewCoinKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := thief.SignCoin(tpub, sha256.Sum256([]byte("y"))); err != nil {
		t.Fatal(err)
	}
}
