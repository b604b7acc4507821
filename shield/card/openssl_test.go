package card

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"encoding/pem"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/internal/apdu"
)

// A signature the card makes inside (SIGN over data with a user ID) verifies
// with OpenSSL 3 under that ID, and not over another message or ID.
func TestCardSignatureVerifiesInOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing; .ci/run installs it")
		}
		t.Skip("openssl not installed; CI runs this test")
	}
	f := newFixture(t)
	ch := f.channel(t)
	s, _ := sw(t, f, ch, verifyCmd(t, testPIN))
	want(t, s, apdu.SWOK)
	msg := []byte("transfer 60000 CNY to 6222 0000 1111, nonce 42")
	uid := []byte("alice@card")
	data := append(append([]byte{byte(len(uid))}, uid...), msg...)
	s, sig := sw(t, f, ch, &apdu.Command{INS: insPSO, P1: 0x9E, P2: 0x9A, Data: data, Ne: 256})
	want(t, s, apdu.SWOK)

	pub, err := sm2.NewPublicKey(f.pub)
	if err != nil {
		t.Fatal(err)
	}
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := write("card.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	sigf := write("sig", sig)
	verify := func(m []byte, id string) error {
		out, err := exec.Command(bin, "pkeyutl", "-verify", "-pubin", "-inkey", key, "-rawin", "-digest", "sm3",
			"-pkeyopt", "distid:"+id, "-in", write("msg", m), "-sigfile", sigf).CombinedOutput()
		if err != nil {
			t.Logf("openssl: %s", out)
		}
		return err
	}
	if err := verify(msg, string(uid)); err != nil {
		t.Fatalf("openssl refused the card's signature: %v", err)
	}
	if err := verify(append(msg, '!'), string(uid)); err == nil {
		t.Fatal("openssl accepted the card's signature over another message")
	}
	if err := verify(msg, "1234567812345678"); err == nil {
		t.Fatal("openssl accepted the card's signature under another user ID")
	}
}
