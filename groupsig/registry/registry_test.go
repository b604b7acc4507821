package registry

import (
	"crypto/rand"
	"errors"
	"testing"

	"trustbank/groupsig"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// The whole life of a group on each backend: create, join, sign, open,
// revoke, restart (new store handle, issuer and opener loaded from their
// key files), and go on.
func TestIssuerOpenerSurviveRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		newStore := storeOn(t, open)
		pk0, ik, ok, err := groupsig.Setup(rand.Reader)
		mustNil(t, err)
		ikFile, _ := ik.MarshalBinary()
		okFile, _ := ok.MarshalBinary()

		is, err := CreateGroup(ctx, newStore(), "users", ik)
		mustNil(t, err)
		keys := map[string]*groupsig.MemberKey{}
		for _, id := range []string{"alice", "bob", "carol"} {
			keys[id], err = is.Join(ctx, id)
			mustNil(t, err)
			mustNil(t, keys[id].Check(pk0))
		}
		again, err := is.Join(ctx, "alice")
		mustNil(t, err)
		if again.Tag() != keys["alice"].Tag() {
			t.Fatal("repeated join returned a different key")
		}
		bobSig, err := keys["bob"].Sign(rand.Reader, pk0, []byte("before"))
		mustNil(t, err)

		rev, err := is.Revoke(ctx, "bob")
		mustNil(t, err)
		_, err = is.Join(ctx, "bob")
		wantErr(t, err, ErrNotActive)
		_, err = is.Revoke(ctx, "bob")
		wantErr(t, err, ErrNotActive)

		// Restart: everything from the database and the two key files.
		store := newStore()
		ik2, err := groupsig.ParseIssuerKey(ikFile)
		mustNil(t, err)
		is2, err := LoadIssuer(ctx, store, "users", ik2)
		mustNil(t, err)
		pk1 := is2.PublicKey()
		if pk1.Epoch != 1 {
			t.Fatalf("reloaded issuer at epoch %d", pk1.Epoch)
		}
		ok2, err := groupsig.ParseOpenerKey(okFile)
		mustNil(t, err)
		op, err := NewOpener(ctx, store, "users", ok2, ik2)
		mustNil(t, err)

		updates, err := Updates(ctx, store, "users", 0)
		mustNil(t, err)
		if len(updates) != 1 || updates[0].Epoch != rev.Epoch {
			t.Fatalf("updates: %d", len(updates))
		}
		alice1, err := keys["alice"].Update(updates[0])
		mustNil(t, err)
		sig, err := alice1.Sign(rand.Reader, pk1, []byte("after"))
		mustNil(t, err)
		m, err := op.Open(ctx, []byte("after"), sig)
		mustNil(t, err)
		if m.ID != "alice" {
			t.Fatalf("opened to %q", m.ID)
		}
		// bob's key is public now: his old signature opens, but names
		// him only together with proof of its age.
		_, err = op.Open(ctx, []byte("before"), bobSig)
		var pub *PublishedKeyError
		if !errors.As(err, &pub) || pub.Member.ID != "bob" || pub.Member.RevokedEpoch != 1 {
			t.Fatalf("old signature of a revoked member: %v", err)
		}
		_, err = op.Open(ctx, []byte("tampered"), bobSig)
		wantErr(t, err, groupsig.ErrInvalidSignature)

		// The reloaded issuer keeps going: a new member, another revocation.
		dave, err := is2.Join(ctx, "dave")
		mustNil(t, err)
		mustNil(t, dave.Check(pk1))
		_, err = is2.Revoke(ctx, "carol")
		mustNil(t, err)
		updates, _ = Updates(ctx, store, "users", 1)
		dave2, err := dave.Update(updates[0])
		mustNil(t, err)
		mustNil(t, dave2.Check(is2.PublicKey()))

		// A stale issuer (the first one, still at epoch 1) cannot fork the group.
		_, err = is.Revoke(ctx, "alice")
		wantErr(t, err, ErrEpochConflict)
		if is.PublicKey().Epoch != 2 {
			t.Fatal("stale issuer did not catch up after the conflict")
		}
		_, err = is.Revoke(ctx, "alice") // the retry works
		mustNil(t, err)
	})
}

func TestLoadIssuerRejectsForeignKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		store := storeOn(t, open)()
		_, ik, _, _ := groupsig.Setup(rand.Reader)
		_, err := CreateGroup(ctx, store, "g", ik)
		mustNil(t, err)
		_, other, otherOpener, _ := groupsig.Setup(rand.Reader)
		if _, err := LoadIssuer(ctx, store, "g", other); err == nil {
			t.Fatal("foreign issuer key accepted")
		}
		_, err = CreateGroup(ctx, store, "g", other)
		wantErr(t, err, ErrGroupExists)
		_, err = NewOpener(ctx, store, "g", otherOpener, other)
		wantErr(t, err, groupsig.ErrInvalidKey) // foreign issuer key
		_, err = NewOpener(ctx, store, "g", otherOpener, ik)
		wantErr(t, err, groupsig.ErrInvalidKey) // foreign opener key
	})
}
