package groupsig

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
)

type testGroup struct {
	pk      *PublicKey
	issuer  *IssuerKey
	opener  *OpenerKey
	members []*MemberKey
}

func newTestGroup(t testing.TB, n int) *testGroup {
	t.Helper()
	pk, ik, ok, err := Setup(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := &testGroup{pk: pk, issuer: ik, opener: ok}
	for range n {
		mk, err := ik.Issue(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := mk.Check(pk); err != nil {
			t.Fatalf("fresh member key does not check: %v", err)
		}
		g.members = append(g.members, mk)
	}
	return g
}

func sign(t testing.TB, mk *MemberKey, pk *PublicKey, msg string) *Signature {
	t.Helper()
	sig, err := mk.Sign(rand.Reader, pk, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestSignVerifyOpen(t *testing.T) {
	g := newTestGroup(t, 3)
	for i, mk := range g.members {
		msg := fmt.Sprintf("payment %d", i)
		sig := sign(t, mk, g.pk, msg)
		if err := g.pk.Verify([]byte(msg), sig); err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		if err := g.pk.Verify([]byte(msg+"!"), sig); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("member %d: other message: got %v", i, err)
		}
		tag, err := g.opener.Open(g.pk, []byte(msg), sig)
		if err != nil {
			t.Fatal(err)
		}
		for j, other := range g.members {
			if (tag == other.Tag()) != (i == j) {
				t.Fatalf("signature of member %d opened to tag of member %d", i, j)
			}
		}
	}
}

func TestEveryFlippedBitIsRejected(t *testing.T) {
	g := newTestGroup(t, 1)
	msg := []byte("transfer 100 to bob")
	sig := sign(t, g.members[0], g.pk, string(msg))
	enc, err := sig.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		bit := byte(1) << (i % 8)
		bad := bytes.Clone(enc)
		bad[i] ^= bit
		var s Signature
		if err := s.UnmarshalBinary(bad); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("byte %d: decode error is not ErrMalformed: %v", i, err)
			}
			continue
		}
		if err := g.pk.Verify(msg, &s); err == nil {
			t.Fatalf("byte %d bit %d flipped: signature still verifies", i, bit)
		}
	}
	for i := range msg {
		bad := bytes.Clone(msg)
		bad[i] ^= 1
		if err := g.pk.Verify(bad, sig); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("message byte %d flipped: got %v", i, err)
		}
	}
}

func TestOtherGroupRejects(t *testing.T) {
	a, b := newTestGroup(t, 1), newTestGroup(t, 1)
	sig := sign(t, a.members[0], a.pk, "m")
	if err := b.pk.Verify([]byte("m"), sig); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("got %v", err)
	}
	if _, err := b.members[0].Sign(rand.Reader, a.pk, []byte("m")); err != nil {
		t.Fatal(err) // signing works, but the signature must not verify
	}
	sig = sign(t, b.members[0], a.pk, "m")
	if err := a.pk.Verify([]byte("m"), sig); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("foreign member key accepted: %v", err)
	}
}

// Two signatures by one member share no encoded component (anonymity and
// unlinkability start here: nothing repeats that a verifier could match).
func TestSignaturesShareNoComponent(t *testing.T) {
	g := newTestGroup(t, 1)
	s1 := sign(t, g.members[0], g.pk, "same message")
	s2 := sign(t, g.members[0], g.pk, "same message")
	e1, _ := s1.MarshalBinary()
	e2, _ := s2.MarshalBinary()
	for _, f := range fields() {
		if bytes.Equal(e1[f[0]:f[1]], e2[f[0]:f[1]]) {
			t.Fatalf("component at bytes %d..%d repeats", f[0], f[1])
		}
	}
	if bytes.Contains(e1, g.members[0].A.Marshal()[:16]) {
		t.Fatal("signature contains the member's A")
	}
}

// fields lists the byte ranges of a signature's components after the epoch.
func fields() [][2]int {
	var out [][2]int
	off := 8
	for range 3 {
		out = append(out, [2]int{off, off + 48})
		off += 48
	}
	for range 6 {
		out = append(out, [2]int{off, off + 32})
		off += 32
	}
	return out
}

func TestRevocation(t *testing.T) {
	g := newTestGroup(t, 3)
	alice, bob, carol := g.members[0], g.members[1], g.members[2]
	oldSig := sign(t, bob, g.pk, "before")

	rev, err := g.issuer.Revoke(bob.A, bob.X)
	if err != nil {
		t.Fatal(err)
	}
	pk1, err := g.pk.Apply(rev)
	if err != nil {
		t.Fatal(err)
	}
	e1, _ := pk1.MarshalBinary()
	e2, _ := g.issuer.PK.MarshalBinary()
	if !bytes.Equal(e1, e2) {
		t.Fatal("applied update and issuer disagree on the new public key")
	}

	// Members not revoked update and keep signing.
	for _, mk := range []*MemberKey{alice, carol} {
		nk, err := mk.Update(rev)
		if err != nil {
			t.Fatal(err)
		}
		if err := nk.Check(pk1); err != nil {
			t.Fatalf("updated key: %v", err)
		}
		sig := sign(t, nk, pk1, "after")
		if err := pk1.Verify([]byte("after"), sig); err != nil {
			t.Fatal(err)
		}
		tag, err := g.opener.Open(pk1, []byte("after"), sig)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := g.issuer.KeyFor(&mk.X)
		if tag != want.Tag() {
			t.Fatal("opened tag is not the issuer's key for the member at the new epoch")
		}
		if _, err := mk.Sign(rand.Reader, pk1, []byte("x")); !errors.Is(err, ErrStaleKey) {
			t.Fatalf("un-updated key signed under new epoch: %v", err)
		}
	}

	// The revoked member cannot update, and a signature it forces under the
	// new epoch does not verify.
	if _, err := bob.Update(rev); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked member updated: %v", err)
	}
	forced := &MemberKey{Epoch: pk1.Epoch, A: bob.A, X: bob.X}
	sig := sign(t, forced, pk1, "after")
	if err := pk1.Verify([]byte("after"), sig); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("revoked member's fresh signature: got %v", err)
	}

	// Old signatures stay valid under the key they were made under, and say so.
	if err := g.pk.Verify([]byte("before"), oldSig); err != nil {
		t.Fatal(err)
	}
	if err := pk1.Verify([]byte("before"), oldSig); !errors.Is(err, ErrWrongEpoch) {
		t.Fatalf("old signature under new key: got %v", err)
	}
	if _, err := pk1.Apply(rev); !errors.Is(err, ErrBadRevocation) {
		t.Fatalf("update applied twice: %v", err)
	}
}

