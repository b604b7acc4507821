package registry

import (
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"trustbank/groupsig"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// Members join at every epoch and one is revoked per epoch; every member
// signs at every epoch of its membership. A long-lived opener (catching
// up one revocation at a time) and a fresh one name every signer; a
// revoked member's signatures from before its revocation come back as
// published keys. Keys the issuer could compute but never issued — a
// member's key at an epoch before it joined, a revoked member's at its
// revocation epoch — name nobody.
func TestOpenAcrossEpochs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		store := storeOn(t, open)()
		_, ik, ok, err := groupsig.Setup(rand.Reader)
		mustNil(t, err)
		is, err := CreateGroup(ctx, store, "g", ik)
		mustNil(t, err)
		long, err := NewOpener(ctx, store, "g", ok, ik)
		mustNil(t, err)
		keys := map[string]*groupsig.MemberKey{}
		var sigs []signed
		var pks []*groupsig.PublicKey
		for epoch := range 5 {
			pk := is.PublicKey()
			pks = append(pks, pk)
			for i := range 2 {
				id := fmt.Sprintf("m%d-%d", epoch, i)
				keys[id], err = is.Join(ctx, id)
				mustNil(t, err)
			}
			for id, mk := range keys {
				msg := fmt.Sprintf("%s at epoch %d", id, epoch)
				sig, err := mk.Sign(rand.Reader, pk, []byte(msg))
				mustNil(t, err)
				sigs = append(sigs, signed{who: id, msg: msg, sig: sig, epoch: pk.Epoch})
			}
			checkOpens(t, long, sigs)
			victim := fmt.Sprintf("m%d-0", epoch)
			rev, err := is.Revoke(ctx, victim)
			mustNil(t, err)
			for i := range sigs {
				if sigs[i].who == victim {
					sigs[i].who = "published:" + victim
				}
			}
			delete(keys, victim)
			for id, mk := range keys {
				keys[id], err = mk.Update(rev)
				mustNil(t, err)
			}
		}
		fresh, err := NewOpener(ctx, store, "g", ok, ik)
		mustNil(t, err)
		checkOpens(t, fresh, sigs)
		checkOpens(t, long, sigs)

		// Never issued: m3-1's key at epoch 1 (it joined at 3), and the
		// key of m1-0 (revoked to epoch 2) at epoch 2.
		never := map[string]struct {
			id    string
			epoch int
		}{"fail/before-join": {"m3-1", 1}, "fail/after-revocation": {"m1-0", 2}}
		for name, n := range never {
			m, err := store.Member(ctx, "g", n.id)
			mustNil(t, err)
			x, err := is.secret(m)
			mustNil(t, err)
			forged, err := (&groupsig.IssuerKey{Gamma: ik.Gamma, PK: pks[n.epoch]}).KeyFor(&x)
			mustNil(t, err)
			sig, err := forged.Sign(rand.Reader, pks[n.epoch], []byte(name))
			mustNil(t, err)
			_, err = fresh.Open(ctx, []byte(name), sig)
			var pub *PublishedKeyError
			if !errors.Is(err, ErrNotFound) || errors.As(err, &pub) {
				t.Fatalf("%s: %v", name, err)
			}
		}
	})
}
