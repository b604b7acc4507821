package ecashhttp_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/internal/dbtest"
	"trustbank/internal/node"
	"trustbank/internal/testkeys"
)

var ctx = context.Background()

type env struct {
	c     *ecashhttp.Client
	node  *node.Node
	srv   *httptest.Server
	ks    *ecash.KeySet
	total ecash.Amount
}

func newEnv(t *testing.T, tg dbtest.Target, opts ...func(*node.Config)) *env {
	cfg := node.Config{DataDir: t.TempDir(), PostgresDSN: tg.DSN, PostgresSchema: tg.Schema,
		Schedule: testSchedule(), GenerateKey: testkeys.RSA}
	for _, o := range opts {
		o(&cfg)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	srv := httptest.NewServer(ecashhttp.NewHandler(ecashhttp.Deps{Module: n.Module, Users: n.Users, Enroll: n.Enroll, Banks: n.Banks,
		Store: n.Store, AdminToken: n.AdminToken}))
	t.Cleanup(srv.Close)
	e := &env{c: &ecashhttp.Client{Base: srv.URL, AdminToken: n.AdminToken}, node: n, srv: srv}
	e.ks, _, err = e.c.KeySet(ctx, n.Module.IdentityKey())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type holder struct {
	id, account string
	key         ed25519.PrivateKey
}

func (e *env) open(t *testing.T, bank, id string, balance ecash.Amount) holder {
	_, sk, _ := ed25519.GenerateKey(rand.Reader)
	h := holder{id: id, account: id + "-acct", key: sk}
	if err := e.c.OpenAccount(ctx, bank, h.account, id, sk.Public().(ed25519.PublicKey), balance); err != nil {
		t.Fatal(err)
	}
	e.total += balance
	return h
}

func (e *env) wallet(t *testing.T, user string) *ecash.Wallet {
	mk, err := e.c.RegisterUser(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	var seed [32]byte
	rand.Read(seed[:])
	return ecash.NewWallet(seed, e.ks, mk, e.c.UserKeys(ctx), nil)
}

func (e *env) withdraw(t *testing.T, w *ecash.Wallet, h holder, amount ecash.Amount) {
	p, err := w.Withdraw(h.account, h.key, amount, e.ks.Schedule.EpochAt(timeNow()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.c.Withdraw(ctx, "bank-a", p.Request)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(p, resp); err != nil {
		t.Fatal(err)
	}
}

func (e *env) checkInvariant(t *testing.T) {
	tot, err := e.c.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tot.Balances+tot.Float != e.total || tot.Positions != -int64(tot.Float) {
		t.Fatalf("invariant broken: %+v, total %d", tot, e.total)
	}
}

func TestHTTPFlow(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		alice := e.open(t, "bank-a", "alice", 5000)
		shop := e.open(t, "bank-b", "shop", 0)
		w := e.wallet(t, "alice")
		e.withdraw(t, w, alice, 1234)
		m := ecash.NewMerchant("bank-b", shop.account, func() *ecash.KeySet { return e.ks }, e.c.UserKeys(ctx), nil)
		ch, _ := m.Challenge(1234)
		p, err := w.Pay(ch)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Accept(p); err != nil {
			t.Fatal(err)
		}
		q, _ := m.DepositRequest(p, shop.key)
		r, err := e.c.Deposit(ctx, "bank-b", q)
		if err != nil || r.Amount != 1234 {
			t.Fatalf("deposit: %+v %v", r, err)
		}
		_, err = e.c.Deposit(ctx, "bank-b", mustNewID(q, shop.key))
		if !errors.Is(err, ecash.ErrDoubleSpend) {
			t.Fatalf("second deposit over HTTP: %v", err)
		}
		ds, err := e.c.DoubleSpends(ctx)
		if err != nil || len(ds) != 1 || ds[0].TracedUser != "" {
			t.Fatalf("double spends: %+v %v", ds, err)
		}
		e.checkInvariant(t)
	})
}

// mustNewID re-signs a deposit request under a fresh request id.
func mustNewID(q *ecash.DepositRequest, key ed25519.PrivateKey) *ecash.DepositRequest {
	c := *q
	rand.Read(c.ID[:])
	c.SignWith(key)
	return &c
}

// Malformed input gets a 4xx with a clear message and changes nothing.
func TestMalformedRequests(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		alice := e.open(t, "bank-a", "alice", 100)
		w := e.wallet(t, "alice")
		p, _ := w.Withdraw(alice.account, alice.key, 10, e.ks.Schedule.EpochAt(timeNow()))
		good, _ := p.Request.MarshalBinary()
		cases := map[string]struct {
			path, body string
			status     int
		}{
			"fail/not-json":        {"/v1/banks/bank-a/withdraw", "{", 400},
			"fail/unknown-field":   {"/v1/banks/bank-a/withdraw", `{"request":"","x":1}`, 400},
			"fail/truncated":       {"/v1/banks/bank-a/withdraw", `{"request":"` + b64(good[:len(good)-3]) + `"}`, 400},
			"fail/trailing":        {"/v1/banks/bank-a/withdraw", `{"request":"` + b64(append(good, 0)) + `"}`, 400},
			"fail/bad-base64":      {"/v1/banks/bank-a/withdraw", `{"request":"%%%"}`, 400},
			"fail/no-bank":         {"/v1/banks/zz/withdraw", `{"request":"` + b64(good) + `"}`, 404},
			"fail/deposit-garbage": {"/v1/banks/bank-b/deposit", `{"request":"AAAA"}`, 400},
			"fail/huge":            {"/v1/banks/bank-a/withdraw", `{"request":"` + string(bytes.Repeat([]byte("A"), 2<<20)) + `"}`, 400},
		}
		for name, tc := range cases {
			resp, err := http.Post(e.srv.URL+tc.path, "application/json", bytes.NewBufferString(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var msg bytes.Buffer
			msg.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !bytes.Contains(msg.Bytes(), []byte(`"error"`)) {
				t.Errorf("%s: HTTP %d %s", name, resp.StatusCode, msg.String())
			}
		}
		a, _ := e.c.Account(ctx, "bank-a", alice.account, alice.key)
		if a.Balance != 100 {
			t.Fatalf("a refused request changed the balance: %d", a.Balance)
		}
		e.checkInvariant(t)
	})
}

// 100 concurrent deposits of one coin over HTTP: exactly one credit.
func TestConcurrentDepositsOverHTTP(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		alice := e.open(t, "bank-a", "alice", 100)
		shop := e.open(t, "bank-b", "shop", 0)
		w := e.wallet(t, "alice")
		e.withdraw(t, w, alice, 64)
		m := ecash.NewMerchant("bank-b", shop.account, func() *ecash.KeySet { return e.ks }, e.c.UserKeys(ctx), nil)
		ch, _ := m.Challenge(64)
		p, err := w.Pay(ch)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := m.DepositRequest(p, shop.key)
		const n = 100
		var wg sync.WaitGroup
		results := make(chan error, n)
		for range n {
			dq := mustNewID(q, shop.key)
			wg.Go(func() {
				_, err := e.c.Deposit(ctx, "bank-b", dq)
				results <- err
			})
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ecash.ErrDoubleSpend):
				t.Errorf("unexpected: %v", err)
			}
		}
		a, _ := e.c.Account(ctx, "bank-b", shop.account, nil)
		if ok != 1 || a.Balance != 64 {
			t.Fatalf("%d deposits accepted, balance %d", ok, a.Balance)
		}
		e.checkInvariant(t)
	})
}

