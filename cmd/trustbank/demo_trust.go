package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"trustbank/internal/node"
	"trustbank/trust"
	"trustbank/trust/score"
)

// trustStory is the trust-based identity management of seed 004 on the
// node's identity provider and its example service: a user registers
// (mediate), authenticates by tier only, is rated down until the tier
// moves, the old key is refused, and the service now sees "bad".
func (d *demo) trustStory(ctx context.Context, n *node.Node) error {
	d.section("Trust-based identity management (seed 004): packages trust, trust/score, groupsig")
	p, svc := n.Trust.Provider, n.Trust.Service
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	e, err := p.Register(ctx, "dana", pub)
	if err != nil {
		return err
	}
	c, err := trust.NewUserClient(ctx, p, e)
	if err != nil {
		return err
	}
	defer c.Close()
	d.say("idp", "registered dana: T = 0.5, tier %q, a member key of that tier's group sent to her client", "new users start in mediate (paper §3.3)", c.Tier())
	a, s, err := d.trustLogin(ctx, c, svc)
	if err != nil {
		return err
	}
	others := 0
	for _, t := range score.Tiers {
		if pk, _ := p.Current(ctx, t); t != s.Tier && pk.Verify(a.AuthMessage.Bytes(), &a.Signature) != nil {
			others++
		}
	}
	d.say(node.TrustServiceID, "authenticated a user of tier %q with one verification under that tier's key (it fails under the %d others); transaction %x…",
		"the service learns the tier and nothing more", s.Tier, others, s.Transaction[:6])
	if _, err := svc.Authenticate(ctx, a); errors.Is(err, trust.ErrReplay) {
		d.say("attacker", "replayed dana's authentication", "refused: "+err.Error())
	}
	who, err := p.Open(ctx, a)
	if err != nil {
		return err
	}
	d.say("idp", "opened the authentication: it is %q", "only the provider, holder of the tier's opener key, can name the user", who)
	for i := 1; ; i++ {
		if _, err := svc.Report(ctx, s.Transaction, 0.05); err != nil {
			return err
		}
		st, err := p.Status(ctx, "dana")
		if err != nil {
			return err
		}
		d.say(node.TrustServiceID, "rated dana's session %d with T_c = 0.05; the provider opened it and computed T = %.3f (tier %s)", "", i, st.T, st.Tier)
		if st.Tier != score.TierMediate {
			break
		}
		if _, s, err = d.trustLogin(ctx, c, svc); err != nil {
			return err
		}
	}
	if _, _, err := d.trustLogin(ctx, c, svc); !errors.Is(err, trust.ErrStaleKey) {
		return fmt.Errorf("demo: the old tier's key was not refused: %v", err)
	}
	d.say(node.TrustServiceID, "refused a signature under dana's old mediate key", "old key refused: the mediate group moved to a new epoch when the provider revoked dana's membership")
	if err := c.Sync(ctx); err != nil {
		return err
	}
	d.say("dana", "synced: her mediate key was revoked, so her client fetched its new enrollment (tier %q)", "", c.Tier())
	if _, s, err = d.trustLogin(ctx, c, svc); err != nil {
		return err
	}
	d.say(node.TrustServiceID, "authenticated a user of tier %q", fmt.Sprintf("the service sees tier %q after the re-grouping", s.Tier), s.Tier)
	if _, err := svc.Serve(ctx, s.Transaction, "write", nil); errors.Is(err, trust.ErrForbidden) {
		d.say(node.TrustServiceID, "refused \"write\" to the bad tier", err.Error())
	}
	if _, err := svc.Serve(ctx, s.Transaction, "read", map[string]string{"review": n.Trust.Attributes.Token("dana-reviewed")}); err != nil {
		return err
	}
	d.say(node.TrustServiceID, "served \"read\" once the request carried an attribute the operator vouched for", "the bad tier gets the least, and only after an extra attribute check (paper Fig. 5)")
	return nil
}

// trustLogin answers a fresh challenge of svc with c's current key.
func (d *demo) trustLogin(ctx context.Context, c *trust.UserClient, svc *trust.Service) (*trust.Authentication, trust.Session, error) {
	ch, err := svc.Challenge()
	if err != nil {
		return nil, trust.Session{}, err
	}
	a, err := c.Answer(ch, time.Now())
	if err != nil {
		return nil, trust.Session{}, err
	}
	s, err := svc.Authenticate(ctx, a)
	return a, s, err
}
