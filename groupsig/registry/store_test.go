package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// TestStore is the one store suite; every backend runs it.
func TestStore(t *testing.T) {
	for name, fn := range storeTests {
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) { fn(t, storeOn(t, open)) })
		})
	}
}

// storeOn returns a constructor of stores on one fresh database; each call
// opens a new handle, as a restarted process would.
func storeOn(t *testing.T, open func() *sqldb.DB) func() Store {
	return func() Store {
		s, err := NewSQLStore(context.Background(), open())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

var storeTests = map[string]func(t *testing.T, newStore func() Store){
	"groups":           testStoreGroups,
	"members":          testStoreMembers,
	"revoke":           testStoreRevoke,
	"revoke-conflicts": testStoreRevokeConflicts,
	"survives-reopen":  testStoreReopen,
	"concurrent-joins": testStoreConcurrentJoins,
	"rebase-tags":      testStoreRebaseTags,
}

var ctx = context.Background()

func group(name string) Group {
	return Group{Name: name, PublicKey: []byte("pk0-" + name), CreatedAt: time.Unix(1700000000, 0)}
}

func member(id string, epoch uint64) Member {
	return Member{ID: id, Secret: []byte("sealed-" + id), Tag: []byte(fmt.Sprintf("tag-%s-%d", id, epoch)),
		Epoch: epoch, Status: Active, JoinedAt: time.Unix(1700000001, 0)}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func testStoreGroups(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("banks")))
	wantErr(t, s.CreateGroup(ctx, group("banks")), ErrGroupExists)
	g, err := s.Group(ctx, "banks")
	mustNil(t, err)
	if g.Epoch != 0 || string(g.PublicKey) != "pk0-banks" || !g.CreatedAt.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("got %+v", g)
	}
	_, err = s.Group(ctx, "nope")
	wantErr(t, err, ErrNotFound)
	_, err = s.PublicKey(ctx, "banks", 1)
	wantErr(t, err, ErrNotFound)
}

func testStoreMembers(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	wantErr(t, s.AddMember(ctx, "missing", member("a", 0)), ErrNotFound)
	for _, id := range []string{"c", "a", "b"} {
		mustNil(t, s.AddMember(ctx, "g", member(id, 0)))
	}
	wantErr(t, s.AddMember(ctx, "g", member("a", 0)), ErrMemberExists)
	dup := member("a2", 0)
	dup.Tag = []byte("tag-a-0")
	wantErr(t, s.AddMember(ctx, "g", dup), ErrMemberExists) // one base tag, one member
	wantErr(t, s.AddMember(ctx, "g", member("d", 1)), ErrEpochConflict)
	ms, err := s.Members(ctx, "g")
	mustNil(t, err)
	if len(ms) != 3 || ms[0].ID != "c" || ms[1].ID != "a" || ms[2].ID != "b" {
		t.Fatalf("members not in join order: %+v", ms)
	}
	m, err := s.Identify(ctx, "g", []byte("tag-a-0"))
	mustNil(t, err)
	if m.ID != "a" || !bytes.Equal(m.Secret, []byte("sealed-a")) || m.Status != Active {
		t.Fatalf("got %+v", m)
	}
	_, err = s.Identify(ctx, "g", []byte("tag-zz"))
	wantErr(t, err, ErrNotFound)
	_, err = s.Member(ctx, "g", "zz")
	wantErr(t, err, ErrNotFound)
}

func revocation(epoch uint64, id string) Revocation {
	return Revocation{Epoch: epoch, MemberID: id, Update: []byte(fmt.Sprint("upd", epoch)),
		PublicKey: []byte(fmt.Sprint("pk", epoch)), At: time.Unix(1700000002, 0)}
}

