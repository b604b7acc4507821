package trust

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"trustbank/groupsig/registry"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/trust/score"
)

var ctx = context.Background()

// clock is a test clock that starts at the real time and moves only when
// told (revocation times in the registry are real).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is one provider and one service on one database.
type world struct {
	t      testing.TB
	open   func() *sqldb.DB
	db     *sqldb.DB
	store  *SQLStore
	reg    *registry.SQLStore
	keys   *Keys
	clock  *clock
	p      *Provider
	svc    *Service
	svcKey ed25519.PrivateKey
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newWorld(t testing.TB, open func() *sqldb.DB) *world {
	keys, err := GenerateKeys(rand.Reader)
	must(t, err)
	w := &world{t: t, open: open, keys: keys, clock: newClock()}
	w.start()
	_, w.svcKey, _ = ed25519.GenerateKey(rand.Reader)
	must(t, w.p.RegisterService(ctx, "storage", w.svcKey.Public().(ed25519.PublicKey)))
	w.svc = w.service("storage", w.svcKey)
	return w
}

// start opens (or reopens: a restart) the provider on a new handle.
func (w *world) start() {
	w.db = w.open()
	var err error
	w.store, err = NewSQLStore(ctx, w.db)
	must(w.t, err)
	w.t.Cleanup(func() { w.store.Close() })
	w.reg, err = registry.NewSQLStore(ctx, w.db)
	must(w.t, err)
	w.p, err = NewProvider(ctx, ProviderConfig{Store: w.store, Registry: w.reg, Keys: w.keys, Now: w.clock.Now})
	must(w.t, err)
	if w.svc != nil {
		w.svc.cfg.Keys, w.svc.cfg.Feedback = w.p, w.p
	}
}

func (w *world) service(id string, key ed25519.PrivateKey) *Service {
	s, err := NewService(ServiceConfig{ID: id, Key: key, Keys: w.p, Feedback: w.p,
		Policies: DefaultPolicies(AttributeTokens{Name: "review", Key: []byte("k")}), Now: w.clock.Now})
	must(w.t, err)
	return s
}

func (w *world) user(id string) *UserClient {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	e, err := w.p.Register(ctx, id, pub)
	must(w.t, err)
	c, err := NewUserClient(ctx, w.p, e)
	must(w.t, err)
	return c
}

// answer gets a challenge from svc and answers it.
func (w *world) answer(c *UserClient, svc *Service) *Authentication {
	w.t.Helper()
	ch, err := svc.Challenge()
	must(w.t, err)
	a, err := c.Answer(ch, w.clock.Now())
	must(w.t, err)
	return a
}

// login syncs the client and authenticates it to svc.
func (w *world) login(c *UserClient, svc *Service) (Session, error) {
	w.t.Helper()
	must(w.t, c.Sync(ctx))
	return svc.Authenticate(ctx, w.answer(c, svc))
}

// rateUntil reports tc on fresh sessions of c until its tier is want.
func (w *world) rateUntil(c *UserClient, tc float64, want score.Tier) int {
	w.t.Helper()
	for n := 1; n <= 30; n++ {
		s, err := w.login(c, w.svc)
		must(w.t, err)
		_, err = w.svc.Report(ctx, s.Transaction, tc)
		must(w.t, err)
		st, err := w.p.Status(ctx, c.user)
		must(w.t, err)
		if st.Tier == want {
			return n
		}
	}
	w.t.Fatalf("tier %s not reached", want)
	return 0
}

// activeMembers counts the user's active members over the four tier
// groups in the registry: a settled user has exactly one.
func (w *world) activeMembers(user string) (n int, tier score.Tier) {
	for _, t := range score.Tiers {
		ms, err := w.reg.Members(ctx, GroupName(t))
		must(w.t, err)
		for _, m := range ms {
			if m.Status == registry.Active && len(m.ID) > len(user) && m.ID[:len(user)+1] == user+"/" {
				n, tier = n+1, t
			}
		}
	}
	return n, tier
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) { fn(t, newWorld(t, open)) })
}
