package trust

import (
	"testing"
	"time"

	"trustbank/trust/score"
)

// Each tier is served by its policy: features, the session budget, the
// tier's rate, and the attribute check of the bad tier.
func TestPolicy(t *testing.T) {
	at := AttributeTokens{Name: "review", Key: []byte("k")}
	ps := DefaultPolicies(at)
	cases := map[string]struct {
		tier    score.Tier
		feature string
		attrs   map[string]string
		ok      bool
	}{
		"ok/perfect-export":    {score.TierPerfect, "export", nil, true},
		"fail/good-export":     {score.TierGood, "export", nil, false},
		"ok/mediate-write":     {score.TierMediate, "write", nil, true},
		"fail/mediate-compute": {score.TierMediate, "compute", nil, false},
		"ok/bad-read-vouched":  {score.TierBad, "read", map[string]string{"review": at.Token("x")}, true},
		"fail/bad-read-bare":   {score.TierBad, "read", nil, false},
		"fail/bad-read-forged": {score.TierBad, "read", map[string]string{"review": "x.00"}, false},
		"fail/bad-other-value": {score.TierBad, "read", map[string]string{"review": "y" + at.Token("x")[1:]}, false},
		"fail/bad-write":       {score.TierBad, "write", map[string]string{"review": at.Token("x")}, false},
	}
	for name, tc := range cases {
		err := ps[tc.tier].allows(ctx, tc.tier, tc.feature, tc.attrs)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
	if p := DefaultPolicies(nil); len(p[score.TierBad].Features) != 0 {
		t.Fatal("without an attribute check the bad tier must get nothing")
	}
	b := newBucket(1, 2)
	now := time.Unix(0, 0)
	if !b.take(now) || !b.take(now) || b.take(now) || !b.take(now.Add(time.Second)) {
		t.Fatal("token bucket")
	}
}

// A session has a request budget and a lifetime; outstanding challenges
// are bounded.
func TestSessionBudget(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		s, err := w.login(w.user("alice"), w.svc)
		must(t, err)
		for i := range 50 {
			g, err := w.svc.Serve(ctx, s.Transaction, "read", nil)
			if err != nil || g.Remaining != 49-i || g.Tier != score.TierMediate {
				t.Fatalf("request %d: %+v, %v", i, g, err)
			}
		}
		_, err = w.svc.Serve(ctx, s.Transaction, "read", nil)
		wantErr(t, err, ErrRateLimited)
		_, err = w.svc.Serve(ctx, [NonceSize]byte{1}, "read", nil)
		wantErr(t, err, ErrNoSession)
		w.clock.Add(DefaultFeedbackWindow)
		_, err = w.svc.Serve(ctx, s.Transaction, "read", nil)
		wantErr(t, err, ErrNoSession)

		small, err := NewService(ServiceConfig{ID: "tiny", Key: w.svcKey, Keys: w.p, Feedback: w.p, MaxOutstanding: 2, Now: w.clock.Now})
		must(t, err)
		for range 2 {
			_, err := small.Challenge()
			must(t, err)
		}
		_, err = small.Challenge()
		wantErr(t, err, ErrBusy)
		w.clock.Add(3 * time.Minute) // they expire
		_, err = small.Challenge()
		must(t, err)
	})
}
