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

func revocation(epoch uint64, id string, stay ...string) Revocation {
	r := Revocation{Epoch: epoch, MemberID: id, Update: []byte(fmt.Sprint("upd", epoch)),
		PublicKey: []byte(fmt.Sprint("pk", epoch)), At: time.Unix(1700000002, 0)}
	for _, s := range stay {
		r.Tags = append(r.Tags, MemberTag{MemberID: s, Tag: []byte(fmt.Sprintf("tag-%s-%d", s, epoch))})
	}
	return r
}

func testStoreRevoke(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	for _, id := range []string{"a", "b", "c"} {
		mustNil(t, s.AddMember(ctx, "g", member(id, 0)))
	}
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "b", "a", "c")))
	g, err := s.Group(ctx, "g")
	mustNil(t, err)
	if g.Epoch != 1 || string(g.PublicKey) != "pk1" {
		t.Fatalf("group after revoke: %+v", g)
	}
	b, _ := s.Member(ctx, "g", "b")
	if b.Status != Revoked || b.RevokedEpoch != 1 {
		t.Fatalf("b: %+v", b)
	}
	a, _ := s.Member(ctx, "g", "a")
	if a.Epoch != 1 || string(a.Tag) != "tag-a-1" {
		t.Fatalf("a not re-tagged: %+v", a)
	}
	// Old and new tags both resolve.
	for _, tag := range []string{"tag-a-0", "tag-a-1"} {
		m, err := s.Identify(ctx, "g", []byte(tag))
		mustNil(t, err)
		if m.ID != "a" {
			t.Fatalf("%s → %s", tag, m.ID)
		}
	}
	m, err := s.Identify(ctx, "g", []byte("tag-b-0"))
	mustNil(t, err)
	if m.ID != "b" || m.Status != Revoked {
		t.Fatalf("revoked member's old tag: %+v", m)
	}
	mustNil(t, s.Revoke(ctx, "g", revocation(2, "a", "c")))
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
		"fail/skips-epoch":   {revocation(2, "b", "a", "c"), ErrEpochConflict},
		"fail/misses-member": {revocation(1, "b", "a"), ErrEpochConflict},
		"fail/unknown":       {revocation(1, "zz", "a", "b", "c"), ErrNotFound},
		"fail/retags-target": {revocation(1, "b", "a", "b"), ErrEpochConflict},
	}
	for name, tc := range cases {
		wantErr(t, s.Revoke(ctx, "g", tc.r), tc.want)
		g, _ := s.Group(ctx, "g")
		ms, _ := s.Members(ctx, "g")
		if g.Epoch != 0 || ms[1].Status != Active || ms[0].Epoch != 0 {
			t.Fatalf("%s: failed revoke changed state: %+v %+v", name, g, ms)
		}
	}
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "b", "a", "c")))
	wantErr(t, s.Revoke(ctx, "g", revocation(2, "b", "a", "c")), ErrNotActive)
}

func testStoreReopen(t *testing.T, newStore func() Store) {
	s := newStore()
	mustNil(t, s.CreateGroup(ctx, group("g")))
	mustNil(t, s.AddMember(ctx, "g", member("a", 0)))
	mustNil(t, s.AddMember(ctx, "g", member("b", 0)))
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "a", "b")))
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
// built from a stale member list is refused, and so is a join at the old
// epoch after a revocation: no member is left behind at an old epoch.
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
	// A revocation built from a stale member list is refused.
	wantErr(t, s.Revoke(ctx, "g", revocation(1, "target", joined[:19]...)), ErrEpochConflict)
	mustNil(t, s.Revoke(ctx, "g", revocation(1, "target", joined...)))
	wantErr(t, s.AddMember(ctx, "g", member("late", 0)), ErrEpochConflict)
}
