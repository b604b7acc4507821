package card

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"

	"trustbank/internal/fuzzcorpus"
	"trustbank/shield/internal/apdu"
)

// raw wraps cmd on the host side of ch without sending it.
func raw(t testing.TB, ch *Channel, cmd *apdu.Command) []byte {
	t.Helper()
	b, err := ch.s.wrapCommand(cmd).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func transmitSW(t testing.TB, c *Card, b []byte) apdu.StatusWord {
	t.Helper()
	out, _ := c.Transmit(b)
	r, err := apdu.ParseResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	return r.SW
}

func TestSecureMessagingRefusesTamperReplayReorder(t *testing.T) {
	getStatus := &apdu.Command{INS: insGetData, P1: 1, P2: 2, Ne: StatusLen}
	for name, attack := range map[string]func(t *testing.T, f *fixture, ch *Channel) []byte{
		"fail/replay": func(t *testing.T, f *fixture, ch *Channel) []byte {
			b := raw(t, ch, getStatus)
			want(t, transmitSW(t, f.card, b), apdu.SWOK)
			return b
		},
		"fail/reorder": func(t *testing.T, f *fixture, ch *Channel) []byte {
			first := raw(t, ch, getStatus)
			second := raw(t, ch, getStatus)
			_ = first
			return second
		},
		"fail/tamper-data": func(t *testing.T, f *fixture, ch *Channel) []byte {
			b := raw(t, ch, verifyCmd(t, testPIN))
			b[7] ^= 1
			return b
		},
		"fail/tamper-header": func(t *testing.T, f *fixture, ch *Channel) []byte {
			b := raw(t, ch, &apdu.Command{INS: insPSO, P1: 0x9E, P2: 0x9A, Data: []byte{0, 'm'}, Ne: 256})
			b[3] = 0x90 // sign data → sign digest
			return b
		},
		"fail/tamper-mac": func(t *testing.T, f *fixture, ch *Channel) []byte {
			b := raw(t, ch, getStatus)
			b[len(b)-2] ^= 0x80
			return b
		},
		"fail/stripped-to-plain": func(t *testing.T, f *fixture, ch *Channel) []byte {
			b := raw(t, ch, getStatus)
			b[0] = 0x84
			b = append(b[:5], b[5:5+16]...) // MAC removed
			b[4] = 16
			return b
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			ch := f.channel(t)
			sw(t, f, ch, verifyCmd(t, testPIN))
			b := attack(t, f, ch)
			want(t, transmitSW(t, f.card, b), apdu.SWSMIncorrect)
			if sec := f.card.Security(); sec != 0 {
				t.Fatalf("register %v after an SM error", sec)
			}
			// The session is over: even a well-formed next command is refused.
			want(t, transmitSW(t, f.card, raw(t, ch, getStatus)), apdu.SWSMIncorrect)
		})
	}
}

func TestTamperedResponseIsRefused(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	flip := transportFunc(func(b []byte) ([]byte, error) {
		out, err := f.card.Transmit(b)
		out[0] ^= 1
		return out, err
	})
	ch.t = flip
	if _, err := ch.Transmit(&apdu.Command{INS: insGetData, P1: 1, P2: 2, Ne: StatusLen}); err != ErrSM {
		t.Fatalf("tampered response: %v", err)
	}
}

type transportFunc func([]byte) ([]byte, error)

func (f transportFunc) Transmit(b []byte) ([]byte, error) { return f(b) }

// Malformed APDUs get a clear status word and change nothing: not the
// stored state, not the register.
func TestMalformedAPDUsChangeNothing(t *testing.T) {
	f := newFixture(t)
	ch := f.channel(t)
	sw(t, f, ch, verifyCmd(t, testPIN))
	before, _ := f.store.Load()
	sec := f.card.Security()
	for name, tc := range map[string]struct {
		b  []byte
		sw apdu.StatusWord
	}{
		"fail/short":           {[]byte{0x00, 0x20}, apdu.SWWrongLength},
		"fail/lc-mismatch":     {[]byte{0x00, 0x20, 0x00, 0x81, 0x09, '1', '2'}, apdu.SWWrongLength},
		"fail/non-canonical":   {[]byte{0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x10}, apdu.SWWrongLength},
		"fail/cla":             {[]byte{0xA0, 0xB0, 0x00, 0x00, 0x10}, apdu.SWCLANotSupported},
		"fail/ins":             {[]byte{0x00, 0x12, 0x00, 0x00}, apdu.SWINSNotSupported},
		"fail/read-p1":         {[]byte{0x00, 0xB0, 0x80, 0x00, 0x10}, apdu.SWIncorrectP1P2},
		"fail/pso-p1p2":        {[]byte{0x00, 0x2A, 0x12, 0x34, 0x01, 0x00}, apdu.SWIncorrectP1P2},
		"fail/challenge-le":    {[]byte{0x00, 0x84, 0x00, 0x00, 0x05}, apdu.SWWrongLength},
		"fail/internal-length": {[]byte{0x00, 0x88, 0x00, 0x00, 0x03, 1, 2, 3}, apdu.SWWrongLength},
		"fail/verify-sig-data": {[]byte{0x00, 0x2A, 0x00, 0xA8, 0x02, 0x04, 0x01}, apdu.SWWrongData},
		"fail/encipher-key":    {append([]byte{0x00, 0x2A, 0x86, 0x80, 66, 4}, make([]byte, 65)...), apdu.SWWrongData},
		"fail/select-aid":      {[]byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0xF0, 0x00}, apdu.SWFileNotFound},
		"fail/getdata-tag":     {[]byte{0x00, 0xCA, 0x01, 0x05, 0x00}, apdu.SWIncorrectP1P2},
		"fail/getdata-no-root": {[]byte{0x00, 0xCA, 0x01, 0x03, 0x00}, apdu.SWRefDataNotFound},
		"fail/activate-plain":  {[]byte{0x00, 0x44, 0x00, 0x00}, apdu.SWSecurityNotSatisfied},
	} {
		t.Run(name, func(t *testing.T) {
			want(t, transmitSW(t, f.card, tc.b), tc.sw)
		})
	}
	after, _ := f.store.Load()
	if !sameState(before, after) || f.card.Security() != sec {
		t.Fatal("a malformed APDU changed the card")
	}
}

