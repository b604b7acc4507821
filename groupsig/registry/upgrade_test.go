package registry

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"trustbank/groupsig"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// v1Registry writes a registry exactly as schema version 1 did (before base
// tags): a tag per member and epoch in gs_tags, and a revocation that
// re-tags every remaining member. It stands in for a node of the previous
// release, so the upgrade is tested on the rows such a node left.
type v1Registry struct {
	t     *testing.T
	db    *sqldb.DB
	group string
	ik    *groupsig.IssuerKey
	seal  *sealer
	seq   int
}

// migrateV1 applies only the registry's first migration to db.
func migrateV1(t *testing.T, db *sqldb.DB) {
	v1 := fstest.MapFS{}
	for _, d := range []string{"sqlite", "postgres"} {
		b, err := fs.ReadFile(migrations, "migrations/"+d+"/0001_registry.sql")
		mustNil(t, err)
		v1[d+"/0001_registry.sql"] = &fstest.MapFile{Data: b}
	}
	mustNil(t, sqldb.Migrate(ctx, db, "groupsig-registry", v1))
}

func newV1Registry(t *testing.T, db *sqldb.DB, group string, ik *groupsig.IssuerKey) *v1Registry {
	gamma := ik.Gamma.Bytes()
	s, err := newSealer(gamma[:])
	mustNil(t, err)
	r := &v1Registry{t: t, db: db, group: group, ik: &groupsig.IssuerKey{Gamma: ik.Gamma, PK: ik.PK}, seal: s}
	pk, _ := ik.PK.MarshalBinary()
	r.exec(`INSERT INTO gs_groups (name, epoch, created_at) VALUES (?, 0, 0)`, group)
	r.exec(`INSERT INTO gs_epochs (group_name, epoch, public_key) VALUES (?, 0, ?)`, group, pk)
	return r
}

func (r *v1Registry) exec(query string, args ...any) {
	r.t.Helper()
	if _, err := r.db.ExecContext(ctx, r.db.Rebind(query), args...); err != nil {
		r.t.Fatal(err)
	}
}

func (r *v1Registry) join(id string) *groupsig.MemberKey {
	mk, err := r.ik.Issue(rand.Reader)
	mustNil(r.t, err)
	x := mk.X.Bytes()
	sealed, err := r.seal.seal(rand.Reader, r.group, id, x[:])
	mustNil(r.t, err)
	tag, epoch := mk.Tag(), int64(mk.Epoch)
	r.seq++
	r.exec(`INSERT INTO gs_members (group_name, id, seq, secret, tag, epoch, status, joined_at)
		VALUES (?, ?, ?, ?, ?, ?, 'active', 0)`, r.group, id, r.seq, sealed, tag[:], epoch)
	r.exec(`INSERT INTO gs_tags (group_name, tag, member_id, epoch) VALUES (?, ?, ?, ?)`, r.group, tag[:], id, epoch)
	return mk
}

// revoke revokes target and re-tags the others (keys maps every active id
// to its secret's key).
func (r *v1Registry) revoke(target string, keys map[string]*groupsig.MemberKey) *groupsig.Revocation {
	old, err := r.ik.KeyFor(&keys[target].X)
	mustNil(r.t, err)
	rev, err := r.ik.Revoke(old.A, old.X)
	mustNil(r.t, err)
	delete(keys, target)
	e := int64(rev.Epoch)
	for id, mk := range keys {
		cur, err := r.ik.KeyFor(&mk.X)
		mustNil(r.t, err)
		tag := cur.Tag()
		r.exec(`UPDATE gs_members SET tag = ?, epoch = ? WHERE group_name = ? AND id = ?`, tag[:], e, r.group, id)
		r.exec(`INSERT INTO gs_tags (group_name, tag, member_id, epoch) VALUES (?, ?, ?, ?)`, r.group, tag[:], id, e)
	}
	upd, _ := rev.MarshalBinary()
	pk, _ := r.ik.PK.MarshalBinary()
	r.exec(`UPDATE gs_members SET status = 'revoked', revoked_epoch = ? WHERE group_name = ? AND id = ?`, e, r.group, target)
	r.exec(`INSERT INTO gs_epochs (group_name, epoch, public_key) VALUES (?, ?, ?)`, r.group, e, pk)
	r.exec(`INSERT INTO gs_revocations (group_name, epoch, member_id, update_enc, revoked_at) VALUES (?, ?, ?, ?, 0)`, r.group, e, target, upd)
	r.exec(`UPDATE gs_groups SET epoch = ? WHERE name = ?`, e, r.group)
	return rev
}

type signed struct {
	who   string // the member it must open to; "published:ID" for a revoked member
	msg   string
	sig   *groupsig.Signature
	epoch uint64
}

