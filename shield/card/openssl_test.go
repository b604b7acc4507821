package card

import (
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/internal/openssltest"
	"trustbank/shield/internal/apdu"
)

// A signature the card makes inside (SIGN over data with a user ID) verifies
// with OpenSSL 3 under that ID, and not over another message or ID.
func TestCardSignatureVerifiesInOpenSSL(t *testing.T) {
	o := openssltest.New(t)
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
	key := o.PublicKeyPEM("card.pem", pub)
	if err := o.VerifyKey(key, string(uid), msg, sig); err != nil {
		t.Fatalf("openssl refused the card's signature: %v", err)
	}
	if err := o.VerifyKey(key, string(uid), append(msg, '!'), sig); err == nil {
		t.Fatal("openssl accepted the card's signature over another message")
	}
	if err := o.VerifyKey(key, openssltest.DefaultID, msg, sig); err == nil {
		t.Fatal("openssl accepted the card's signature under another user ID")
	}
}
