package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/trust"
	"trustbank/trust/score"
	"trustbank/trust/trusthttp"
)

// kill -9 of the server during a stream of feedback reports, some of
// which re-group their user: after a restart, retrying every report
// counts each exactly once (every user's trust is the reports applied in
// order), and every user ends in exactly the tier its trust says — its
// client re-enrolls and the service sees that tier.
func TestCrashDuringFeedback(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		args := serverArgs(t, tg)
		base, cmd := startServer(t, args...)
		tok := adminToken(t, args)
		idp := &trusthttp.Client{Base: base + TrustIDPPrefix, AdminToken: tok}
		pub, key, _ := ed25519.GenerateKey(rand.Reader)
		must(t, idp.RegisterService(ctx, "crash-svc", pub))
		remote := &trusthttp.Client{Base: base + TrustIDPPrefix}
		svc, err := trust.NewService(trust.ServiceConfig{ID: "crash-svc", Key: key, Keys: &trusthttp.KeyFeed{C: remote},
			Feedback: remote, Policies: trust.DefaultPolicies(nil)})
		must(t, err)

		const users, per = 3, 8
		tcs := []float64{0.05, 0.45, 0.3} // user 0 falls to bad, the others stay
		var clients []*trust.UserClient
		var dirs []trusthttp.UserDirectory
		for i := range users {
			c, d := crashUser(t, idp, base, fmt.Sprint("u", i))
			clients, dirs = append(clients, c), append(dirs, d)
		}
		var reports []*trust.SignedReport
		for range per {
			for i, c := range clients {
				ch, err := svc.Challenge()
				must(t, err)
				a, err := c.Answer(ch, time.Now())
				must(t, err)
				_, err = svc.Authenticate(ctx, a)
				must(t, err)
				sr, err := (&trust.Report{Service: "crash-svc", Transaction: a.Nonce, Tc: tcs[i], Auth: *a}).Sign(key)
				must(t, err)
				reports = append(reports, sr)
			}
		}
		acked := untilKilled(cmd, len(reports), 1, len(reports)/2, func(i int) error {
			_, err := remote.Feedback(ctx, reports[i])
			return err
		})
		t.Logf("%d of %d reports acknowledged before kill -9", len(acked), len(reports))
		base, _ = startServer(t, args...)
		idp.Base, remote.Base = base+TrustIDPPrefix, base+TrustIDPPrefix
		for _, d := range dirs {
			d.Client.Base = remote.Base
		}
		for i, sr := range reports { // retry all, in order
			if _, err := remote.Feedback(ctx, sr); err != nil {
				t.Fatalf("report %d after restart: %v", i, err)
			}
		}
		for i, c := range clients {
			want := score.New()
			for range per {
				want, _ = score.Update(want, tcs[i])
			}
			st, err := idp.Status(ctx, fmt.Sprint("u", i))
			must(t, err)
			if st.T != want.T || st.Tier != want.Tier().String() {
				t.Fatalf("u%d: T = %v (%s), want %v (%s)", i, st.T, st.Tier, want.T, want.Tier())
			}
			must(t, c.Sync(ctx))
			ch, _ := svc.Challenge()
			a, err := c.Answer(ch, time.Now())
			must(t, err)
			s, err := svc.Authenticate(ctx, a)
			if err != nil || s.Tier.String() != st.Tier {
				t.Fatalf("u%d after restart: session %+v, %v; want tier %s", i, s, err, st.Tier)
			}
		}
	})
}

// crashUser registers id and returns its client over HTTP.
func crashUser(t *testing.T, idp *trusthttp.Client, base, id string) (*trust.UserClient, trusthttp.UserDirectory) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	e, err := idp.Register(context.Background(), id, pub)
	must(t, err)
	dir := trusthttp.UserDirectory{Client: &trusthttp.Client{Base: base + TrustIDPPrefix}, Key: key}
	c, err := trust.NewUserClient(context.Background(), dir, e)
	must(t, err)
	return c, dir
}
