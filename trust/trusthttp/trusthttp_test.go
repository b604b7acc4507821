package trusthttp

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"trustbank/groupsig/registry"
	"trustbank/internal/dbtest"
	"trustbank/internal/httpapi"
	"trustbank/internal/sqldb"
	"trustbank/trust"
	"trustbank/trust/score"
)

var ctx = context.Background()

const admin, svcAdmin = "idp-admin", "svc-admin"

// env is a provider and a service, each a real HTTP server on loopback,
// the service talking to the provider over HTTP only.
type env struct {
	p        *trust.Provider
	store    *trust.SQLStore
	idp, svc *httptest.Server
	pc       *Client // the provider's operator
	sc       *ServiceClient
	h        http.Handler // provider handler (fuzzing)
	sh       http.Handler // service handler
	attrs    trust.AttributeTokens
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newEnv(t testing.TB, db *sqldb.DB) *env {
	store, err := trust.NewSQLStore(ctx, db)
	must(t, err)
	t.Cleanup(func() { store.Close() })
	reg, err := registry.NewSQLStore(ctx, db)
	must(t, err)
	keys, err := trust.GenerateKeys(rand.Reader)
	must(t, err)
	p, err := trust.NewProvider(ctx, trust.ProviderConfig{Store: store, Registry: reg, Keys: keys})
	must(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{p: p, store: store, attrs: trust.AttributeTokens{Name: "review", Key: []byte("op")}}
	e.h = NewProviderHandler(ProviderDeps{Provider: p, AdminToken: admin, Log: quiet})
	e.idp = httptest.NewServer(e.h)
	t.Cleanup(e.idp.Close)
	e.pc = &Client{Base: e.idp.URL, AdminToken: admin}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	must(t, e.pc.RegisterService(ctx, "storage", pub))
	remote := &Client{Base: e.idp.URL} // the service's view: no operator token
	svc, err := trust.NewService(trust.ServiceConfig{ID: "storage", Key: key, Keys: &KeyFeed{C: remote}, Feedback: remote,
		Policies: trust.DefaultPolicies(e.attrs)})
	must(t, err)
	e.sh = NewServiceHandler(ServiceDeps{Service: svc, AdminToken: svcAdmin, Log: quiet})
	e.svc = httptest.NewServer(e.sh)
	t.Cleanup(e.svc.Close)
	e.sc = &ServiceClient{Base: e.svc.URL, AdminToken: svcAdmin}
	return e
}

func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) { fn(t, newEnv(t, open())) })
}

// user registers id through the operator and returns its client, which
// talks to the provider over HTTP with its own key.
func (e *env) user(t testing.TB, id string) (*trust.UserClient, UserDirectory) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	en, err := e.pc.Register(ctx, id, pub)
	must(t, err)
	dir := UserDirectory{Client: &Client{Base: e.idp.URL}, Key: key}
	c, err := trust.NewUserClient(ctx, dir, en)
	must(t, err)
	return c, dir
}

func (e *env) login(t testing.TB, c *trust.UserClient) (trust.Session, *trust.Authentication, error) {
	must(t, c.Sync(ctx))
	ch, err := e.sc.Challenge(ctx)
	must(t, err)
	a, err := c.Answer(ch, time.Now())
	must(t, err)
	s, err := e.sc.Authenticate(ctx, a)
	return s, a, err
}

// The story over HTTP: mediate, bad feedback, the old tier refused, the
// service sees bad; the operator opens; the user leaves.
func TestHTTPFlow(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		alice, _ := e.user(t, "alice")
		s, a, err := e.login(t, alice)
		must(t, err)
		if s.Tier != score.TierMediate {
			t.Fatalf("tier %s", s.Tier)
		}
		if who, err := e.pc.Open(ctx, a); err != nil || who != "alice" {
			t.Fatalf("open: %q, %v", who, err)
		}
		if _, err := e.sc.Serve(ctx, s.Transaction, "write", nil); err != nil {
			t.Fatal(err)
		}
		must(t, e.sc.Report(ctx, s.Transaction, 0.05))
		ch, _ := e.sc.Challenge(ctx)
		stale, _ := alice.Answer(ch, time.Now()) // mediate, signed before the switch
		for range 10 {
			st, err := e.pc.Status(ctx, "alice")
			must(t, err)
			if st.Tier == "bad" {
				break
			}
			s, _, err := e.login(t, alice)
			must(t, err)
			must(t, e.sc.Report(ctx, s.Transaction, 0.05))
		}
		_, err = e.sc.Authenticate(ctx, stale)
		if !errors.Is(err, trust.ErrStaleKey) {
			t.Fatalf("old tier's signature: %v", err)
		}
		s, _, err = e.login(t, alice)
		if err != nil || s.Tier != score.TierBad {
			t.Fatalf("after re-grouping: %+v, %v", s, err)
		}
		_, err = e.sc.Serve(ctx, s.Transaction, "read", nil)
		if !errors.Is(err, trust.ErrForbidden) {
			t.Fatalf("bad tier without attribute: %v", err)
		}
		if _, err := e.sc.Serve(ctx, s.Transaction, "read", map[string]string{"review": e.attrs.Token("ok")}); err != nil {
			t.Fatal(err)
		}
		must(t, e.pc.Revoke(ctx, "alice"))
		if err := alice.Sync(ctx); !errors.Is(err, trust.ErrUserRevoked) {
			t.Fatalf("sync after exit: %v", err)
		}
	})
}

