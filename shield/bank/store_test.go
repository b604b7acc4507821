package bank

import (
	"errors"
	"strings"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// TestStore is the shared store suite: the Store contract, run on every
// backend (SQLite, PostgreSQL).
func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		newStore := func() Store {
			s, err := NewSQLStore(ctx, open())
			must(t, err)
			t.Cleanup(s.Close)
			return s
		}
		RunStoreSuite(t, newStore)
	})
}

// RunStoreSuite checks a Store; newStore returns a new handle on the same
// (initially empty) database each time, so the suite can check what
// survives a restart.
func RunStoreSuite(t *testing.T, newStore func() Store) {
	s := newStore()
	now := time.Now()
	for _, a := range []Account{{ID: "a", Owner: "A", IDCard: "11010519491231002X", PasswordSalt: []byte{1}, PasswordHash: []byte{2}, Balance: 1000},
		{ID: "b", Owner: "B", PasswordSalt: []byte{1}, PasswordHash: []byte{2}}} {
		must(t, s.OpenAccount(ctx, a))
	}
	t.Run("accounts", func(t *testing.T) {
		if err := s.OpenAccount(ctx, Account{ID: "a", PasswordSalt: []byte{}, PasswordHash: []byte{}}); !errors.Is(err, ErrAccountExists) {
			t.Fatalf("duplicate: %v", err)
		}
		if err := s.OpenAccount(ctx, Account{ID: "big", PasswordSalt: []byte{}, PasswordHash: []byte{}, Balance: 1 << 53}); !errors.Is(err, ErrAmountRange) {
			t.Fatalf("balance over MaxBalance: %v", err)
		}
		if _, err := s.Account(ctx, "nobody"); !errors.Is(err, ErrUnknownAccount) {
			t.Fatalf("unknown: %v", err)
		}
		for id, want := range map[string]string{"a": "11010519491231002X", "b": ""} {
			a, err := newStore().Account(ctx, id)
			if err != nil || a.IDCard != want || a.Owner != strings.ToUpper(id) {
				t.Fatalf("account %s: %+v, %v; want ID number %q", id, a, err, want)
			}
		}
	})
	t.Run("enrollment", func(t *testing.T) {
		code := sm3Sum([]byte("code"))
		if err := s.AddAuthCode(ctx, AuthCode{Hash: code, Account: "nobody", Expires: now.Add(time.Hour)}); !errors.Is(err, ErrUnknownAccount) {
			t.Fatalf("code for no account: %v", err)
		}
		must(t, s.AddAuthCode(ctx, AuthCode{Hash: code, Account: "a", Expires: now.Add(time.Hour)}))
		must(t, s.AuthCodeValid(ctx, code, "a", now))
		if err := s.AuthCodeValid(ctx, code, "b", now); !errors.Is(err, ErrCodeInvalid) {
			t.Fatalf("another account's code: %v", err)
		}
		e := Enrollment{ID: newID(), Account: "a", Cert: []byte("cert"), P7: []byte("p7"), At: now}
		if err := s.BeginEnrollment(ctx, code, now.Add(2*time.Hour), e); !errors.Is(err, ErrCodeInvalid) {
			t.Fatalf("expired code: %v", err)
		}
		must(t, s.BeginEnrollment(ctx, code, now, e))
		if err := s.BeginEnrollment(ctx, code, now, Enrollment{ID: newID(), Account: "a", Cert: []byte{}, P7: []byte{}}); !errors.Is(err, ErrCodeInvalid) {
			t.Fatalf("used code: %v", err)
		}
		s = newStore()
		got, err := s.Enrollment(ctx, e.ID)
		must(t, err)
		if got.State != StatePending || string(got.Cert) != "cert" {
			t.Fatalf("enrollment %+v", got)
		}
		must(t, s.FinishEnrollment(ctx, e.ID, StateBound))
		if err := s.FinishEnrollment(ctx, e.ID, StateFailed); !errors.Is(err, ErrEnrollment) {
			t.Fatalf("second transition: %v", err)
		}
		a, err := s.Account(ctx, "a")
		must(t, err)
		if string(a.Cert) != "cert" {
			t.Fatal("certificate not bound")
		}
		// A retry of the binding succeeds and changes nothing.
		must(t, s.FinishEnrollment(ctx, e.ID, StateBound))
		if got, err := s.Enrollment(ctx, e.ID); err != nil || got.State != StateBound {
			t.Fatalf("after a retried binding: %+v, %v", got, err)
		}
	})
	t.Run("binding at login", func(t *testing.T) { loginBindingSuite(t, newStore(), now) })
	t.Run("challenges", func(t *testing.T) {
		c := Challenge{ID: newID(), Account: "a", Encoding: []byte("ch"), Expires: now.Add(time.Minute)}
		ses := SessionRecord{TokenHash: sm3Sum([]byte("t1")), Account: "a", Level: LevelCertificate, Expires: now.Add(time.Hour)}
		if err := s.UseChallenge(ctx, c, now.Add(2*time.Minute), ses); !errors.Is(err, ErrChallenge) {
			t.Fatalf("expired: %v", err)
		}
		if _, err := s.Challenge(ctx, c.ID); !errors.Is(err, ErrChallenge) {
			t.Fatalf("an unused challenge is recorded: %v", err)
		}
		must(t, s.UseChallenge(ctx, c, now, ses))
		s = newStore()
		if got, err := s.Challenge(ctx, c.ID); err != nil || string(got.Encoding) != "ch" || got.Account != "a" {
			t.Fatalf("used challenge after restart: %+v, %v", got, err)
		}
		ses.TokenHash = sm3Sum([]byte("t2"))
		if err := s.UseChallenge(ctx, c, now, ses); !errors.Is(err, ErrChallengeUsed) {
			t.Fatalf("reused after restart: %v", err)
		}
		if _, err := s.Session(ctx, ses.TokenHash); !errors.Is(err, ErrSession) {
			t.Fatal("a refused use stored its session")
		}
		got, err := s.Session(ctx, sm3Sum([]byte("t1")))
		must(t, err)
		if got.Account != "a" || got.Level != LevelCertificate {
			t.Fatalf("session %+v", got)
		}
	})
	t.Run("transfers", func(t *testing.T) {
		o := OrderRecord{ID: newID(), Account: "a", Encoding: []byte("order"), Expires: now.Add(time.Minute)}
		if _, err := s.Order(ctx, o.ID); !errors.Is(err, ErrOrder) {
			t.Fatalf("an unconfirmed order is recorded: %v", err)
		}
		tr := Transfer{ID: o.ID, RequestHash: sm3Sum([]byte("c1")), Order: &o,
			Payment: Payment{Account: "a", Payee: "b", Amount: 300}, Level: LevelCertificate, At: now}
		first, err := s.Transfer(ctx, tr)
		must(t, err)
		s = newStore()
		if got, err := s.Order(ctx, o.ID); err != nil || string(got.Encoding) != "order" {
			t.Fatalf("used order after restart: %+v, %v", got, err)
		}
		again, err := s.Transfer(ctx, tr)
		must(t, err)
		if again != first {
			t.Fatalf("retry: %+v vs %+v", again, first)
		}
		tr.RequestHash = sm3Sum([]byte("c2"))
		if _, err := s.Transfer(ctx, tr); !errors.Is(err, ErrNonceUsed) {
			t.Fatalf("nonce reused: %v", err)
		}
		late := OrderRecord{ID: newID(), Account: "a", Encoding: []byte("o"), Expires: now.Add(time.Minute)}
		tr.ID, tr.Order, tr.At = late.ID, &late, now.Add(time.Hour)
		if _, err := s.Transfer(ctx, tr); !errors.Is(err, ErrOrder) {
			t.Fatalf("expired order: %v", err)
		}
		other := OrderRecord{ID: newID(), Account: "b", Encoding: []byte("o"), Expires: now.Add(time.Minute)}
		tr.ID, tr.Order, tr.At = other.ID, &other, now
		if _, err := s.Transfer(ctx, tr); !errors.Is(err, ErrOrder) {
			t.Fatalf("another account's order: %v", err)
		}
		st := Transfer{ID: newID(), Payment: Payment{Account: "a", Payee: "b", Amount: 800}, Level: LevelPassword, At: now}
		if _, err := s.Transfer(ctx, st); !errors.Is(err, ErrInsufficientFunds) {
			t.Fatalf("overdraft: %v", err)
		}
		st.Payee = "nobody"
		st.Amount = 1
		if _, err := s.Transfer(ctx, st); !errors.Is(err, ErrUnknownAccount) {
			t.Fatalf("unknown payee: %v", err)
		}
		bal, paid, err := s.Totals(ctx)
		must(t, err)
		if bal != 1000 || paid != 1000 {
			t.Fatalf("totals %d %d", bal, paid)
		}
	})
}

