package trust

import (
	"bytes"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trustbank/groupsig"
	"trustbank/trust/score"
)

// The service learns the tier and nothing more: the authentication
// verifies under its tier's key and under no other tier's; it carries no
// user id; nobody but the tier's opener — the provider — can open it.
func TestServiceLearnsOnlyTheTier(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice, bob := w.user("alice"), w.user("bob")
		if alice.Tier() != score.TierMediate {
			t.Fatalf("new user in tier %s, want mediate", alice.Tier())
		}
		a := w.answer(alice, w.svc)
		msg := a.AuthMessage.Bytes()
		for _, tier := range score.Tiers {
			pk, err := w.p.Current(ctx, tier)
			must(t, err)
			if err := pk.Verify(msg, &a.Signature); (err == nil) != (tier == score.TierMediate) {
				t.Errorf("verify under tier %s: %v", tier, err)
			}
		}
		enc, _ := a.MarshalBinary()
		if bytes.Contains(enc, []byte("alice")) {
			t.Fatal("the authentication names the user")
		}
		s, err := w.svc.Authenticate(ctx, a)
		must(t, err)
		if s.Tier != score.TierMediate || s.Transaction != a.Nonce {
			t.Fatalf("session %+v", s)
		}
		// Only the mediate group's opener opens; the other tiers' openers
		// and a key the service could make itself do not.
		pk, _ := w.p.Current(ctx, score.TierMediate)
		_, _, own, _ := groupsig.Setup(rand.Reader)
		real, err := w.keys[score.TierMediate].Opener.Open(pk, msg, &a.Signature)
		must(t, err)
		if real != alice.e.Key.Tag() {
			t.Fatal("the tier's opener does not recover the signer's tag")
		}
		for _, ok := range []*groupsig.OpenerKey{own, w.keys[score.TierBad].Opener, w.keys[score.TierPerfect].Opener} {
			if tag, _ := ok.Open(pk, msg, &a.Signature); tag == real {
				t.Fatal("a key other than the tier's opener recovered the signer")
			}
		}
		user, err := w.p.Open(ctx, a)
		if err != nil || user != "alice" {
			t.Fatalf("provider opens to %q, %v", user, err)
		}
		// Two users of one tier: both verify under the same key, each opens to its own.
		b := w.answer(bob, w.svc)
		if u, err := w.p.Open(ctx, b); err != nil || u != "bob" {
			t.Fatalf("bob opens to %q, %v", u, err)
		}
	})
}

// A user cannot claim a better tier: the message names the tier and the
// service verifies under that tier's key only.
func TestClaimedTierMustBeTheUsers(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice := w.user("alice")
		ch, err := w.svc.Challenge()
		must(t, err)
		a, err := alice.Answer(ch, w.clock.Now())
		must(t, err)
		forged := *a
		forged.Tier = score.TierPerfect // same signature, better claim
		_, err = w.svc.Authenticate(ctx, &forged)
		if err == nil {
			t.Fatal("accepted a mediate signature as perfect")
		}
		// Signing the "perfect" message with the mediate key fails too.
		alice.e.Tier = score.TierPerfect
		b, _ := alice.Answer(ch, w.clock.Now())
		alice.e.Tier = score.TierMediate
		_, err = w.svc.Authenticate(ctx, b)
		wantErr(t, err, ErrNotMember)
	})
}