func testStoreRevoke(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	for _, id := range []string{"a", "b", "c"} {
		mustNil(t, s.AddMember(ctx, "g", member(id, 0)))
	}
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "b")))
	g, err := s.Group(ctx, "g")
	mustNil(t, err)
	if g.Epoch != 1 || string(g.PublicKey) != "pk1" || g.PerEpochTags {
		t.Fatalf("group after revoke: %+v", g)
	}
	b, _ := s.Member(ctx, "g", "b")
	if b.Status != Revoked || b.RevokedEpoch != 1 {
		t.Fatalf("b: %+v", b)
	}
	// Nobody else's entry changed: base tags and join epochs stay.
	a, _ := s.Member(ctx, "g", "a")
	if a.Epoch != 0 || string(a.Tag) != "tag-a-0" || a.Status != Active {
		t.Fatalf("a changed by b's revocation: %+v", a)
	}
	m, err := s.Identify(ctx, "g", []byte("tag-b-0"))
	mustNil(t, err)
	if m.ID != "b" || m.Status != Revoked {
		t.Fatalf("revoked member's tag: %+v", m)
	}
	mustNil(t, s.AddMember(ctx, "g", member("d", 1)))
	if d, _ := s.Identify(ctx, "g", []byte("tag-d-1")); d.ID != "d" || d.Epoch != 1 {
		t.Fatalf("member joined at epoch 1: %+v", d)
	}
	mustNil(t, s.Revoke(ctx, "g", revocation(2, "a")))
	revs, err := s.Revocations(ctx, "g", 0)
	mustNil(t, err)
	if len(revs) != 2 || revs[0].MemberID != "b" || revs[1].MemberID != "a" || string(revs[1].PublicKey) != "pk2" {
		t.Fatalf("revocations: %+v", revs)
	}
	revs, _ = s.Revocations(ctx, "g", 1)
	if len(revs) != 1 || revs[0].Epoch != 2 {
		t.Fatalf("revocations after 1: %+v", revs)
	}
	pk1, err := s.PublicKey(ctx, "g", 1)
	mustNil(t, err)
	if string(pk1) != "pk1" {
		t.Fatalf("pk1 = %q", pk1)
	}
}

func testStoreRevokeConflicts(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	for _, id := range []string{"a", "b", "c"} {
		mustNil(t, s.AddMember(ctx, "g", member(id, 0)))
	}
	cases := map[string]struct {
		r    Revocation
		want error
	}{
		"fail/skips-epoch": {revocation(2, "b"), ErrEpochConflict},
		"fail/epoch-zero":  {revocation(0, "b"), ErrEpochConflict},
		"fail/unknown":     {revocation(1, "zz"), ErrNotFound},
	}
	for name, tc := range cases {
		wantErr(t, s.Revoke(ctx, "g", tc.r), tc.want)
		g, _ := s.Group(ctx, "g")
		ms, _ := s.Members(ctx, "g")
		revs, _ := s.Revocations(ctx, "g", 0)
		if _, err := s.PublicKey(ctx, "g", 1); g.Epoch != 0 || ms[1].Status != Active || len(revs) != 0 || !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: failed revoke changed state: %+v %+v", name, g, ms)
		}
	}
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "b")))
	wantErr(t, s.Revoke(ctx, "g", revocation(2, "b")), ErrNotActive)
	if g, _ := s.Group(ctx, "g"); g.Epoch != 1 {
		t.Fatalf("refused revoke moved the group to %d", g.Epoch)
	}
}

func testStoreReopen(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	mustNil(t, s.AddMember(ctx, "g", member("a", 0)))
	mustNil(t, s.AddMember(ctx, "g", member("b", 0)))
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "a")))
	s2 := newStore() // a second handle on the same database
	g, err := s2.Group(ctx, "g")
	mustNil(t, err)
	a, err := s2.Member(ctx, "g", "a")
	mustNil(t, err)
	revs, err := s2.Revocations(ctx, "g", 0)
	mustNil(t, err)
	if g.Epoch != 1 || a.Status != Revoked || len(revs) != 1 {
		t.Fatalf("after reopen: %+v %+v %d", g, a, len(revs))
	}
}

// Concurrent joins all land, in a well-defined join order; a revocation
// from a stale epoch is refused, and so is a join at the old epoch after a
// revocation: no member is handed a key of an old epoch.
func testStoreConcurrentJoins(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	mustNil(t, s.AddMember(ctx, "g", member("target", 0)))
	var wg sync.WaitGroup
	results := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() { results <- s.AddMember(ctx, "g", member(fmt.Sprint("m", i), 0)) })
	}
	wg.Wait()
	close(results)
	var joined []string
	for err := range results {
		mustNil(t, err)
	}
	ms, _ := s.Members(ctx, "g")
	for _, m := range ms[1:] {
		joined = append(joined, m.ID)
	}
	if len(joined) != 20 {
		t.Fatalf("%d joined, want 20", len(joined))
	}
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "target")))
	wantErr(t, s.Revoke(ctx, "g", revocation(1, joined[0])), ErrEpochConflict)
	wantErr(t, s.AddMember(ctx, "g", member("late", 0)), ErrEpochConflict)
}