func sameState(a, b *State) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// Every INS 00–FF, with every P1-P2 the card knows and some data, in every
// security state, plain and under SM: no response holds the private key
// (whole or any 8-byte window of it), the PIN or PUK hash, or the channel key.
func TestNoCommandRevealsSecrets(t *testing.T) {
	f := newFixture(t)
	ch0 := f.channel(t) // a pending key too, so that MSE can pick it
	sw(t, f, ch0, verifyCmd(t, testPIN))
	if s, _ := sw(t, f, ch0, &apdu.Command{INS: insGenerate}); s != apdu.SWOK {
		t.Fatal(s)
	}
	st, _ := f.store.Load()
	secrets := [][]byte{st.Key, st.Pending, st.PINHash, st.PUKHash, st.SMKey}
	check := func(state string, out []byte) {
		t.Helper()
		for _, s := range secrets {
			for i := 0; i+8 <= len(s); i++ {
				if bytes.Contains(out, s[i:i+8]) {
					t.Fatalf("%s: response %x holds secret bytes", state, out)
				}
			}
		}
	}
	p1p2s := [][2]byte{{0, 0}, {4, 0}, {2, 0x0C}, {0, 0x81}, {0x9E, 0x9A}, {0x9E, 0x90}, {0, 0xA8}, {1, 0xA8},
		{0x86, 0x80}, {0x80, 0x86}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {0x41, 0xB6}, {0xFF, 0xFF}}
	datas := [][]byte{nil, AID, {0xC0, 0x01}, {0x84, 1, KeyPending}, make([]byte, 8), make([]byte, 16), make([]byte, 32), randBytes(120)}
	snap, _ := f.store.Load()
	// enter restores the card's state and brings it into security state n:
	// 0 not selected, 1 selected, 2 internal+external, 3 internal+external+pin.
	enter := func(n int) *Channel {
		t.Helper()
		if err := f.store.Save(snap); err != nil {
			t.Fatal(err)
		}
		f.card, _ = Open(f.store)
		switch n {
		case 0:
			return nil
		case 1:
			Select(f.card)
			return nil
		}
		ch, err := OpenChannel(f.card, f.hk, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			if _, err := ch.Transmit(verifyCmd(t, testPIN)); err != nil {
				t.Fatal(err)
			}
		}
		return ch
	}
	for n, state := range []string{"not selected", "selected", "internal+external", "internal+external+pin"} {
		for _, useSM := range []bool{false, true} {
			if useSM && n < 2 {
				continue
			}
			for ins := 0; ins < 256; ins++ {
				ch := enter(n)
				var outs [][]byte
				for _, p := range p1p2s {
					for _, d := range datas {
						cmd := &apdu.Command{INS: byte(ins), P1: p[0], P2: p[1], Data: d, Ne: 256}
						if useSM && ch.s != nil {
							r, _ := ch.Transmit(cmd)
							if r != nil {
								outs = append(outs, r.Data)
							}
							continue
						}
						out, _ := f.card.Transmit(mustMarshal(t, cmd))
						outs = append(outs, out)
					}
				}
				if st, _ := f.store.Load(); !bytes.Equal(st.Pending, snap.Pending) {
					secrets = append(secrets, st.Pending) // GENERATE made a new key: it must not leak either
				}
				for _, out := range outs {
					check(fmt.Sprintf("%s (SM %v) INS %02X", state, useSM, ins), out)
				}
			}
		}
	}
}

func mustMarshal(t testing.TB, c *apdu.Command) []byte {
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The card answers any bytes with a well-formed response and never panics.
func FuzzTransmit(f *testing.F) {
	fx := newFixture(f)
	var seeds [][][]byte
	for _, c := range []*apdu.Command{{INS: insSelect, P1: 4, Data: AID}, {INS: insGetChallenge, Ne: 16},
		{INS: insVerify, P2: 0x81, Data: []byte("123456\xff\xff")}, {INS: insPSO, P2: 0xA8, Data: []byte{4, 0, 0}},
		{INS: insReadBinary, Ne: 16}, {INS: insGetData, P1: 1, P2: 2, Ne: 14}, {CLA: 0x84, INS: insVerify, P2: 0x81, Data: make([]byte, 24)}} {
		seeds = append(seeds, fuzzcorpus.Variants(mustMarshal(f, c))...)
	}
	fuzzcorpus.Seed(f, seeds...)
	Select(fx.card)
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := fx.card.Transmit(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := apdu.ParseResponse(out); err != nil {
			t.Fatalf("response %x: %v", out, err)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	s := &Status{PINTries: 5, PUKTries: 10, Security: SecInternal | SecPIN, HasKey: true, Used: 1234}
	rand.Read(s.Serial[:])
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(s.MarshalBinary())...)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStatus(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.MarshalBinary(), b) {
			t.Fatalf("round trip %x", b)
		}
	})
}