// Opening an account (which creates money), registering a user, pruning,
// double-spend evidence, totals and reading an account are operator steps:
// without the admin token they are refused and change nothing.
func TestOperatorEndpointsNeedTheAdminToken(t *testing.T) {
	e := newEnv(t, dbtest.Target{Path: ""})
	alice := e.open(t, "bank-a", "alice", 100)
	for name, token := range map[string]string{"fail/none": "", "fail/wrong": "not-the-token"} {
		c := &ecashhttp.Client{Base: e.srv.URL, AdminToken: token}
		_, sk, _ := ed25519.GenerateKey(rand.Reader)
		if err := c.OpenAccount(ctx, "bank-a", "mallory", "mallory", sk.Public().(ed25519.PublicKey), 1_000_000); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: open account: %v", name, err)
		}
		if _, err := c.RegisterUser(ctx, "mallory"); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: register user: %v", name, err)
		}
		if _, err := c.Prune(ctx); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: prune: %v", name, err)
		}
		if _, err := c.DoubleSpends(ctx); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: double spends: %v", name, err)
		}
		if _, err := c.Totals(ctx); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: totals: %v", name, err)
		}
		if _, err := c.Account(ctx, "bank-a", alice.account, nil); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: account: %v", name, err)
		}
		if _, err := c.BeginEnrollment(ctx, &ecash.EnrollRequest{Identity: "mallory", EKCert: []byte{1}, AIK: []byte{1}}); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: begin enrolment: %v", name, err)
		}
		if _, err := c.FinishEnrollment(ctx, &ecash.EnrollAnswer{Secret: []byte{1}}); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: finish enrolment: %v", name, err)
		}
	}
	if a, err := e.c.Account(ctx, "bank-a", alice.account, alice.key); err != nil || a.Balance != 100 {
		t.Fatalf("the holder's signed read: %+v %v", a, err)
	}
	if _, err := e.c.Account(ctx, "bank-a", "mallory", nil); !errors.Is(err, ecash.ErrUnknownAccount) {
		t.Fatalf("refused account exists: %v", err)
	}
	e.checkInvariant(t)
}