// loginBindingSuite checks PendingEnrollments and UseChallengeBinding
// after the enrollment subtest bound "cert" to account a.
func loginBindingSuite(t *testing.T, s Store, now time.Time) {
	n := 0
	begin := func(account, cert string) Enrollment {
		n++
		code := sm3Sum([]byte(cert))
		must(t, s.AddAuthCode(ctx, AuthCode{Hash: code, Account: account, Expires: now.Add(time.Hour)}))
		e := Enrollment{ID: newID(), Account: account, Cert: []byte(cert), P7: []byte("p7"), At: now.Add(time.Duration(n) * time.Second)}
		must(t, s.BeginEnrollment(ctx, code, now, e))
		return e
	}
	login := func(e Enrollment) (Challenge, SessionRecord, error) {
		c := Challenge{ID: newID(), Account: "a", Encoding: []byte("ch"), Expires: now.Add(time.Minute)}
		ses := SessionRecord{TokenHash: sm3Sum(c.ID[:]), Account: "a", Level: LevelCertificate, Expires: now.Add(time.Hour)}
		return c, ses, s.UseChallengeBinding(ctx, c, now, ses, e.ID)
	}
	nothing := func(name string, c Challenge, ses SessionRecord, err error, wantCert string) {
		t.Helper()
		if !errors.Is(err, ErrEnrollment) {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := s.Challenge(ctx, c.ID); !errors.Is(err, ErrChallenge) {
			t.Fatalf("%s: the challenge was used: %v", name, err)
		}
		if _, err := s.Session(ctx, ses.TokenHash); !errors.Is(err, ErrSession) {
			t.Fatalf("%s: a session was stored", name)
		}
		if a, err := s.Account(ctx, "a"); err != nil || string(a.Cert) != wantCert {
			t.Fatalf("%s: a's certificate %q, %v", name, a.Cert, err)
		}
	}
	older, newer, bobs, failed := begin("a", "cert2"), begin("a", "cert3"), begin("b", "cert4"), begin("a", "cert5")
	must(t, s.FinishEnrollment(ctx, failed.ID, StateFailed))
	if es, err := s.PendingEnrollments(ctx, "a", 8); err != nil || len(es) != 2 || es[0].ID != newer.ID || es[1].ID != older.ID || string(es[0].Cert) != "cert3" {
		t.Fatalf("pending enrollments of a: %+v, %v", es, err)
	}
	if es, err := s.PendingEnrollments(ctx, "a", 1); err != nil || len(es) != 1 || es[0].ID != newer.ID {
		t.Fatalf("the newest pending enrollment of a: %+v, %v", es, err)
	}
	c, ses, err := login(bobs)
	nothing("another account's enrollment", c, ses, err, "cert")
	c, ses, err = login(failed)
	nothing("a failed enrollment", c, ses, err, "cert")
	c, ses, err = login(newer)
	must(t, err)
	if got, err := s.Session(ctx, ses.TokenHash); err != nil || got.Account != "a" {
		t.Fatalf("binding login's session: %+v, %v", got, err)
	}
	if e, err := s.Enrollment(ctx, newer.ID); err != nil || e.State != StateBound {
		t.Fatalf("bound at login: %+v, %v", e, err)
	}
	if err := s.UseChallengeBinding(ctx, c, now, SessionRecord{TokenHash: sm3Sum([]byte("x")), Account: "a", Level: LevelCertificate, Expires: now.Add(time.Hour)}, newer.ID); !errors.Is(err, ErrChallengeUsed) {
		t.Fatalf("binding login replayed: %v", err)
	}
	_, _, err = login(newer) // a concurrent login that found it pending too
	must(t, err)
	c, ses, err = login(Enrollment{ID: newID()})
	nothing("no such enrollment", c, ses, err, "cert3")
	must(t, s.FinishEnrollment(ctx, older.ID, StateBound)) // the older one's late confirmation replaces it
	c, ses, err = login(newer)
	nothing("a bound enrollment replaced since", c, ses, err, "cert2")
	if e, err := s.Enrollment(ctx, bobs.ID); err != nil || e.State != StatePending {
		t.Fatalf("bob's enrollment: %+v, %v", e, err)
	}
}