// A tier change re-keys: bad feedback moves the user down, the signatures
// of the old membership are refused (revocation check), the new tier's
// are accepted, and the service sees the new tier.
func TestTierChangeRekeys(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice := w.user("alice")
		stolen := &groupsig.MemberKey{Epoch: alice.e.Key.Epoch, A: alice.e.Key.A, X: alice.e.Key.X} // kept by an attacker
		oldPK := alice.pk
		pending := w.answer(alice, w.svc) // made before the switch, sent after
		n := w.rateUntil(alice, 0.05, score.TierBad)
		t.Logf("tier bad after %d reports of T_c = 0.05", n)
		st, _ := w.p.Status(ctx, "alice")
		if st.T >= 0.25 || st.Generation != 2 {
			t.Fatalf("status %+v", st)
		}
		if alice.Tier() != score.TierMediate {
			t.Fatal("client moved before syncing")
		}
		// Before the client syncs, its mediate signatures are refused.
		_, err := w.svc.Authenticate(ctx, pending)
		wantErr(t, err, ErrStaleKey)
		ch, _ := w.svc.Challenge()
		old, err := stolen.Sign(rand.Reader, oldPK, (&AuthMessage{Service: "storage", Nonce: ch.Nonce, Time: w.clock.Now(), Tier: score.TierMediate}).Bytes())
		must(t, err)
		_, err = w.svc.Authenticate(ctx, &Authentication{AuthMessage: AuthMessage{Service: "storage", Nonce: ch.Nonce, Time: w.clock.Now(), Tier: score.TierMediate}, Signature: *old})
		wantErr(t, err, ErrStaleKey)
		// The old key cannot follow the mediate group's update either.
		revs, err := w.p.Updates(ctx, score.TierMediate, stolen.Epoch)
		must(t, err)
		if _, err := stolen.Update(revs[len(revs)-1]); err == nil {
			t.Fatal("the old member key followed its revocation")
		}
		// The client syncs: new enrollment in bad; the service sees bad.
		s, err := w.login(alice, w.svc)
		must(t, err)
		if s.Tier != score.TierBad || alice.Tier() != score.TierBad {
			t.Fatalf("session tier %s, client tier %s", s.Tier, alice.Tier())
		}
		if n, tier := w.activeMembers("alice"); n != 1 || tier != score.TierBad {
			t.Fatalf("%d active memberships, in %s", n, tier)
		}
		// Bad is served by bad's policy: reading only, with the attribute.
		_, err = w.svc.Serve(ctx, s.Transaction, "write", nil)
		wantErr(t, err, ErrForbidden)
		_, err = w.svc.Serve(ctx, s.Transaction, "read", nil)
		wantErr(t, err, ErrForbidden)
		at := AttributeTokens{Name: "review", Key: []byte("k")}
		_, err = w.svc.Serve(ctx, s.Transaction, "read", map[string]string{"review": at.Token("alice-checked")})
		must(t, err)
		// And back up: good feedback re-groups to mediate, then good.
		w.rateUntil(alice, 0.5, score.TierMediate) // within δ of T: the paper rewards it
		s, err = w.login(alice, w.svc)
		must(t, err)
		if s.Tier != score.TierMediate {
			t.Fatalf("session tier %s after recovery", s.Tier)
		}
		if n, tier := w.activeMembers("alice"); n != 1 || tier != score.TierMediate {
			t.Fatalf("%d active memberships, in %s", n, tier)
		}
	})
}

// A revoked (departed) user is refused everywhere.
func TestRevokedUserRefused(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice, bob := w.user("alice"), w.user("bob")
		must(t, w.p.Revoke(ctx, "alice"))
		must(t, w.p.Revoke(ctx, "alice")) // again: a no-op
		_, err := w.svc.Authenticate(ctx, w.answer(alice, w.svc))
		wantErr(t, err, ErrStaleKey)
		wantErr(t, alice.Sync(ctx), ErrUserRevoked)
		_, err = w.p.Enrollment(ctx, "alice")
		wantErr(t, err, ErrUserRevoked)
		_, err = w.p.Register(ctx, "alice", alice.e.Key.A.Marshal()[:32])
		wantErr(t, err, ErrUserExists)
		if n, _ := w.activeMembers("alice"); n != 0 {
			t.Fatalf("%d active memberships after exit", n)
		}
		// Bob, in the same group, syncs and carries on.
		if _, err := w.login(bob, w.svc); err != nil {
			t.Fatal(err)
		}
	})
}

// Replays, stale times, other services' and unknown challenges are refused.
func TestReplayRefused(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		alice := w.user("alice")
		a := w.answer(alice, w.svc)
		_, err := w.svc.Authenticate(ctx, a)
		must(t, err)
		_, err = w.svc.Authenticate(ctx, a)
		wantErr(t, err, ErrReplay)

		var own Challenge // a nonce the service never issued
		own.Service, own.Nonce[0] = "storage", 1
		b, _ := alice.Answer(own, w.clock.Now())
		_, err = w.svc.Authenticate(ctx, b)
		wantErr(t, err, ErrReplay)

		other := w.service("mail", w.svcKey)
		c := w.answer(alice, other)
		_, err = w.svc.Authenticate(ctx, c)
		wantErr(t, err, ErrWrongService)

		late := w.answer(alice, w.svc)
		w.clock.Add(3 * time.Minute)
		_, err = w.svc.Authenticate(ctx, late)
		wantErr(t, err, ErrExpired)

		// Eight copies of one answer at once: exactly one session.
		d := w.answer(alice, w.svc)
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := w.svc.Authenticate(ctx, d); err == nil {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d sessions from one answer", ok.Load())
		}
	})
}
