package groupsig

import (
	"crypto/rand"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

func BenchmarkSign(b *testing.B) {
	g := newTestGroup(b, 1)
	msg := []byte("benchmark message")
	sign(b, g.members[0], g.pk, "warm up tables")
	for b.Loop() {
		if _, err := g.members[0].Sign(rand.Reader, g.pk, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	g := newTestGroup(b, 1)
	msg := []byte("benchmark message")
	sig := sign(b, g.members[0], g.pk, string(msg))
	for b.Loop() {
		if err := g.pk.Verify(msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAfterRevocations shows that verification does not slow down
// as members are revoked (compare with BenchmarkVerify).
func BenchmarkVerifyAfterRevocations(b *testing.B) {
	g := newTestGroup(b, 21)
	pk, keep := g.pk, g.members[20]
	for _, mk := range g.members[:20] {
		cur, _ := g.issuer.KeyFor(&mk.X)
		rev, err := g.issuer.Revoke(cur.A, cur.X)
		if err != nil {
			b.Fatal(err)
		}
		pk, _ = pk.Apply(rev)
		keep, _ = keep.Update(rev)
	}
	msg := []byte("benchmark message")
	sig := sign(b, keep, pk, string(msg))
	for b.Loop() {
		if err := pk.Verify(msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	g := newTestGroup(b, 1)
	msg := []byte("benchmark message")
	sig := sign(b, g.members[0], g.pk, string(msg))
	for b.Loop() {
		if _, err := g.opener.Open(g.pk, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	g := newTestGroup(b, 1)
	for b.Loop() {
		if _, err := g.issuer.Issue(rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSignature(b *testing.B) {
	g := newTestGroup(b, 1)
	enc, _ := sign(b, g.members[0], g.pk, "m").MarshalBinary()
	var s Signature
	for b.Loop() {
		if err := s.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPairing is the yardstick: one bare BLS12-381 pairing.
func BenchmarkPairing(b *testing.B) {
	_, _, g1, g2 := bls.Generators()
	for b.Loop() {
		if _, err := bls.Pair([]bls.G1Affine{g1}, []bls.G2Affine{g2}); err != nil {
			b.Fatal(err)
		}
	}
}
