package groupsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
)

// stream is a deterministic reader (a wallet's seed-derived coin secrets).
type stream struct{ ctr uint64 }

func (s *stream) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 32 {
		s.ctr++
		h := sha256.Sum256([]byte{byte(s.ctr), byte(s.ctr >> 8)})
		copy(p[i:], h[:])
	}
	return len(p), nil
}

func TestEscrowSignVerifyOpen(t *testing.T) {
	g := newTestGroup(t, 2)
	alice := g.members[0]
	esc, sec, err := alice.Escrow(rand.Reader, g.pk)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"first payment", "second payment"} {
		sig, err := alice.SignEscrow(rand.Reader, g.pk, esc, sec, []byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.pk.VerifyEscrow([]byte(msg), sig, esc); err != nil {
			t.Fatalf("escrowed signature does not verify: %v", err)
		}
		tag, err := g.opener.Open(g.pk, []byte(msg), sig)
		if err != nil || tag != alice.Tag() {
			t.Fatalf("escrowed signature opens to %x, %v; want alice", tag[:6], err)
		}
	}
	// A plain signature by alice is valid but not for this escrow.
	plain := sign(t, alice, g.pk, "first payment")
	if err := g.pk.VerifyEscrow([]byte("first payment"), plain, esc); !errors.Is(err, ErrEscrowMismatch) {
		t.Fatalf("signature with other T's accepted for the escrow: %v", err)
	}
}

// An accomplice who knows the escrow's (α, β) cannot sign for it: his
// signature carries his own A, so it is not for the escrow; and grafting
// the escrow's T's onto his signature breaks the proof.
func TestEscrowAccompliceCannotSign(t *testing.T) {
	g := newTestGroup(t, 2)
	alice, bob := g.members[0], g.members[1]
	esc, sec, err := alice.Escrow(rand.Reader, g.pk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SignEscrow(rand.Reader, g.pk, esc, sec, []byte("m")); !errors.Is(err, ErrEscrowMismatch) {
		t.Fatalf("bob signed for alice's escrow: %v", err)
	}
	sig := sign(t, bob, g.pk, "m")
	sig.T1, sig.T2, sig.T3 = esc.T1, esc.T2, esc.T3
	if err := g.pk.VerifyEscrow([]byte("m"), sig, esc); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("grafted T's verify: %v", err)
	}
	// An escrow at another epoch is refused before any work.
	other := *esc
	other.Epoch++
	if _, err := alice.SignEscrow(rand.Reader, g.pk, &other, sec, []byte("m")); !errors.Is(err, ErrStaleKey) {
		t.Fatalf("escrow of another epoch: %v", err)
	}
}

// The same stream gives the same escrow (restore re-derives it); different
// escrows of one member share no component (coins are unlinkable).
func TestEscrowDeterministicAndUnlinkable(t *testing.T) {
	g := newTestGroup(t, 1)
	mk := g.members[0]
	a, _, _ := mk.Escrow(&stream{}, g.pk)
	b, _, _ := mk.Escrow(&stream{}, g.pk)
	if !a.Equal(b) {
		t.Fatal("same stream, different escrow")
	}
	c, _, _ := mk.Escrow(io.MultiReader(&stream{ctr: 7}), g.pk)
	ea, _ := a.MarshalBinary()
	ec, _ := c.MarshalBinary()
	for i := 8; i+16 <= len(ea); i++ {
		if bytes.Contains(ec[8:], ea[i:i+16]) {
			t.Fatalf("two escrows share the 16 bytes at %d", i)
		}
	}
	back, err := ParseEscrow(ea)
	if err != nil || !back.Equal(a) {
		t.Fatalf("escrow does not round-trip: %v", err)
	}
}
