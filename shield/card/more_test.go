package card

import (
	"bytes"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/internal/apdu"
)

// VERIFY against the certificate stored in an EF.
func TestVerifyWithStoredCertificate(t *testing.T) {
	f := newFixture(t)
	ca, _ := sm2.GenerateKey(rand.Reader)
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "trustbank test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &ca.PublicKey, ca)
	if err != nil {
		t.Fatal(err)
	}
	ch := f.channel(t)
	sw(t, f, ch, verifyCmd(t, testPIN))
	sw(t, f, ch, &apdu.Command{INS: insSelect, P1: 2, P2: 0x0C, Data: []byte{0xC0, 0x03}})
	s, _ := sw(t, f, ch, &apdu.Command{INS: insUpdateBinary, Data: der})
	want(t, s, apdu.SWOK)
	msg := []byte("server challenge 42")
	sig, _ := sm2.SignASN1(rand.Reader, ca, msg, sm2.NewSM2SignerOption(true, nil))
	data := append(append([]byte{0, byte(len(sig))}, sig...), msg...)
	s, _ = sw(t, f, nil, &apdu.Command{INS: insPSO, P1: 1, P2: 0xA8, Data: data})
	want(t, s, apdu.SWOK)
	other, _ := sm2.SignASN1(rand.Reader, mustKey(t), msg, sm2.NewSM2SignerOption(true, nil))
	s, _ = sw(t, f, nil, &apdu.Command{INS: insPSO, P1: 1, P2: 0xA8, Data: append(append([]byte{0, byte(len(other))}, other...), msg...)})
	want(t, s, apdu.SWVerifyFailed)
	sw(t, f, nil, &apdu.Command{INS: insSelect, P1: 2, P2: 0x0C, Data: []byte{0xC0, 0x04}}) // empty EF
	s, _ = sw(t, f, nil, &apdu.Command{INS: insPSO, P1: 1, P2: 0xA8, Data: data})
	want(t, s, apdu.SWFileNotFound)
}

func mustKey(t testing.TB) *sm2.PrivateKey {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// When the store cannot make the decremented counter durable, the PIN is
// not compared at all (6581) and no try is lost or gained.
func TestPINNotComparedWithoutDurableDecrement(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	f.store.Fail = errors.New("flash worn out")
	s, _ := sw(t, f, ch, verifyCmd(t, testPIN))
	want(t, s, apdu.SWMemoryFailure)
	if f.card.Security()&SecPIN != 0 {
		t.Fatal("PIN bit set without a durable counter")
	}
	f.store.Fail = nil
	st, _ := ReadStatus(f.card)
	if st.PINTries != PINTries {
		t.Fatalf("tries %d", st.PINTries)
	}
	s, _ = sw(t, f, ch, verifyCmd(t, testPIN))
	want(t, s, apdu.SWOK)
}

func TestFileStore(t *testing.T) {
	fs := FileStore{Path: t.TempDir() + "/card.json"}
	if _, err := fs.Load(); !errors.Is(err, ErrNoState) {
		t.Fatal(err)
	}
	host := mustKey(t)
	pub, err := Personalise(fs, Personalisation{PIN: []byte("1234"), PUK: []byte("12345678"), HostKey: publicBytes(host), SMKey: randBytes(16)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(fs)
	if err != nil || !bytes.Equal(publicBytes(c.key), pub) {
		t.Fatal(err)
	}
	if _, err := Personalise(fs, Personalisation{PIN: []byte("12a4"), PUK: []byte("12345678"), HostKey: publicBytes(host), SMKey: randBytes(16)}); !errors.Is(err, ErrPINFormat) {
		t.Fatal(err)
	}
}

// A host signs through a secure channel after the PIN.
func ExampleChannel() {
	host, _ := sm2.GenerateKey(rand.Reader)
	smKey := make([]byte, 16)
	rand.Read(smKey)
	store := &MemStore{}
	cardPub, _ := Personalise(store, Personalisation{PIN: []byte("123456"), PUK: []byte("87654321"), HostKey: publicBytes(host), SMKey: smKey})
	c, _ := Open(store) // in process; shield/card/pcsc.Connect reaches a served card
	pub, _ := sm2.NewPublicKey(cardPub)
	ch, err := OpenChannel(c, HostKeys{Host: host, SMKey: smKey}, pub)
	if err != nil {
		panic(err)
	}
	fmt.Println(ch.VerifyPIN("000000"))
	fmt.Println(ch.VerifyPIN("123456"))
	r, _ := ch.Transmit(&apdu.Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: append([]byte{0}, "pay 10 CNY"...), Ne: 256})
	fmt.Println(sm2.VerifyASN1WithSM2(pub, nil, []byte("pay 10 CNY"), r.Data))
	// Output:
	// apdu: status 63C5 (wrong PIN, 5 tries left)
	// <nil>
	// true
}

func BenchmarkSign(b *testing.B) {
	f := newFixture(b)
	ch := f.channel(b)
	if err := ch.VerifyPIN(testPIN); err != nil {
		b.Fatal(err)
	}
	cmd := &apdu.Command{INS: insPSO, P1: 0x9E, P2: 0x9A, Data: append([]byte{0}, bytes.Repeat([]byte{'m'}, 64)...), Ne: 256}
	for b.Loop() {
		if _, err := ch.Transmit(cmd); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSecureMessagingRoundTrip(b *testing.B) {
	f := newFixture(b)
	ch := f.channel(b)
	cmd := &apdu.Command{INS: insGetData, P1: 1, P2: 2, Ne: StatusLen}
	for b.Loop() {
		if _, err := ch.Transmit(cmd); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainRoundTrip(b *testing.B) {
	f := newFixture(b)
	Select(f.card)
	cmd := mustMarshal(b, &apdu.Command{INS: insGetData, P1: 1, P2: 2, Ne: StatusLen})
	for b.Loop() {
		f.card.Transmit(cmd)
	}
}

func BenchmarkOpenChannel(b *testing.B) {
	f := newFixture(b)
	for b.Loop() {
		f.channel(b)
	}
}

// A response that would not fit Le is refused before anything changes.
func TestShortLeChangesNothing(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	sw(t, f, ch, verifyCmd(t, testPIN))
	before, _ := f.store.Load()
	s, _ := sw(t, f, ch, &apdu.Command{INS: insGenerate, Ne: 64})
	want(t, s, apdu.SWWrongLength)
	after, _ := f.store.Load()
	if !bytes.Equal(before.Key, after.Key) {
		t.Fatal("GENERATE with a short Le replaced the key")
	}
	f.card.Reset()
	Select(f.card)
	s, _ = sw(t, f, nil, &apdu.Command{INS: insInternalAuth, Data: randBytes(16), Ne: 8})
	want(t, s, apdu.SWWrongLength)
	if f.card.Security() != 0 {
		t.Fatal("INTERNAL AUTHENTICATE with a short Le set the register")
	}
}