// A member key goes only to the user's client; operator endpoints need
// the operator's token; a service cannot rate without its key.
func TestHTTPAuthorization(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		_, dir := e.user(t, "alice")
		if _, err := dir.Enrollment(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		for name, d := range map[string]UserDirectory{
			"other-key":    {Client: dir.Client, Key: other},
			"unknown-user": {Client: dir.Client, Key: dir.Key},
		} {
			user := "alice"
			if name == "unknown-user" {
				user = "nobody"
			}
			if _, err := d.Enrollment(ctx, user); !errors.Is(err, httpapi.ErrUnauthorized) {
				t.Errorf("%s: %v", name, err)
			}
		}
		resp, err := http.Get(e.idp.URL + "/v1/users/alice/enrollment")
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("unsigned enrollment: HTTP %d", resp.StatusCode)
		}
		anon := &Client{Base: e.idp.URL}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		for name, err := range map[string]error{
			"register":         func() error { _, err := anon.Register(ctx, "mallory", pub); return err }(),
			"status":           func() error { _, err := anon.Status(ctx, "alice"); return err }(),
			"revoke":           anon.Revoke(ctx, "alice"),
			"register-service": anon.RegisterService(ctx, "evil", pub),
		} {
			if !errors.Is(err, httpapi.ErrUnauthorized) {
				t.Errorf("%s without the token: %v", name, err)
			}
		}
		if err := (&ServiceClient{Base: e.svc.URL}).Report(ctx, [32]byte{}, 0.1); !errors.Is(err, httpapi.ErrUnauthorized) {
			t.Errorf("report without the service operator's token: %v", err)
		}
	})
}

// Malformed bodies get a clear 4xx and change nothing.
func TestHTTPMalformed(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		alice, _ := e.user(t, "alice")
		s, a, err := e.login(t, alice)
		must(t, err)
		good, _ := a.MarshalBinary()
		long := string(bytes.Repeat([]byte("A"), 2<<20))
		cases := map[string]struct {
			srv        *httptest.Server
			path, body string
			status     int
		}{
			"fail/not-json":          {e.idp, "/v1/feedback", "{", 400},
			"fail/unknown-field":     {e.idp, "/v1/feedback", `{"report":"","x":1}`, 400},
			"fail/empty-report":      {e.idp, "/v1/feedback", `{"report":""}`, 400},
			"fail/auth-as-report":    {e.idp, "/v1/feedback", `{"report":"` + b64(good) + `"}`, 400},
			"fail/bad-base64":        {e.idp, "/v1/feedback", `{"report":"%%%"}`, 400},
			"fail/array":             {e.idp, "/v1/feedback", `[]`, 400},
			"fail/huge":              {e.idp, "/v1/feedback", `{"report":"` + long + `"}`, 400},
			"fail/truncated-auth":    {e.svc, "/v1/authenticate", `{"authentication":"` + b64(good[:len(good)-1]) + `"}`, 400},
			"fail/trailing-auth":     {e.svc, "/v1/authenticate", `{"authentication":"` + b64(append(good, 0)) + `"}`, 400},
			"fail/short-txn":         {e.svc, "/v1/serve", `{"transaction":"AAAA","feature":"read"}`, 400},
			"fail/no-tier":           {e.idp, "/v1/tiers/great/key", "", 404},
			"fail/bad-epoch":         {e.idp, "/v1/tiers/bad/key?epoch=x", "", 400},
			"fail/unknown-epoch":     {e.idp, "/v1/tiers/bad/key?epoch=7", "", 404},
			"fail/bad-after":         {e.idp, "/v1/tiers/bad/updates?after=-1", "", 400},
			"fail/register-bad-id":   {e.idp, "/v1/users", `{"user":"a/b","client_key":"` + b64(make([]byte, 32)) + `"}`, 400},
			"fail/register-bad-key":  {e.idp, "/v1/users", `{"user":"bob","client_key":"AAAA"}`, 400},
			"fail/register-null":     {e.idp, "/v1/users", `null`, 400},
			"fail/service-short-key": {e.idp, "/v1/services", `{"service":"x","key":"AAAA"}`, 400},
		}
		for name, tc := range cases {
			method := http.MethodPost
			if tc.body == "" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, tc.srv.URL+tc.path, bytes.NewBufferString(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+admin)
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			var msg bytes.Buffer
			msg.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !bytes.Contains(msg.Bytes(), []byte(`"error"`)) {
				t.Errorf("%s: HTTP %d %s", name, resp.StatusCode, msg.String())
			}
		}
		st, err := e.pc.Status(ctx, "alice")
		must(t, err)
		if st.T != 0.5 || st.Generation != 1 {
			t.Fatalf("a refused request changed the user: %+v", st)
		}
		if _, err := e.pc.Status(ctx, "bob"); !errors.Is(err, trust.ErrUnknownUser) {
			t.Fatalf("a refused registration registered: %v", err)
		}
		if _, err := e.sc.Serve(ctx, s.Transaction, "read", nil); err != nil {
			t.Fatalf("the session did not survive: %v", err)
		}
	})
}
