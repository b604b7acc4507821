package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"trustbank/groupsig/registry"
	"trustbank/internal/bench"
	"trustbank/internal/sqldb"
	"trustbank/trust"
	"trustbank/trust/score"
)

// trustBench is the identity provider and one service in one process on
// SQLite (or PostgreSQL with --pg): trustUsers users, all in tier
// mediate, authenticating and being rated.
type trustBench struct {
	ctx     context.Context
	db      *sqldb.DB
	store   *trust.SQLStore
	reg     *registry.SQLStore
	p       *trust.Provider
	svc     *trust.Service
	svcKey  ed25519.PrivateKey
	users   []*trust.UserClient
	keys    *trust.Keys
	cleanup func()

	auths   [][]byte // prepared authentications (encoded), taken in order
	reports []*trust.SignedReport
	next    atomic.Int64
}

// trustUsers is how many users the bench registers; trustInFlight how
// many requests run at once (group commit needs company).
const trustUsers, trustInFlight = 64, 16

func newTrustBench(ctx context.Context) (*trustBench, error) {
	dir, err := os.MkdirTemp("", "trustbank-bench-trust-")
	if err != nil {
		return nil, err
	}
	b := &trustBench{ctx: ctx, cleanup: func() { os.RemoveAll(dir) }}
	if benchPG != "" {
		schema := "bench_" + randHex(6)
		b.db, err = sqldb.OpenPostgres(ctx, benchPG, schema)
		b.cleanup = func() { dropSchema(benchPG, schema); os.RemoveAll(dir) }
	} else {
		b.db, err = sqldb.OpenSQLite(filepath.Join(dir, "trust.db"))
	}
	if err != nil {
		b.cleanup()
		return nil, err
	}
	if err := b.open(); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *trustBench) open() error {
	var err error
	if b.store, err = trust.NewSQLStore(b.ctx, b.db); err != nil {
		return err
	}
	if b.reg, err = registry.NewSQLStore(b.ctx, b.db); err != nil {
		return err
	}
	keys, err := trust.GenerateKeys(rand.Reader)
	if err != nil {
		return err
	}
	b.keys = keys
	if b.p, err = trust.NewProvider(b.ctx, trust.ProviderConfig{Store: b.store, Registry: b.reg, Keys: keys}); err != nil {
		return err
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	b.svcKey = key
	if err := b.p.RegisterService(b.ctx, "bench", pub); err != nil {
		return err
	}
	if b.svc, err = trust.NewService(trust.ServiceConfig{ID: "bench", Key: key, Keys: b.p, Feedback: b.p,
		Policies: trust.DefaultPolicies(nil)}); err != nil {
		return err
	}
	for i := range trustUsers {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		e, err := b.p.Register(b.ctx, fmt.Sprintf("user-%03d", i), pub)
		if err != nil {
			return err
		}
		c, err := trust.NewUserClient(b.ctx, b.p, e)
		if err != nil {
			return err
		}
		b.users = append(b.users, c)
	}
	return nil
}

func (b *trustBench) close() {
	if b.store != nil {
		b.store.Close()
	}
	if b.db != nil {
		b.db.Close()
	}
	b.cleanup()
}

// fresh answers n fresh challenges of the service, on every core.
func (b *trustBench) fresh(n int) ([]*trust.Authentication, error) {
	out := make([]*trust.Authentication, n)
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for w := range errs {
		wg.Go(func() {
			for i := left.Add(-1); i >= 0; i = left.Add(-1) {
				ch, err := b.svc.Challenge()
				if err == nil {
					out[i], err = b.users[int(i)%len(b.users)].Answer(ch, time.Now())
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// prepareAuth makes the authentications of the next `calls` calls.
func (b *trustBench) prepareAuth(per int) func(int) error {
	return func(calls int) error {
		as, err := b.fresh(calls * per)
		b.auths = b.auths[:0]
		for _, a := range as {
			enc, _ := a.MarshalBinary()
			b.auths = append(b.auths, enc)
		}
		b.next.Store(0)
		return err
	}
}

// auth is one full service authentication from the wire: decode, window,
// replay cache, revocation check (the tier group's current epoch, read
// from the registry), one group-signature verification, the session.
func (b *trustBench) auth() error {
	var a trust.Authentication
	if err := a.UnmarshalBinary(b.auths[b.next.Add(1)-1]); err != nil {
		return err
	}
	_, err := b.svc.Authenticate(b.ctx, &a)
	return err
}

// prepareFeedback makes the signed reports of the next `calls` calls:
// T_c = 0.45 keeps every user in mediate (no re-grouping).
func (b *trustBench) prepareFeedback(per int) func(int) error {
	return func(calls int) error {
		as, err := b.fresh(calls * per)
		b.reports = b.reports[:0]
		for _, a := range as {
			r := trust.Report{Service: "bench", Transaction: a.Nonce, Tc: 0.45, Auth: *a}
			sr, serr := r.Sign(b.svcKey)
			err = errors.Join(err, serr)
			b.reports = append(b.reports, sr)
		}
		b.next.Store(0)
		return err
	}
}

// feedback is one report through the provider: the service's signature,
// opening the authentication, the O(1) trust update and its durable,
// group-committed record.
func (b *trustBench) feedback() error {
	_, err := b.p.Feedback(b.ctx, b.reports[b.next.Add(1)-1])
	return err
}

// bounds: the public-key crypto of one authentication (one
// group-signature verify at the current epoch, the revocation check
// included: registry.PublicKeys.VerifyFresh) and of one report (an
// Ed25519 verify and one group-signature open: verify and decrypt),
// done bare.
func (b *trustBench) bounds() (auth, feedback func() error, err error) {
	as, err := b.fresh(1)
	if err != nil {
		return nil, nil, err
	}
	a := as[0]
	msg := a.AuthMessage.Bytes()
	keys := registry.NewPublicKeys(b.reg, trust.GroupName(score.TierMediate))
	r := trust.Report{Service: "bench", Transaction: a.Nonce, Tc: 0.45, Auth: *a}
	sig := ed25519.Sign(b.svcKey, r.Bytes())
	pub := b.svcKey.Public().(ed25519.PublicKey)
	auth = func() error { return keys.VerifyFresh(b.ctx, msg, &a.Signature) }
	pk, err := keys.At(b.ctx, a.Signature.Epoch)
	if err != nil {
		return nil, nil, err
	}
	opener := b.keys[score.TierMediate].Opener
	feedback = func() error {
		if !ed25519.Verify(pub, r.Bytes(), sig) {
			return errors.New("bench trust: bound signature")
		}
		_, err := opener.Open(pk, msg, &a.Signature)
		return err
	}
	return auth, feedback, nil
}

func trustCases(ctx context.Context, d time.Duration, rounds int) ([]bench.Case, func(), error) {
	b, err := newTrustBench(ctx)
	if err != nil {
		return nil, nil, err
	}
	ab, fb, err := b.bounds()
	if err != nil {
		b.close()
		return nil, nil, err
	}
	n := trustInFlight
	per := n * parallelBatch
	cases := []bench.Case{
		{Name: "auth", Op: parallel(n, b.auth), Prepare: b.prepareAuth(per), PerCall: per,
			Bound: fmt.Sprintf("one group-signature verify + the revocation check (VerifyFresh), %d in parallel", n), BoundOp: parallel(n, ab)},
		{Name: "feedback", Op: parallel(n, b.feedback), Prepare: b.prepareFeedback(per), PerCall: per,
			Bound: fmt.Sprintf("Ed25519 verify + group-signature open (provider), %d in parallel", n), BoundOp: parallel(n, fb)},
	}
	trustActive = b
	return cases, b.close, nil
}

// trustActive is the running trust bench, for its notes.
var trustActive *trustBench

func trustNotes(ctx context.Context) map[string]string {
	n := map[string]string{"storage": "sqlite (WAL, synchronous=FULL), group commit", "users": fmt.Sprint(trustUsers),
		"in_flight": fmt.Sprint(trustInFlight)}
	if benchPG != "" {
		n["storage"] = "postgresql, group commit"
	}
	var rows int
	if trustActive.db.QueryRowContext(ctx, "SELECT count(*) FROM trust_feedback").Scan(&rows) == nil {
		n["feedback_rows_after"] = fmt.Sprint(rows)
	}
	return n
}
