package card

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"trustbank/shield/internal/apdu"
)

const testPIN, testPUK = "123456", "87654321"

type fixture struct {
	card  *Card
	store *MemStore
	hk    HostKeys
	pub   []byte
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	host, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: &MemStore{}, hk: HostKeys{Host: host, SMKey: randBytes(16)}}
	f.pub, err = Personalise(f.store, Personalisation{PIN: []byte(testPIN), PUK: []byte(testPUK),
		HostKey: publicBytes(host), SMKey: f.hk.SMKey})
	if err != nil {
		t.Fatal(err)
	}
	if f.card, err = Open(f.store); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) channel(t testing.TB) *Channel {
	t.Helper()
	pub, err := sm2.NewPublicKey(f.pub)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := OpenChannel(f.card, f.hk, pub)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func pinBlk(t testing.TB, pin string) []byte {
	b, err := PINBlock(pin)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyCmd(t testing.TB, pin string) *apdu.Command {
	return &apdu.Command{INS: insVerify, P2: 0x81, Data: pinBlk(t, pin)}
}

// sw runs cmd through ch (or in plain when ch is nil) and returns the status word.
func sw(t testing.TB, f *fixture, ch *Channel, cmd *apdu.Command) (apdu.StatusWord, []byte) {
	t.Helper()
	var r *apdu.Response
	var err error
	if ch != nil {
		r, err = ch.Transmit(cmd)
	} else {
		r, err = Send(f.card, cmd)
	}
	if r == nil {
		t.Fatalf("%02X: %v", cmd.INS, err)
	}
	return r.SW, r.Data
}

func want(t testing.TB, got, want apdu.StatusWord) {
	t.Helper()
	if got != want {
		t.Fatalf("status %v, want %v", got, want)
	}
}

func TestSignVerifyEncrypt(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	if sec := f.card.Security(); sec != SecInternal|SecExternal {
		t.Fatalf("register %v after mutual authentication", sec)
	}
	s, _ := sw(t, f, ch, verifyCmd(t, testPIN))
	want(t, s, apdu.SWOK)
	pub, _ := sm2.NewPublicKey(f.pub)
	msg := []byte("transfer 60000 CNY to 6222 0000 1111")

	s, sig := sw(t, f, ch, &apdu.Command{INS: insPSO, P1: 0x9E, P2: 0x9A, Data: append([]byte{4, 'u', 's', 'e', 'r'}, msg...), Ne: 256})
	want(t, s, apdu.SWOK)
	if !sm2.VerifyASN1WithSM2(pub, []byte("user"), msg, sig) {
		t.Fatal("signature over data does not verify")
	}
	e, _ := sm2.CalculateSM2Hash(pub, msg, nil)
	s, sig = sw(t, f, ch, &apdu.Command{INS: insPSO, P1: 0x9E, P2: 0x90, Data: e, Ne: 256})
	want(t, s, apdu.SWOK)
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, sig) {
		t.Fatal("signature over digest does not verify")
	}
	// VERIFY with a public key, in plain (a public operation).
	vdata := append(append(append(append([]byte(nil), f.pub...), 0, byte(len(sig))), sig...), msg...)
	s, _ = sw(t, f, nil, &apdu.Command{INS: insPSO, P2: 0xA8, Data: vdata})
	want(t, s, apdu.SWOK)
	vdata[len(vdata)-1] ^= 1
	s, _ = sw(t, f, nil, &apdu.Command{INS: insPSO, P2: 0xA8, Data: vdata})
	want(t, s, apdu.SWVerifyFailed)

	s, ct := sw(t, f, nil, &apdu.Command{INS: insPSO, P1: 0x86, P2: 0x80, Data: append(append([]byte(nil), f.pub...), msg...), Ne: 256})
	want(t, s, apdu.SWOK)
	s, pt := sw(t, f, ch, &apdu.Command{INS: insPSO, P1: 0x80, P2: 0x86, Data: ct, Ne: 256})
	want(t, s, apdu.SWOK)
	if !bytes.Equal(pt, msg) {
		t.Fatalf("decipher %q", pt)
	}
}

func TestGenerateKeepsPrivateKeyInside(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	sw(t, f, ch, verifyCmd(t, testPIN))
	s, pub := sw(t, f, ch, &apdu.Command{INS: insGenerate, Ne: 65})
	want(t, s, apdu.SWOK)
	if len(pub) != 65 || bytes.Equal(pub, f.pub) {
		t.Fatalf("new public key %x", pub)
	}
	s, got := sw(t, f, nil, &apdu.Command{INS: insGetData, P1: 1, P2: 4, Ne: 65})
	want(t, s, apdu.SWOK)
	if !bytes.Equal(got, pub) {
		t.Fatal("GET DATA 0104 does not return the pending key")
	}
	if s, got = sw(t, f, nil, &apdu.Command{INS: insGetData, P1: 1, P2: 1, Ne: 65}); !bytes.Equal(got, f.pub) {
		t.Fatalf("GENERATE changed the active key (%v)", s)
	}
	st, _ := f.store.Load()
	k, _ := sm2.NewPrivateKey(st.Pending)
	if !bytes.Equal(publicBytes(k), pub) {
		t.Fatal("stored pending key is not the returned one's")
	}
}

func TestChangePIN(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	s, _ := sw(t, f, ch, &apdu.Command{INS: insChangeRef, P2: 0x81, Data: append(pinBlk(t, "000000"), pinBlk(t, "2468")...)})
	want(t, s, apdu.WrongPIN(5))
	s, _ = sw(t, f, ch, &apdu.Command{INS: insChangeRef, P2: 0x81, Data: append(pinBlk(t, testPIN), pinBlk(t, "2468")...)})
	want(t, s, apdu.SWOK)
	s, _ = sw(t, f, ch, verifyCmd(t, testPIN))
	want(t, s, apdu.WrongPIN(5))
	s, _ = sw(t, f, ch, verifyCmd(t, "2468"))
	want(t, s, apdu.SWOK)
	s, _ = sw(t, f, ch, &apdu.Command{INS: insVerify, P2: 0x81})
	want(t, s, apdu.SWOK)
	bad := append(pinBlk(t, "2468"), 'x', 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	s, _ = sw(t, f, ch, &apdu.Command{INS: insChangeRef, P2: 0x81, Data: bad})
	want(t, s, apdu.SWWrongData)
}

func TestPINLockoutAndPUKUnblock(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	for left := PINTries - 1; left > 0; left-- {
		s, _ := sw(t, f, ch, verifyCmd(t, "999999"))
		want(t, s, apdu.WrongPIN(left))
	}
	s, _ := sw(t, f, ch, verifyCmd(t, "999999"))
	want(t, s, apdu.SWAuthBlocked)
	s, _ = sw(t, f, ch, verifyCmd(t, testPIN)) // even the right PIN
	want(t, s, apdu.SWAuthBlocked)
	// The lockout is in the card's non-volatile state.
	again, err := Open(f.store)
	if err != nil {
		t.Fatal(err)
	}
	f.card = again
	ch = f.channel(t)
	s, _ = sw(t, f, ch, &apdu.Command{INS: insVerify, P2: 0x81})
	want(t, s, apdu.SWAuthBlocked)
	// A wrong PUK costs a PUK try; the right one unblocks with a new PIN.
	s, _ = sw(t, f, ch, &apdu.Command{INS: insResetRetry, P2: 0x81, Data: append(pinBlk(t, "11111111"), pinBlk(t, "5555")...)})
	want(t, s, apdu.WrongPIN(PUKTries-1))
	s, _ = sw(t, f, ch, &apdu.Command{INS: insResetRetry, P2: 0x81, Data: append(pinBlk(t, testPUK), pinBlk(t, "5555")...)})
	want(t, s, apdu.SWOK)
	s, _ = sw(t, f, ch, verifyCmd(t, "5555"))
	want(t, s, apdu.SWOK)
	st, _ := ReadStatus(f.card)
	if st.PINTries != PINTries || st.PUKTries != PUKTries {
		t.Fatalf("tries %d/%d after unblock", st.PINTries, st.PUKTries)
	}
}

func TestPUKExhaustionKillsCard(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	for left := PUKTries - 1; left >= 0; left-- {
		s, _ := sw(t, f, ch, &apdu.Command{INS: insResetRetry, P2: 0x81, Data: append(pinBlk(t, "00000000"), pinBlk(t, "5555")...)})
		if left == 0 {
			want(t, s, apdu.SWAuthBlocked)
		} else {
			want(t, s, apdu.WrongPIN(left))
		}
	}
	for _, cmd := range []*apdu.Command{
		{INS: insResetRetry, P2: 0x81, Data: append(pinBlk(t, testPUK), pinBlk(t, "5555")...)},
		verifyCmd(t, testPIN),
	} {
		s, _ := sw(t, f, ch, cmd)
		want(t, s, apdu.SWAuthBlocked)
	}
}

func TestAuthenticationFailureClearsBits(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	sw(t, f, ch, verifyCmd(t, testPIN))
	s, _ := sw(t, f, ch, verifyCmd(t, "000000"))
	want(t, s, apdu.WrongPIN(PINTries-1))
	if f.card.Security()&SecPIN != 0 {
		t.Fatal("a wrong PIN left the PIN bit set")
	}
	// A host with the wrong key: EXTERNAL AUTHENTICATE fails, EXT cleared, session gone.
	other, _ := sm2.GenerateKey(rand.Reader)
	if _, err := OpenChannel(f.card, HostKeys{Host: other, SMKey: f.hk.SMKey}, nil); !errors.Is(err, apdu.SWVerifyFailed) {
		t.Fatalf("foreign host: %v", err)
	}
	if sec := f.card.Security(); sec != SecInternal {
		t.Fatalf("register %v after failed external authentication", sec)
	}
	// A reset clears everything.
	f.channel(t)
	f.card.Reset()
	if f.card.Security() != 0 {
		t.Fatal("reset kept the register")
	}
	// A card with another key fails the host's check of INTERNAL AUTHENTICATE.
	wrong, _ := sm2.GenerateKey(rand.Reader)
	if _, err := OpenChannel(f.card, f.hk, &wrong.PublicKey); !errors.Is(err, ErrCardAuth) {
		t.Fatalf("impostor card: %v", err)
	}
	// EXTERNAL AUTHENTICATE needs a fresh card challenge each time.
	f.card.Reset()
	Select(f.card)
	Send(f.card, &apdu.Command{INS: insInternalAuth, Data: randBytes(16), Ne: 256})
	s, _ = sw(t, f, nil, &apdu.Command{INS: insExternalAuth, Data: []byte{0x30, 0}})
	want(t, s, apdu.SWConditionsNotMet)
}

func TestSecurityStatusRequired(t *testing.T) {
	f := newFixture(t)
	digest := sm3.Sum([]byte("x"))
	pinned := []*apdu.Command{
		{INS: insPSO, P1: 0x9E, P2: 0x9A, Data: []byte{0, 'm'}, Ne: 256},
		{INS: insPSO, P1: 0x9E, P2: 0x90, Data: digest[:], Ne: 256},
		{INS: insPSO, P1: 0x80, P2: 0x86, Data: make([]byte, 120), Ne: 256},
		{INS: insGenerate, Ne: 65},
		{INS: insUpdateBinary, Data: []byte{1}},
		{INS: insEraseBinary},
	}
	external := []*apdu.Command{
		verifyCmd(t, testPIN),
		{INS: insChangeRef, P2: 0x81, Data: append(pinBlk(t, testPIN), pinBlk(t, "2468")...)},
		{INS: insResetRetry, P2: 0x81, Data: append(pinBlk(t, testPUK), pinBlk(t, "2468")...)},
	}
	if s, _ := sw(t, f, nil, &apdu.Command{INS: insGetChallenge, Ne: 16}); s != apdu.SWConditionsNotMet {
		t.Fatalf("before SELECT: %v", s)
	}
	Select(f.card)
	for _, cmd := range append(append([]*apdu.Command(nil), pinned...), external...) {
		s, _ := sw(t, f, nil, cmd) // in plain, no authentication
		want(t, s, apdu.SWSecurityNotSatisfied)
	}
	s, _ := sw(t, f, nil, &apdu.Command{INS: insExternalAuth, Data: []byte{1}})
	want(t, s, apdu.SWSecurityNotSatisfied) // needs INTERNAL AUTHENTICATE first
	s, _ = sw(t, f, nil, &apdu.Command{CLA: 0x84, INS: insVerify, P2: 0x81, Data: make([]byte, 24)})
	want(t, s, apdu.SWSMIncorrect) // SM without a session
	ch := f.channel(t)
	for _, cmd := range pinned { // under SM, without the PIN
		s, _ := sw(t, f, ch, cmd)
		want(t, s, apdu.SWSecurityNotSatisfied)
	}
	sw(t, f, ch, verifyCmd(t, testPIN))
	for _, cmd := range append(pinned[:2], external[0]) { // with the PIN but in plain
		s, _ := sw(t, f, nil, cmd)
		want(t, s, apdu.SWSecurityNotSatisfied)
	}
}

func TestCertificateFilesAndStoreLimit(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	sw(t, f, ch, verifyCmd(t, testPIN))
	s, _ := sw(t, f, ch, &apdu.Command{INS: insSelect, P1: 2, P2: 0x0C, Data: []byte{0xC0, 0x09}})
	want(t, s, apdu.SWFileNotFound)
	s, _ = sw(t, f, ch, &apdu.Command{INS: insReadBinary, Ne: 16})
	want(t, s, apdu.SWConditionsNotMet)
	chunk := bytes.Repeat([]byte{0xAB}, 1000)
	for fid := FirstEF; fid <= LastEF; fid++ {
		s, _ = sw(t, f, ch, &apdu.Command{INS: insSelect, P1: 2, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}})
		want(t, s, apdu.SWOK)
		if protected(fid) { // only ACTIVATE writes the certificate EFs
			s, _ = sw(t, f, ch, &apdu.Command{INS: insUpdateBinary, Data: chunk})
			want(t, s, apdu.SWSecurityNotSatisfied)
			s, _ = sw(t, f, ch, &apdu.Command{INS: insEraseBinary})
			want(t, s, apdu.SWSecurityNotSatisfied)
			continue
		}
		for off := 0; off+len(chunk) <= 8000; off += len(chunk) {
			s, _ = sw(t, f, ch, &apdu.Command{INS: insUpdateBinary, P1: byte(off >> 8), P2: byte(off), Data: chunk})
			want(t, s, apdu.SWOK)
		}
	}
	// 6 × 8000 = 48000 used; 3200 left.
	s, _ = sw(t, f, ch, &apdu.Command{INS: insUpdateBinary, P1: 8000 >> 8, P2: 8000 & 0xFF, Data: make([]byte, 3201)})
	want(t, s, apdu.SWNotEnoughMemory)
	s, _ = sw(t, f, ch, &apdu.Command{INS: insUpdateBinary, P1: 8000 >> 8, P2: 8000 & 0xFF, Data: make([]byte, 3200)})
	want(t, s, apdu.SWOK)
	s, _ = sw(t, f, ch, &apdu.Command{INS: insUpdateBinary, P1: 11200 >> 8, P2: 11200 & 0xFF, Data: []byte{1}})
	want(t, s, apdu.SWNotEnoughMemory)
	st, _ := ReadStatus(f.card)
	if st.Used != StoreLimit {
		t.Fatalf("used %d", st.Used)
	}
	// Reading is public and survives reopening; erase frees space.
	again, _ := Open(f.store)
	Select(again)
	Send(again, &apdu.Command{INS: insSelect, P1: 2, P2: 0x0C, Data: []byte{0xC0, 0x08}})
	r, err := Send(again, &apdu.Command{INS: insReadBinary, P1: 8000 >> 8, P2: 8000 & 0xFF, Ne: 256})
	if err != nil || len(r.Data) != 256 || r.Data[0] != 0 {
		t.Fatalf("read: %v %d", err, len(r.Data))
	}
	r, _ = Send(again, &apdu.Command{INS: insReadBinary, P1: 11329 >> 8, P2: 11329 & 0xFF}) // beyond 11200
	want(t, r.SW, apdu.SWWrongOffset)
	s, _ = sw(t, f, ch, &apdu.Command{INS: insEraseBinary, P1: 0, P2: 0})
	want(t, s, apdu.SWOK)
	st, _ = ReadStatus(f.card)
	if st.Used != StoreLimit-11200 {
		t.Fatalf("used %d after erase", st.Used)
	}
}
