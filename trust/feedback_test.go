package trust

import (
	"crypto/ed25519"
	"crypto/rand"
	"math"
	"sync"
	"testing"
	"time"

	"trustbank/groupsig"
	"trustbank/trust/score"
)

// report opens a session of c with the world's service and signs a report
// of it without sending it.
func (w *world) report(c *UserClient, tc float64) *SignedReport {
	w.t.Helper()
	s, err := w.login(c, w.svc)
	must(w.t, err)
	w.svc.mu.Lock()
	a := w.svc.sessions[s.Transaction].auth
	w.svc.mu.Unlock()
	sr, err := (&Report{Service: "storage", Transaction: s.Transaction, Tc: tc, Auth: a}).Sign(w.svcKey)
	must(w.t, err)
	return sr
}

func (w *world) trust(user string) float64 {
	st, err := w.p.Status(ctx, user)
	must(w.t, err)
	return st.T
}

// A report retried after a lost answer is counted once — also after the
// provider restarts, and when the copies race; another report for the
// same transaction is refused.
func TestFeedbackCountedOnce(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice := w.user("alice")
		sr := w.report(alice, 0.3)
		r1, err := w.p.Feedback(ctx, sr)
		must(t, err)
		want, _ := score.Update(score.New(), 0.3)
		if w.trust("alice") != want.T {
			t.Fatalf("T = %v, want %v", w.trust("alice"), want.T)
		}
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				if r, err := w.p.Feedback(ctx, sr); err != nil || *r != *r1 {
					t.Errorf("retry: %+v, %v", r, err)
				}
			})
		}
		wg.Wait()
		w.start() // restart
		r2, err := w.p.Feedback(ctx, sr)
		if err != nil || *r2 != *r1 {
			t.Fatalf("after restart: %+v, %v", r2, err)
		}
		if w.trust("alice") != want.T {
			t.Fatalf("counted again: T = %v", w.trust("alice"))
		}
		other, err := (&Report{Service: sr.Service, Transaction: sr.Transaction, Tc: 0.9, Auth: sr.Auth}).Sign(w.svcKey)
		must(t, err)
		_, err = w.p.Feedback(ctx, other)
		wantErr(t, err, ErrFeedbackConflict)
		if w.trust("alice") != want.T {
			t.Fatal("the conflicting report changed T")
		}
		// Racing first copies of a fresh report: counted once.
		sr2 := w.report(alice, 0.4)
		for range 6 {
			wg.Go(func() {
				if _, err := w.p.Feedback(ctx, sr2); err != nil {
					t.Errorf("race: %v", err)
				}
			})
		}
		wg.Wait()
		want2, _ := score.Update(want, 0.4)
		if w.trust("alice") != want2.T {
			t.Fatalf("T = %v, want %v", w.trust("alice"), want2.T)
		}
	})
}

// Feedback without the service's key, from an unknown service, under
// another service's name, out of range or out of time changes nothing.
func TestForgedFeedbackRefused(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice := w.user("alice")
		_, mailKey, _ := ed25519.GenerateKey(rand.Reader)
		must(t, w.p.RegisterService(ctx, "mail", mailKey.Public().(ed25519.PublicKey)))
		sr := w.report(alice, 0.01)
		before := w.trust("alice")

		_, forger, _ := ed25519.GenerateKey(rand.Reader)
		forged, _ := sr.Report.Sign(forger)
		_, err := w.p.Feedback(ctx, forged)
		wantErr(t, err, ErrForgedFeedback)

		bad := *sr
		bad.Signature[0] ^= 1
		_, err = w.p.Feedback(ctx, &bad)
		wantErr(t, err, ErrForgedFeedback)

		unknown := sr.Report
		unknown.Service, unknown.Auth.Service = "nobody", "nobody"
		u, _ := unknown.Sign(forger)
		_, err = w.p.Feedback(ctx, u)
		wantErr(t, err, ErrUnknownService)

		// mail rates storage's session as its own: the signature was made
		// for "storage", so it does not verify for "mail".
		stolen := sr.Report
		stolen.Service, stolen.Auth.Service = "mail", "mail"
		m, _ := stolen.Sign(mailKey)
		_, err = w.p.Feedback(ctx, m)
		wantErr(t, err, ErrNotMember)

		for _, tc := range []float64{1.5, -0.1, math.NaN(), math.Copysign(0, -1)} {
			out := *sr
			out.Tc = tc
			_, err = w.p.Feedback(ctx, &out)
			wantErr(t, err, ErrMalformed)
		}

		w.clock.Add(DefaultFeedbackWindow + time.Minute)
		_, err = w.p.Feedback(ctx, sr)
		wantErr(t, err, ErrFeedbackStale)
		if w.trust("alice") != before {
			t.Fatal("a refused report changed T")
		}
	})
}

