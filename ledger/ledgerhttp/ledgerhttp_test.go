package ledgerhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

const token = "operator-secret"

type fixture struct {
	ctx    context.Context
	bank   *ledger.Bank
	store  *ledger.Store
	admin  *ledgerhttp.Client
	public *ledgerhttp.Client
	srv    *httptest.Server
}

func newFixture(t *testing.T, open func() *sqldb.DB) *fixture {
	ctx := context.Background()
	store, err := ledger.NewStore(ctx, open())
	if err != nil {
		t.Fatal(err)
	}
	bdb, err := sqldb.OpenSQLite(filepath.Join(t.TempDir(), "backup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bdb.Close() })
	backup, err := ledger.NewBackup(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ledger.GenerateKeys(ledger.SM2)
	if err != nil {
		t.Fatal(err)
	}
	bank, err := ledger.Open(ctx, ledger.Config{Name: "bank-a"}, keys, store, backup)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bank.Close)
	srv := httptest.NewServer(ledgerhttp.NewHandler(bank, token, nil))
	t.Cleanup(srv.Close)
	return &fixture{ctx: ctx, bank: bank, store: store, srv: srv,
		admin: &ledgerhttp.Client{Base: srv.URL, AdminToken: token}, public: &ledgerhttp.Client{Base: srv.URL}}
}

// as is a client that signs notice requests with a's key.
func (f *fixture) as(a *ledger.Account) *ledgerhttp.Client {
	return &ledgerhttp.Client{Base: f.srv.URL, Signer: a.Signer}
}

// account opens an account over HTTP and checks its template offline.
func (f *fixture) account(t *testing.T, name string, opening uint64) *ledger.Account {
	s, err := ledger.GenerateSM2()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.public.OpenAccount(f.ctx, name, s.PublicKey(), opening); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
		t.Fatalf("open account without the admin token: %v", err)
	}
	if _, err := f.admin.OpenAccount(f.ctx, name, s.PublicKey(), opening); err != nil {
		t.Fatal(err)
	}
	tmpl, err := f.public.Template(f.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	bank, _, err := f.public.Verifier(f.ctx, f.bank.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Verify(bank); err != nil {
		t.Fatal(err)
	}
	return ledger.NewAccount(tmpl, s)
}

func TestOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		f := newFixture(t, open)
		alice, bob := f.account(t, "alice", 10_000), f.account(t, "bob", 0)
		bank, info, err := f.public.Verifier(f.ctx, nil)
		if err != nil || info.Name != "bank-a" || info.Scheme != "sm2" {
			t.Fatalf("bank %+v %v", info, err)
		}
		now := time.Now()
		coll, err := bob.Collect(2500, "groceries", now)
		if err != nil {
			t.Fatal(err)
		}
		m, err := alice.Pay(coll, bank, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := bob.Submit(m)
		first, err := f.public.Checkpoint(f.ctx, 0)
		if err == nil {
			t.Fatalf("a checkpoint before any booking: %+v", first)
		}
		st, err := f.public.Submit(f.ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Verify(bank); err != nil {
			t.Fatal(err)
		}
		if err := st.Entry.Matches(m); err != nil {
			t.Fatal(err)
		}
		// The same money again, and a thief's submission: refused with
		// their sentinels, and nothing booked.
		if _, err := f.public.Submit(f.ctx, sub); !errors.Is(err, ledger.ErrReplayed) {
			t.Fatalf("replay: %v", err)
		}
		mallory := f.account(t, "mallory", 0)
		m2, _ := alice.Money("bob", 1, "x", now.Add(time.Second))
		stolen := &ledger.Submission{Money: *m2}
		stolen.Sig, _ = mallory.Signer.Sign(ledger.SubmitMessage(m2.Digest()))
		if _, err := f.public.Submit(f.ctx, stolen); !errors.Is(err, ledger.ErrNotPayee) {
			t.Fatalf("thief: %v", err)
		}
		// Malformed bodies: 400 with a message, nothing booked.
		for _, body := range []string{`{`, `{"submission":"AAAA"}`, `{"submission":"", "extra":1}`} {
			resp, err := http.Post(f.srv.URL+"/ledger/v1/submit", "application/json", bytes.NewBufferString(body))
			if err != nil {
				t.Fatal(err)
			}
			var e ledgerhttp.ErrorResponse
			json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || e.Code != "malformed" || e.Error == "" {
				t.Fatalf("%s: HTTP %d %+v", body, resp.StatusCode, e)
			}
		}
		if f.bank.Size() != 1 {
			t.Fatalf("%d entries booked", f.bank.Size())
		}
		// The payer's balance notice, fetched in a request signed with
		// her key, decrypts with her key only.
		bn, err := f.as(alice).BalanceNotice(f.ctx, st.Entry.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := bn.Verify(bank); err != nil {
			t.Fatal(err)
		}
		if v, err := ledger.OpenBalance(bn, alice.Signer.(*ledger.SM2Signer).Key()); err != nil || v != 7500 {
			t.Fatalf("balance %d %v", v, err)
		}
		// An auditor keeps the first checkpoint and checks the later one extends it.
		older := st.Checkpoint
		m3, _ := alice.Money("bob", 100, "more", now.Add(2*time.Second))
		s3, _ := bob.Submit(m3)
		if _, err := f.public.Submit(f.ctx, s3); err != nil {
			t.Fatal(err)
		}
		latest, err := f.public.Audit(f.ctx, bank, &older)
		if err != nil || latest.Size != 2 {
			t.Fatalf("audit: %v %+v", err, latest)
		}
		if _, err := f.admin.Notice(f.ctx, 99); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("the operator asking for the notice of a missing entry: %v", err)
		}
		// Operator check and recovery over HTTP.
		if _, err := f.public.Check(f.ctx); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
			t.Fatalf("check without token: %v", err)
		}
		if err := f.store.DeleteEntry(f.ctx, 0); err != nil {
			t.Fatal(err)
		}
		rep, err := f.admin.Check(f.ctx)
		if err != nil || rep.OK || len(rep.Missing) != 1 || rep.Missing[0] != 0 {
			t.Fatalf("check: %+v %v", rep, err)
		}
		m4, _ := alice.Money("bob", 1, "while broken", now.Add(3*time.Second))
		s4, _ := bob.Submit(m4)
		if _, err := f.public.Submit(f.ctx, s4); !errors.Is(err, ledger.ErrBookBroken) {
			t.Fatalf("booking on a broken book: %v", err)
		}
		rec, err := f.admin.Recover(f.ctx)
		if err != nil || !rec.Check.OK || len(rec.Recovered) != 1 || rec.Recovered[0].Amount != 2500 {
			t.Fatalf("recover: %+v %v", rec, err)
		}
		// "groceries" is in no other money of alice's, so the book alone
		// cannot find it: the answer names the restored money's purpose.
		if r := rec.Recovered[0]; r.Purpose != "groceries" || r.Time != m.Time || r.Confirmed {
			t.Fatalf("recovered %+v, want the money's purpose and time %d, unconfirmed", r, m.Time)
		}
		if _, err := f.public.Submit(f.ctx, s4); err != nil {
			t.Fatalf("booking after recovery: %v", err)
		}
		if bal, open := f.bank.Totals(); bal != open {
			t.Fatalf("balances %d, opening %d", bal, open)
		}
	})
}

// 100 concurrent submissions of one money over HTTP: exactly one books.
func TestConcurrentSubmissionsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		f := newFixture(t, open)
		alice, bob := f.account(t, "alice", 10_000), f.account(t, "bob", 0)
		m, _ := alice.Money("bob", 10, "once", time.Now())
		sub, _ := bob.Submit(m)
		var ok, replayed atomic.Int32
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				_, err := f.public.Submit(f.ctx, sub)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ledger.ErrReplayed):
					replayed.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 || replayed.Load() != 99 {
			t.Fatalf("%d booked, %d refused as replays", ok.Load(), replayed.Load())
		}
		if v, _ := f.bank.Balance("bob"); v != 10 {
			t.Fatalf("bob has %d", v)
		}
	})
}
