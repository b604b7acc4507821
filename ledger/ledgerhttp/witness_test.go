package ledgerhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
	"trustbank/ledger/ledgertest"
)

// swappable serves whichever bank is open now, at one address.
type swappable struct{ h atomic.Pointer[http.Handler] }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

type liveBank struct {
	t      *testing.T
	ctx    context.Context
	keys   *ledger.Keys
	open   func() *sqldb.DB
	head   string
	bank   *ledger.Bank
	store  *ledger.Store
	srv    *httptest.Server
	mux    *swappable
	public *ledgerhttp.Client
	admin  *ledgerhttp.Client
	alice  *ledger.Account
	bob    *ledger.Account
	now    time.Time
}

func newLiveBank(t *testing.T, open func() *sqldb.DB, keys *ledger.Keys) *liveBank {
	lb := &liveBank{t: t, ctx: context.Background(), keys: keys, open: open, head: filepath.Join(t.TempDir(), "head.note"),
		mux: &swappable{}, now: time.Now()}
	lb.reopen()
	lb.srv = httptest.NewServer(lb.mux)
	t.Cleanup(lb.srv.Close)
	lb.public, lb.admin = &ledgerhttp.Client{Base: lb.srv.URL}, &ledgerhttp.Client{Base: lb.srv.URL, AdminToken: token}
	for _, name := range []string{"alice", "bob"} {
		s, _ := ledger.GenerateSM2()
		tmpl, err := lb.bank.OpenAccount(lb.ctx, name, s.PublicKey(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if name == "alice" {
			lb.alice = ledger.NewAccount(tmpl, s)
		} else {
			lb.bob = ledger.NewAccount(tmpl, s)
		}
	}
	return lb
}

func (lb *liveBank) reopen() {
	if lb.bank != nil {
		lb.bank.Close()
	}
	var err error
	if lb.store, err = ledger.NewStore(lb.ctx, lb.open()); err != nil {
		lb.t.Fatal(err)
	}
	if lb.bank, err = ledger.Open(lb.ctx, ledger.Config{Name: "bank-a", HeadFile: lb.head}, lb.keys, lb.store, nil); err != nil {
		lb.t.Fatal(err)
	}
	lb.t.Cleanup(lb.bank.Close)
	var h http.Handler = ledgerhttp.NewHandler(lb.bank, token, nil)
	lb.mux.h.Store(&h)
}

func (lb *liveBank) pay(amount uint64) (*ledger.Settlement, error) {
	lb.now = lb.now.Add(time.Millisecond)
	m, err := lb.alice.Money("bob", amount, "rent", lb.now)
	if err != nil {
		lb.t.Fatal(err)
	}
	sub, _ := lb.bob.Submit(m)
	return lb.public.Submit(lb.ctx, sub)
}

type memWitness struct {
	last     []byte
	evidence []*ledgerhttp.Evidence
}

func (m *memWitness) save(cosigned []byte, ev *ledgerhttp.Evidence) error {
	if ev != nil {
		m.evidence = append(m.evidence, ev)
	} else {
		m.last = cosigned
	}
	return nil
}

func newWitness(t *testing.T, lb *liveBank, bank *ledgerhttp.Client) (*ledgerhttp.WitnessService, *memWitness, *ledger.Cosigner, string) {
	c, err := ledger.NewCosigner("witness.example/w1", make([]byte, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ledger.NewWitness(c, ledger.SM2, "bank-a", lb.keys.PublicKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mem := &memWitness{}
	svc := &ledgerhttp.WitnessService{Witness: w, Bank: bank, Save: mem.save}
	srv := httptest.NewServer(ledgerhttp.NewWitnessHandler(svc, nil))
	t.Cleanup(srv.Close)
	return svc, mem, c, srv.URL
}

// The attack over HTTP: the bank's database is rolled back by one entry
// after an auditor, a witness and a holder saw it. The auditor's client
// says "rolled back" (not malformed), the consistency endpoint answers 409
// rolled_back, the witness refuses to cosign and keeps both checkpoints,
// the bank refuses to book, and its check says rolled back.
func TestRollbackOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		keys, _ := ledger.GenerateKeys(ledger.SM2)
		lb := newLiveBank(t, open, keys)
		for range 7 {
			if _, err := lb.pay(1); err != nil {
				t.Fatal(err)
			}
		}
		bank := lb.bank.Verifier()
		seen, err := lb.public.Checkpoint(lb.ctx, 0)
		if err != nil || seen.Size != 7 {
			t.Fatalf("checkpoint %v %v", seen, err)
		}
		_, mem, cosigner, wurl := newWitness(t, lb, lb.public)
		wkey, _ := ledger.ParseWitnessKey(cosigner.VerifierKey())
		cosigned, err := ledgerhttp.WitnessCheckpoint(lb.ctx, wurl)
		if err != nil {
			t.Fatal(err)
		}
		if cp, err := ledger.OpenCheckpoint(cosigned, lb.bank.NoteVerifier(), wkey); err != nil || cp.Size != 7 {
			t.Fatalf("cosigned checkpoint %v %v", cp, err)
		}

		lb.bank.Close()
		if err := ledgertest.RollBack(lb.ctx, lb.store.DB(), 6); err != nil {
			t.Fatal(err)
		}
		lb.reopen()

		_, err = lb.public.Audit(lb.ctx, bank, seen)
		var sv *ledger.SplitViewError
		if !errors.Is(err, ledger.ErrRollback) || errors.Is(err, ledger.ErrMalformed) || !errors.As(err, &sv) || sv.Seen.Size != 7 ||
			!strings.Contains(err.Error(), "rolled back: size 6 < 7 seen") {
			t.Fatalf("auditor after a rollback: %v", err)
		}
		resp, err := http.Get(lb.srv.URL + "/ledger/v1/consistency?from=6&to=7")
		if err != nil {
			t.Fatal(err)
		}
		var e ledgerhttp.ErrorResponse
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict || e.Code != "rolled_back" {
			t.Fatalf("consistency beyond the rolled-back log: %d %+v", resp.StatusCode, e)
		}
		if _, err := ledgerhttp.WitnessCheckpoint(lb.ctx, wurl); !errors.Is(err, ledger.ErrRollback) {
			t.Fatalf("witness on a rolled-back log: %v", err)
		}
		if len(mem.evidence) != 1 || !strings.Contains(mem.evidence[0].Seen, "\n7\n") || !strings.Contains(mem.evidence[0].Got, "\n6\n") {
			t.Fatalf("witness evidence %+v", mem.evidence)
		}
		if _, err := lb.pay(1); !errors.Is(err, ledger.ErrRollback) {
			t.Fatalf("booking on a rolled-back bank: %v", err)
		}
		rep, err := lb.admin.Check(lb.ctx)
		if err != nil || rep.OK || !strings.Contains(rep.Report, "rolled back") {
			t.Fatalf("check: %+v %v", rep, err)
		}
	})
}

// The attack: a bank shows two views, two books under one key and name.
// Checkpoints of one size with different roots, and a larger checkpoint
// of the other view, are refused as a fork by the client and the witness.
func TestForkIsRefused(t *testing.T) {
	keys, _ := ledger.GenerateKeys(ledger.SM2)
	a := newLiveBank(t, sqliteOpen(t), keys)
	b := newLiveBank(t, sqliteOpen(t), keys)
	bank := a.bank.Verifier()
	if _, err := a.pay(1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pay(2); err != nil {
		t.Fatal(err)
	}
	seenA, _ := a.public.Checkpoint(a.ctx, 0)
	gotB, _ := b.public.Checkpoint(b.ctx, 0)
	if err := b.public.Extend(b.ctx, bank, seenA, gotB); !errors.Is(err, ledger.ErrFork) {
		t.Fatalf("same size, other root: %v", err)
	}
	if _, err := b.pay(3); err != nil {
		t.Fatal(err)
	}
	gotB2, _ := b.public.Checkpoint(b.ctx, 0)
	if err := b.public.Extend(b.ctx, bank, seenA, gotB2); !errors.Is(err, ledger.ErrFork) {
		t.Fatalf("larger checkpoint of the other view: %v", err)
	}
	// The witness cosigned view A; view B is refused, with evidence.
	svc, mem, _, wurl := newWitness(t, a, a.public)
	if _, err := ledgerhttp.WitnessCheckpoint(a.ctx, wurl); err != nil {
		t.Fatal(err)
	}
	svc.Bank = b.public
	if _, err := ledgerhttp.WitnessCheckpoint(a.ctx, wurl); !errors.Is(err, ledger.ErrFork) {
		t.Fatalf("witness shown the other view: %v", err)
	}
	if len(mem.evidence) != 1 || mem.evidence[0].Seen == mem.evidence[0].Got {
		t.Fatalf("evidence %+v", mem.evidence)
	}
}

func sqliteOpen(t *testing.T) func() *sqldb.DB {
	path := dbtest.SQLitePath(t)
	return func() *sqldb.DB {
		db, err := sqldb.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}