// rawSQL runs raw SQL on the store's database: the suite uses it to write
// rows as schema version 1 (tags per epoch) did.
func rawSQL(t *testing.T, s Store, query string, args ...any) {
	t.Helper()
	db := s.(*SQLStore).db
	if _, err := db.ExecContext(ctx, db.Rebind(query), args...); err != nil {
		t.Fatal(err)
	}
}

func countTags(t *testing.T, s Store, group string) (n int) {
	t.Helper()
	db := s.(*SQLStore).db
	mustNil(t, db.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM gs_tags WHERE group_name = ?`), group).Scan(&n))
	return n
}

// A group as schema version 1 left it (a and b joined at 0, b revoked to
// epoch 1, c joined at 1; a re-tagged at epoch 1) converts only with base
// tags for exactly its members at its epoch, all at once, and once.
func testStoreRebaseTags(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	mustNil(t, s.AddMember(ctx, "g", member("a", 0)))
	mustNil(t, s.AddMember(ctx, "g", member("b", 0)))
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "b")))
	mustNil(t, s.AddMember(ctx, "g", member("c", 1)))
	for _, r := range [][]any{{"tag-a-0", "a", 0}, {"tag-b-0", "b", 0}, {"tag-a-1", "a", 1}, {"tag-c-1", "c", 1}} {
		rawSQL(t, s, `INSERT INTO gs_tags (group_name, tag, member_id, epoch) VALUES ('g', ?, ?, ?)`, r...)
	}
	rawSQL(t, s, `UPDATE gs_members SET tag = 'tag-a-1', epoch = 1 WHERE id = 'a'`)
	rawSQL(t, s, `UPDATE gs_groups SET per_epoch_tags = 1`)
	if g, _ := s.Group(ctx, "g"); !g.PerEpochTags {
		t.Fatal("legacy group not reported")
	}
	base := func(ids ...string) (out []MemberTag) {
		for _, id := range ids {
			out = append(out, MemberTag{MemberID: id, Tag: []byte("base-" + id)})
		}
		return out
	}
	cases := map[string]struct {
		epoch uint64
		tags  []MemberTag
	}{
		"fail/stale-epoch":    {0, base("a", "b", "c")},
		"fail/misses-member":  {1, base("a", "c")},
		"fail/unknown-member": {1, base("a", "b", "zz")},
	}
	for name, tc := range cases {
		wantErr(t, s.RebaseTags(ctx, "g", tc.epoch, tc.tags), ErrEpochConflict)
		g, _ := s.Group(ctx, "g")
		a, _ := s.Member(ctx, "g", "a")
		if !g.PerEpochTags || string(a.Tag) != "tag-a-1" || countTags(t, s, "g") != 4 {
			t.Fatalf("%s: refused rebase changed state: %+v %+v", name, g, a)
		}
	}
	mustNil(t, s.RebaseTags(ctx, "g", 1, base("c", "a", "b")))
	s2 := newStore()
	g, _ := s2.Group(ctx, "g")
	if g.PerEpochTags || countTags(t, s2, "g") != 0 {
		t.Fatalf("after rebase: %+v, %d tags per epoch left", g, countTags(t, s2, "g"))
	}
	for id, joined := range map[string]uint64{"a": 0, "b": 0, "c": 1} {
		m, err := s2.Identify(ctx, "g", []byte("base-"+id))
		mustNil(t, err)
		if m.ID != id || m.Epoch != joined {
			t.Fatalf("base-%s → %+v, want joined at %d", id, m, joined)
		}
	}
	if b, _ := s2.Member(ctx, "g", "b"); b.Status != Revoked || b.RevokedEpoch != 1 {
		t.Fatalf("b after rebase: %+v", b)
	}
	mustNil(t, s2.RebaseTags(ctx, "g", 1, base("x")))
	if a, _ := s2.Member(ctx, "g", "a"); string(a.Tag) != "base-a" {
		t.Fatal("a second rebase changed a converted group")
	}
}
