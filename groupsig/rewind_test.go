package groupsig

import (
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// The algebra behind base tags, checked by hand: after revocations
// x*_1 … x*_e, g1_e = g1_0^ρ_e with ρ_e = 1/∏(γ+x*_j), every member's key at
// epoch e is its base key raised to ρ_e, and the Rewinder undoes it — for
// members who joined at any epoch, and for the revoked member's A* = g1_e.
func TestRewindAlgebra(t *testing.T) {
	pk0, ik, ok, err := Setup(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rw := ik.Rewinder()
	type member struct {
		mk     *MemberKey // at the current epoch
		base   Tag
		joined uint64
	}
	var members []*member
	var prod fr.Element // ∏(γ+x*_j), computed here independently of Rewinder
	prod.SetOne()
	pk := pk0
	for epoch := uint64(0); epoch < 5; epoch++ {
		for range 2 { // two members join at every epoch
			mk, err := ik.Issue(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			base, err := ik.BaseTag(pk0, &mk.X)
			if err != nil {
				t.Fatal(err)
			}
			members = append(members, &member{mk: mk, base: base, joined: epoch})
		}
		var rho fr.Element
		rho.Inverse(&prod)
		if g1 := bls12.MulG1Affine(&pk0.G1, &rho); !g1.Equal(&pk.G1) {
			t.Fatalf("epoch %d: g1_e ≠ g1_0^ρ_e", epoch)
		}
		for i, m := range members {
			var a0 bls.G1Affine
			if _, err := a0.SetBytes(m.base[:]); err != nil {
				t.Fatal(err)
			}
			if fwd := bls12.MulG1Affine(&a0, &rho); !fwd.Equal(&m.mk.A) {
				t.Fatalf("epoch %d member %d: A_e ≠ A_0^ρ_e", epoch, i)
			}
			back := bls12.MulG1Affine(&m.mk.A, &prod)
			if got, err := rw.Rewind(m.mk.Tag(), epoch); err != nil || got != m.base || back.Bytes() != m.base {
				t.Fatalf("epoch %d member %d (joined %d): rewind does not reach the base tag: %v", epoch, i, m.joined, err)
			}
			msg := fmt.Sprint("epoch ", epoch, " member ", i)
			sig := sign(t, m.mk, pk, msg)
			if got, err := ok.OpenRewound(pk, []byte(msg), sig, rw); err != nil || got != m.base {
				t.Fatalf("epoch %d member %d: OpenRewound: %v", epoch, i, err)
			}
		}
		// Revoke the first member still there: A* becomes g1 of the next
		// epoch, and rewinds from the old epoch to the revoked member's base.
		gone := members[0]
		members = members[1:]
		rev, err := ik.Revoke(gone.mk.A, gone.mk.X)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := rw.Rewind(rev.A.Bytes(), epoch); got != gone.base {
			t.Fatal("the published A* does not rewind to the revoked member's base tag")
		}
		if pk, err = pk.Apply(rev); err != nil || !pk.G1.Equal(&rev.A) {
			t.Fatalf("apply: %v", err)
		}
		if err := rw.Apply(rev); err != nil {
			t.Fatal(err)
		}
		var step fr.Element
		prod.Mul(&prod, step.Add(&ik.Gamma, &rev.X))
		for _, m := range members {
			if m.mk, err = m.mk.Update(rev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rw.Epoch() != 5 {
		t.Fatalf("rewinder at epoch %d", rw.Epoch())
	}
}

func TestRewinderRefuses(t *testing.T) {
	g := newTestGroup(t, 2)
	rw := g.issuer.Rewinder()
	cur, _ := g.issuer.KeyFor(&g.members[0].X)
	rev, err := g.issuer.Revoke(cur.A, cur.X)
	if err != nil {
		t.Fatal(err)
	}
	skip := *rev
	skip.Epoch = 2
	cases := map[string]error{
		"fail/skips-an-epoch": rw.Apply(&skip),
		"fail/ahead-of-rewinder": func() error {
			_, err := rw.Rewind(g.members[1].Tag(), 1)
			return err
		}(),
		"fail/bad-tag": func() error {
			_, err := rw.Rewind(Tag{1, 2, 3}, 0)
			return err
		}(),
	}
	want := map[string]error{"fail/skips-an-epoch": ErrBadRevocation, "fail/ahead-of-rewinder": ErrStaleKey, "fail/bad-tag": ErrMalformed}
	for name, err := range cases {
		if !errors.Is(err, want[name]) {
			t.Errorf("%s: got %v, want %v", name, err, want[name])
		}
	}
	if rw.Epoch() != 0 {
		t.Fatal("a refused update moved the rewinder")
	}
	if _, err := g.issuer.BaseTag(g.issuer.PK, &g.members[1].X); !errors.Is(err, ErrStaleKey) {
		t.Fatalf("base tag under a later key: %v", err)
	}
}

// BenchmarkOpenRewound is Open plus one multiplication (compare BenchmarkOpen).
func BenchmarkOpenRewound(b *testing.B) {
	g := newTestGroup(b, 2)
	rw := g.issuer.Rewinder()
	cur, _ := g.issuer.KeyFor(&g.members[0].X)
	rev, _ := g.issuer.Revoke(cur.A, cur.X)
	pk, _ := g.pk.Apply(rev)
	if err := rw.Apply(rev); err != nil {
		b.Fatal(err)
	}
	mk, _ := g.members[1].Update(rev)
	msg := []byte("benchmark message")
	sig := sign(b, mk, pk, string(msg))
	for b.Loop() {
		if _, err := g.opener.OpenRewound(pk, msg, sig, rw); err != nil {
			b.Fatal(err)
		}
	}
}
