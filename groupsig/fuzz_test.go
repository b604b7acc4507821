package groupsig

import (
	"bytes"
	"crypto/rand"
	"testing"

	"trustbank/internal/fuzzcorpus"
)

// fuzzSeeds returns valid encodings of every decoded type, so the fuzzers
// start from the interesting inputs, not from noise.
func fuzzSeeds(t testing.TB) map[string][]byte {
	g := newTestGroup(t, 2)
	sigb, _ := sign(t, g.members[0], g.pk, "seed").MarshalBinary()
	pkb, _ := g.pk.MarshalBinary()
	mkb, _ := g.members[1].MarshalBinary()
	ikb, _ := g.issuer.MarshalBinary()
	okb, _ := g.opener.MarshalBinary()
	rev, _ := g.issuer.Revoke(g.members[0].A, g.members[0].X)
	revb, _ := rev.MarshalBinary()
	esc, _, _ := g.members[1].Escrow(rand.Reader, g.pk)
	escb, _ := esc.MarshalBinary()
	return map[string][]byte{"sig": sigb, "pk": pkb, "mk": mkb, "ik": ikb, "ok": okb, "rev": revb, "esc": escb}
}

type binaryMarshaler interface{ MarshalBinary() ([]byte, error) }

// fuzzDecoder checks that decode never panics and that whatever it accepts
// re-encodes to exactly the input (encodings are canonical).
func fuzzDecoder(f *testing.F, decode func([]byte) (binaryMarshaler, error)) {
	fuzzcorpus.Check(f)
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decode(b)
		if err != nil {
			return
		}
		again, err := v.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted input does not re-encode to itself")
		}
	})
}

func FuzzSignature(f *testing.F) {
	fuzzDecoder(f, func(b []byte) (binaryMarshaler, error) {
		var s Signature
		err := s.UnmarshalBinary(b)
		return &s, err
	})
}

func FuzzPublicKey(f *testing.F) {
	fuzzDecoder(f, func(b []byte) (binaryMarshaler, error) { return ParsePublicKey(b) })
}

func FuzzMemberKey(f *testing.F) {
	fuzzDecoder(f, func(b []byte) (binaryMarshaler, error) { return ParseMemberKey(b) })
}

func FuzzIssuerKey(f *testing.F) {
	fuzzDecoder(f, func(b []byte) (binaryMarshaler, error) { return ParseIssuerKey(b) })
}

func FuzzOpenerKey(f *testing.F) {
	fuzzDecoder(f, func(b []byte) (binaryMarshaler, error) { return ParseOpenerKey(b) })
}

func FuzzRevocation(f *testing.F) {
	fuzzDecoder(f, func(b []byte) (binaryMarshaler, error) { return ParseRevocation(b) })
}

// FuzzVerify feeds arbitrary signature bytes and messages to Verify under a
// fixed key: it must never panic and never accept.
func FuzzVerify(f *testing.F) {
	fuzzcorpus.Check(f)
	g := newTestGroup(f, 1)
	sig := sign(f, g.members[0], g.pk, "seed")
	enc, _ := sig.MarshalBinary()
	f.Add(enc, []byte("other"))
	f.Fuzz(func(t *testing.T, b, msg []byte) {
		var s Signature
		if s.UnmarshalBinary(b) != nil {
			return
		}
		if g.pk.Verify(msg, &s) == nil {
			t.Fatalf("fuzzer forged a signature")
		}
	})
}

// FuzzRewinderApplyEncoded: ApplyEncoded never panics, and on every update
// ParseRevocation accepts it rewinds exactly like Apply.
func FuzzRewinderApplyEncoded(f *testing.F) {
	fuzzcorpus.Check(f)
	g := newTestGroup(f, 1)
	seeds := fuzzSeeds(f)
	f.Add(seeds["rev"])
	f.Add(seeds["sig"])
	tag := g.members[0].Tag()
	f.Fuzz(func(t *testing.T, b []byte) {
		enc, plain := g.issuer.Rewinder(), g.issuer.Rewinder()
		err := enc.ApplyEncoded(b)
		rev, perr := ParseRevocation(b)
		if perr != nil {
			return
		}
		if err != nil || plain.Apply(rev) != nil {
			t.Fatalf("a valid update: ApplyEncoded %v", err)
		}
		x, _ := enc.Rewind(tag, 1)
		y, _ := plain.Rewind(tag, 1)
		if x != y {
			t.Fatal("ApplyEncoded and Apply rewind differently")
		}
	})
}

func FuzzEscrow(f *testing.F) {
	fuzzDecoder(f, func(b []byte) (binaryMarshaler, error) { return ParseEscrow(b) })
}