// A re-grouping publishes the old member key (BBS04 §7). A service that
// uses it to invent a session after the revocation is refused; only
// authentications made while the key was current are rated.
func TestPublishedKeyCannotInventSessions(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice := w.user("alice")
		early := w.report(alice, 0.2) // a real session, rated late
		w.rateUntil(alice, 0.05, score.TierBad)
		revs, err := w.p.Updates(ctx, score.TierMediate, 0)
		must(t, err)
		rev := revs[len(revs)-1]
		pub := &groupsig.MemberKey{Epoch: rev.Epoch - 1, A: rev.A, X: rev.X}
		pk, err := w.p.PublicKey(ctx, score.TierMediate, rev.Epoch-1)
		must(t, err)
		w.clock.Add(time.Second)
		invent := func(at time.Time) error {
			ch, _ := newChallenge("storage")
			a := Authentication{AuthMessage: AuthMessage{Service: "storage", Nonce: ch.Nonce, Time: at, Tier: score.TierMediate}}
			sig, err := pub.Sign(rand.Reader, pk, a.AuthMessage.Bytes())
			must(t, err)
			a.Signature = *sig
			sr, err := (&Report{Service: "storage", Transaction: ch.Nonce, Tc: 0.01, Auth: a}).Sign(w.svcKey)
			must(t, err)
			_, err = w.p.Feedback(ctx, sr)
			return err
		}
		before := w.trust("alice")
		wantErr(t, invent(time.Now().Add(time.Second)), ErrFeedbackStale)
		if w.trust("alice") != before {
			t.Fatal("an invented session changed T")
		}
		if _, err := w.p.Feedback(ctx, early); err != nil {
			t.Fatalf("a real session from before the re-grouping: %v", err)
		}
	})
}

// A crash between the feedback's commit and the registry leaves the user
// with one group — the old one — or none, never two; the restart (and a
// retried report) settles it in the new tier.
func TestRegroupCrash(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		for i, step := range []string{"before-revoke", "after-revoke"} {
			user := []string{"alice", "bob"}[i]
			c := w.user(user)
			_, err := w.p.Feedback(ctx, w.report(c, 0.05))
			must(t, err)
			sr := w.report(c, 0.05) // this one re-groups to bad
			must(t, w.p.count(ctx, &sr.Report, user, sr.digest()))
			if n, tier := w.activeMembers(user); n != 1 || tier != score.TierMediate {
				t.Fatalf("%s: %d active, in %s", step, n, tier)
			}
			if step == "after-revoke" {
				ms, err := w.store.Memberships(ctx, user)
				must(t, err)
				for _, m := range ms {
					if m.Status == Leaving {
						must(t, w.p.revokeMember(ctx, m))
					}
				}
				if n, _ := w.activeMembers(user); n != 0 {
					t.Fatalf("%s: %d active", step, n)
				}
			}
			w.start() // the crash and restart
			if n, tier := w.activeMembers(user); n != 1 || tier != score.TierBad {
				t.Fatalf("%s, restarted: %d active, in %s", step, n, tier)
			}
			if _, err := w.p.Feedback(ctx, sr); err != nil {
				t.Fatalf("%s: the retried report: %v", step, err)
			}
			s, err := w.login(c, w.svc)
			if err != nil || s.Tier != score.TierBad {
				t.Fatalf("%s: session %+v, %v", step, s, err)
			}
		}
	})
}

// Reports about many users at once go through group commit; each user's
// trust is what the reports computed one by one give.
func TestFeedbackConcurrentUsers(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		const users, rounds = 6, 4
		var cs []*UserClient
		for i := range users {
			cs = append(cs, w.user(string(rune('a'+i))+"-user"))
		}
		for range rounds {
			var srs []*SignedReport
			for _, c := range cs {
				srs = append(srs, w.report(c, 0.6))
			}
			var wg sync.WaitGroup
			for _, sr := range srs {
				wg.Go(func() {
					if _, err := w.p.Feedback(ctx, sr); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		want := score.New()
		for range rounds {
			want, _ = score.Update(want, 0.6)
		}
		for _, c := range cs {
			if got := w.trust(c.user); got != want.T {
				t.Fatalf("%s: T = %v, want %v", c.user, got, want.T)
			}
		}
	})
}