// A node upgraded in place: a registry written by schema version 1 (tags
// per epoch, re-tagging revocations) is migrated, converted to base tags at
// the first NewOpener, and then opens every signature made before the
// upgrade — by members who joined at epoch 0 and later, at every epoch,
// and a revoked member's old ones as published keys — and the group goes
// on with O(1) revocations. A damaged row stops the conversion and
// changes nothing.
func TestUpgradeFromTagsPerEpoch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		db := open()
		migrateV1(t, db)
		_, ik, ok, err := groupsig.Setup(rand.Reader)
		mustNil(t, err)
		ikFile, _ := ik.MarshalBinary() // the key file written at setup, epoch 0
		v1 := newV1Registry(t, db, "users", ik)

		keys := map[string]*groupsig.MemberKey{}
		for _, id := range []string{"alice", "bob", "carol"} {
			keys[id] = v1.join(id)
		}
		var sigs []signed
		signAll := func() {
			pk := v1.ik.PK
			for id, mk := range keys {
				msg := fmt.Sprintf("%s at epoch %d", id, pk.Epoch)
				sig, err := mk.Sign(rand.Reader, pk, []byte(msg))
				mustNil(t, err)
				sigs = append(sigs, signed{who: id, msg: msg, sig: sig, epoch: pk.Epoch})
			}
		}
		advance := func(rev *groupsig.Revocation) {
			for id, mk := range keys {
				keys[id], err = mk.Update(rev)
				mustNil(t, err)
			}
		}
		signAll()
		advance(v1.revoke("bob", keys))
		keys["dave"] = v1.join("dave") // joins at epoch 1
		signAll()
		advance(v1.revoke("carol", keys))
		signAll()
		for i := range sigs {
			if sigs[i].who == "bob" || sigs[i].who == "carol" {
				sigs[i].who = "published:" + sigs[i].who
			}
		}

		store, err := NewSQLStore(ctx, db) // applies migration 0002
		mustNil(t, err)
		g, err := store.Group(ctx, "users")
		mustNil(t, err)
		if !g.PerEpochTags || g.Epoch != 2 {
			t.Fatalf("migrated group: %+v", g)
		}
		ik0, err := groupsig.ParseIssuerKey(ikFile)
		mustNil(t, err)

		// A damaged row (alice's tag of epoch 0 where her tag of epoch 2
		// belongs) stops the conversion; nothing changes.
		alice, _ := store.Member(ctx, "users", "alice")
		v1.exec(`UPDATE gs_members SET tag = (SELECT tag FROM gs_tags WHERE group_name = 'users' AND member_id = 'alice' AND epoch = 0)
			WHERE group_name = 'users' AND id = 'alice'`)
		if _, err := NewOpener(ctx, store, "users", ok, ik0); err == nil {
			t.Fatal("conversion accepted a damaged tag")
		}
		if g, _ := store.Group(ctx, "users"); !g.PerEpochTags || countTags(t, store, "users") == 0 {
			t.Fatal("a refused conversion changed the registry")
		}
		v1.exec(`UPDATE gs_members SET tag = ? WHERE group_name = 'users' AND id = 'alice'`, alice.Tag)

		op, err := NewOpener(ctx, store, "users", ok, ik0)
		mustNil(t, err)
		if g, _ := store.Group(ctx, "users"); g.PerEpochTags || countTags(t, store, "users") != 0 {
			t.Fatalf("not converted: %+v", g)
		}
		checkOpens(t, op, sigs)
		for id, joined := range map[string]uint64{"alice": 0, "bob": 0, "carol": 0, "dave": 1} {
			if m, _ := store.Member(ctx, "users", id); m.Epoch != joined {
				t.Fatalf("%s: join epoch %d, want %d", id, m.Epoch, joined)
			}
		}

		// The group goes on after the upgrade: a new issuer from the
		// setup key file, a new member, an O(1) revocation, and every
		// signature still opens, from a fresh opener too.
		is, err := LoadIssuer(ctx, store, "users", ik0)
		mustNil(t, err)
		for id := range keys {
			again, err := is.Join(ctx, id) // idempotent join checks the converted base tag
			mustNil(t, err)
			if again.Tag() != keys[id].Tag() {
				t.Fatalf("%s: re-issued key differs after the upgrade", id)
			}
		}
		keys["erin"], err = is.Join(ctx, "erin")
		mustNil(t, err)
		rev, err := is.Revoke(ctx, "dave")
		mustNil(t, err)
		delete(keys, "dave")
		advance(rev)
		v1.ik = &groupsig.IssuerKey{Gamma: ik.Gamma, PK: is.PublicKey()}
		signAll()
		for i := range sigs {
			if sigs[i].who == "dave" {
				sigs[i].who = "published:dave"
			}
		}
		op2, err := NewOpener(ctx, store, "users", ok, ik0)
		mustNil(t, err)
		checkOpens(t, op, sigs)
		checkOpens(t, op2, sigs)
	})
}

// checkOpens opens every signature and checks whom it names.
func checkOpens(t *testing.T, op *Opener, sigs []signed) {
	t.Helper()
	for _, s := range sigs {
		m, err := op.Open(ctx, []byte(s.msg), s.sig)
		var pub *PublishedKeyError
		switch {
		case errors.As(err, &pub):
			if "published:"+pub.Member.ID != s.who || s.epoch >= pub.Member.RevokedEpoch {
				t.Fatalf("%q: published key of %s (revoked at %d), want %s", s.msg, pub.Member.ID, pub.Member.RevokedEpoch, s.who)
			}
		case err != nil:
			t.Fatalf("%q: %v", s.msg, err)
		case m.ID != s.who:
			t.Fatalf("%q opened to %q, want %s", s.msg, m.ID, s.who)
		}
	}
}
