package trust

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/trust/score"
)

// The store suite: every backend runs it.
func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		s, err := NewSQLStore(ctx, open())
		must(t, err)
		defer s.Close()
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		now := time.Unix(1_800_000_000, 0)

		must(t, s.AddService(ctx, ServiceRecord{ID: "svc", Key: pub, CreatedAt: now}))
		must(t, s.AddService(ctx, ServiceRecord{ID: "svc", Key: pub, CreatedAt: now})) // same: no-op
		wantErr(t, s.AddService(ctx, ServiceRecord{ID: "svc", Key: other, CreatedAt: now}), ErrServiceExists)
		if r, err := s.Service(ctx, "svc"); err != nil || !r.Key.Equal(pub) {
			t.Fatalf("service: %+v, %v", r, err)
		}
		_, err = s.Service(ctx, "none")
		wantErr(t, err, ErrUnknownService)

		st := score.New()
		u := UserRecord{ID: "u", ClientKey: pub, State: st, Tier: st.Tier(), Member: "u/1", Generation: 1, Version: 1, CreatedAt: now}
		m := Membership{Tier: u.Tier, Member: "u/1", User: "u", Status: Pending}
		must(t, s.AddUser(ctx, u, m))
		wantErr(t, s.AddUser(ctx, u, m), ErrUserExists)
		got, err := s.User(ctx, "u")
		must(t, err)
		if got.State != st || got.Tier != u.Tier || got.Member != "u/1" || got.Version != 1 || got.Revoked || !got.ClientKey.Equal(pub) {
			t.Fatalf("user: %+v", got)
		}
		_, err = s.User(ctx, "none")
		wantErr(t, err, ErrUnknownUser)
		if uu, err := s.Unsettled(ctx); err != nil || len(uu) != 1 || uu[0] != "u" {
			t.Fatalf("unsettled: %v, %v", uu, err)
		}
		if s.SetMembership(ctx, u.Tier, "u/1", Active, Pending) == nil {
			t.Fatal("active → pending allowed")
		}
		must(t, s.SetMembership(ctx, u.Tier, "u/1", Pending, Active))
		wantErr(t, s.SetMembership(ctx, u.Tier, "u/1", Pending, Active), errVersion)
		if uu, _ := s.Unsettled(ctx); len(uu) != 0 {
			t.Fatalf("unsettled: %v", uu)
		}

		// A feedback that re-groups: old membership leaving, new pending.
		next, _ := score.Update(st, 0.05)
		nu := got
		nu.State, nu.Version, nu.Tier, nu.Member, nu.Generation = next, 2, score.TierBad, "u/2", 2
		f := FeedbackRecord{Service: "svc", User: "u", Tc: 0.05, T: next.T, At: now}
		f.Transaction[0], f.Digest[0] = 1, 2
		move := &Membership{Tier: score.TierBad, Member: "u/2", User: "u", Status: Pending}
		must(t, s.RecordFeedback(ctx, f, nu, move))
		wantErr(t, s.RecordFeedback(ctx, f, nu, nil), errDuplicateFeedback)
		f2 := f
		f2.Transaction[0] = 2
		wantErr(t, s.RecordFeedback(ctx, f2, nu, nil), errVersion) // stale version
		if _, err := s.Feedback(ctx, "svc", f2.Transaction); err == nil {
			t.Fatal("a failed record left its feedback row")
		}
		rec, err := s.Feedback(ctx, "svc", f.Transaction)
		if err != nil || rec.User != "u" || rec.Tc != 0.05 || rec.T != next.T || rec.Digest != f.Digest {
			t.Fatalf("feedback: %+v, %v", rec, err)
		}
		ms, err := s.Memberships(ctx, "u")
		must(t, err)
		if len(ms) != 2 || ms[0].Status != Leaving || ms[1].Status != Pending || ms[1].Tier != score.TierBad {
			t.Fatalf("memberships: %+v", ms)
		}
		if who, err := s.MemberUser(ctx, score.TierMediate, "u/1"); err != nil || who != "u" {
			t.Fatalf("member user: %q, %v", who, err)
		}
		_, err = s.MemberUser(ctx, score.TierBad, "u/1")
		wantErr(t, err, ErrUnknownUser)

		wantErr(t, s.RevokeUser(ctx, "u", 1), errVersion)
		must(t, s.RevokeUser(ctx, "u", 2))
		got, _ = s.User(ctx, "u")
		if !got.Revoked || got.Version != 3 {
			t.Fatalf("revoked user: %+v", got)
		}
		ms, _ = s.Memberships(ctx, "u")
		for _, m := range ms {
			if m.Status != Leaving {
				t.Fatalf("after exit: %+v", ms)
			}
		}
	})
}
