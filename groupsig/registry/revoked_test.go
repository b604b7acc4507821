package registry

import (
	"crypto/rand"
	"errors"
	"testing"

	"trustbank/groupsig"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// The attack of issue 9 (hole 2): a revocation publishes (A*, x*), the
// revoked member's key at the old epoch. An outsider holding only that
// update signs at the old epoch. Fresh verification refuses it, and the
// opener does not name the revoked member on its strength; the revoked
// member cannot sign at the new epoch; members who updated go on.
func TestPublishedRevocationCannotAuthenticateOrFrame(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		store := storeOn(t, open)()
		_, ik, ok, err := groupsig.Setup(rand.Reader)
		mustNil(t, err)
		is, err := CreateGroup(ctx, store, "users", ik)
		mustNil(t, err)
		alice, err := is.Join(ctx, "alice")
		mustNil(t, err)
		bob, err := is.Join(ctx, "bob")
		mustNil(t, err)
		keys := NewPublicKeys(store, "users")
		op, err := NewOpener(ctx, store, "users", ok, ik)
		mustNil(t, err)

		rev, err := is.Revoke(ctx, "bob")
		mustNil(t, err)
		// The outsider: only the published update.
		forged := &groupsig.MemberKey{Epoch: rev.Epoch - 1, A: rev.A, X: rev.X}
		old, err := keys.At(ctx, rev.Epoch-1)
		mustNil(t, err)
		sig, err := forged.Sign(rand.Reader, old, []byte("login at 12:00"))
		mustNil(t, err)
		mustNil(t, old.Verify([]byte("login at 12:00"), sig)) // the math accepts it...
		wantErr(t, keys.VerifyFresh(ctx, []byte("login at 12:00"), sig), groupsig.ErrWrongEpoch)
		_, err = op.Open(ctx, []byte("login at 12:00"), sig)
		wantErr(t, err, ErrKeyPublished) // ...and nobody is framed
		var pub *PublishedKeyError
		if !errors.As(err, &pub) || pub.Member.ID != "bob" {
			t.Fatalf("published-key error does not carry the member: %v", err)
		}

		// bob cannot move to the new epoch, and his old key is refused fresh.
		_, err = bob.Update(rev)
		wantErr(t, err, groupsig.ErrRevoked)
		cur := is.PublicKey()
		_, err = bob.Sign(rand.Reader, cur, []byte("m"))
		wantErr(t, err, groupsig.ErrStaleKey)
		forcedNew := &groupsig.MemberKey{Epoch: cur.Epoch, A: bob.A, X: bob.X}
		s2, err := forcedNew.Sign(rand.Reader, cur, []byte("m"))
		mustNil(t, err)
		wantErr(t, keys.VerifyFresh(ctx, []byte("m"), s2), groupsig.ErrInvalidSignature)

		// alice updates and keeps authenticating; the opener names her.
		alice1, err := alice.Update(rev)
		mustNil(t, err)
		s3, err := alice1.Sign(rand.Reader, cur, []byte("login at 12:01"))
		mustNil(t, err)
		mustNil(t, keys.VerifyFresh(ctx, []byte("login at 12:01"), s3))
		m, err := op.Open(ctx, []byte("login at 12:01"), s3)
		mustNil(t, err)
		if m.ID != "alice" {
			t.Fatalf("opened to %q", m.ID)
		}
	})
}