func TestRevocationUpdatesAreChecked(t *testing.T) {
	g := newTestGroup(t, 2)
	rev, err := g.issuer.Revoke(g.members[0].A, g.members[0].X)
	if err != nil {
		t.Fatal(err)
	}
	bad := *rev
	bad.X.SetUint64(12345)
	if _, err := g.pk.Apply(&bad); !errors.Is(err, ErrBadRevocation) {
		t.Fatalf("wrong x*: %v", err)
	}
	bad = *rev
	bad.G2 = g.pk.G2
	if _, err := g.pk.Apply(&bad); !errors.Is(err, ErrBadRevocation) {
		t.Fatalf("wrong g2': %v", err)
	}
	other := newTestGroup(t, 1)
	if _, err := g.issuer.Revoke(other.members[0].A, other.members[0].X); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("issuer revoked a key it never issued: %v", err)
	}
}

func TestManyRevocations(t *testing.T) {
	g := newTestGroup(t, 6)
	pk, keep := g.pk, g.members[5]
	for _, mk := range g.members[:5] {
		cur, err := g.issuer.KeyFor(&mk.X)
		if err != nil {
			t.Fatal(err)
		}
		rev, err := g.issuer.Revoke(cur.A, cur.X)
		if err != nil {
			t.Fatal(err)
		}
		if pk, err = pk.Apply(rev); err != nil {
			t.Fatal(err)
		}
		if keep, err = keep.Update(rev); err != nil {
			t.Fatal(err)
		}
	}
	sig := sign(t, keep, pk, "m")
	if err := pk.Verify([]byte("m"), sig); err != nil {
		t.Fatal(err)
	}
	if pk.Epoch != 5 {
		t.Fatalf("epoch %d, want 5", pk.Epoch)
	}
}

func TestKeyEncodings(t *testing.T) {
	g := newTestGroup(t, 1)
	pkb, _ := g.pk.MarshalBinary()
	ikb, _ := g.issuer.MarshalBinary()
	okb, _ := g.opener.MarshalBinary()
	mkb, _ := g.members[0].MarshalBinary()
	rev, _ := g.issuer.Revoke(g.members[0].A, g.members[0].X)
	rvb, _ := rev.MarshalBinary()
	roundTrip := map[string]struct {
		b     []byte
		size  int
		parse func([]byte) (interface{ MarshalBinary() ([]byte, error) }, error)
	}{
		"public":     {pkb, PublicKeySize, func(b []byte) (interface{ MarshalBinary() ([]byte, error) }, error) { return ParsePublicKey(b) }},
		"issuer":     {ikb, IssuerKeySize, func(b []byte) (interface{ MarshalBinary() ([]byte, error) }, error) { return ParseIssuerKey(b) }},
		"opener":     {okb, OpenerKeySize, func(b []byte) (interface{ MarshalBinary() ([]byte, error) }, error) { return ParseOpenerKey(b) }},
		"member":     {mkb, MemberKeySize, func(b []byte) (interface{ MarshalBinary() ([]byte, error) }, error) { return ParseMemberKey(b) }},
		"revocation": {rvb, RevocationSize, func(b []byte) (interface{ MarshalBinary() ([]byte, error) }, error) { return ParseRevocation(b) }},
	}
	for name, tc := range roundTrip {
		if len(tc.b) != tc.size {
			t.Errorf("%s: %d bytes, want %d", name, len(tc.b), tc.size)
		}
		v, err := tc.parse(tc.b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if again, _ := v.MarshalBinary(); !bytes.Equal(again, tc.b) {
			t.Errorf("%s: round trip changed the bytes", name)
		}
		if _, err := tc.parse(tc.b[1:]); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: short input: %v", name, err)
		}
	}
	// A secret that does not match its public part is refused.
	bad := bytes.Clone(ikb)
	bad[31] ^= 1
	if _, err := ParseIssuerKey(bad); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("issuer key with wrong gamma: %v", err)
	}
	bad = bytes.Clone(okb)
	bad[31] ^= 1
	if _, err := ParseOpenerKey(bad); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("opener key with wrong xi1: %v", err)
	}
}

// One public key is shared by goroutines that sign and verify at once; its
// precomputed tables and Miller-loop lines must not be disturbed by use
// (gnark-crypto's MillerLoopFixedQ scales the lines it is given in place).
func TestConcurrentUseOfOneKey(t *testing.T) {
	g := newTestGroup(t, 2)
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			mk := g.members[w%2]
			for i := range 5 {
				msg := []byte(fmt.Sprintf("w%d-%d", w, i))
				sig, err := mk.Sign(rand.Reader, g.pk, msg)
				if err == nil {
					err = g.pk.Verify(msg, sig)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
