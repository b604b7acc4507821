package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"trustbank/internal/sqldb"
	"trustbank/ledger"
)

func TestNextClose(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for name, c := range map[string]struct {
		now  string
		at   time.Duration
		want string
	}{
		"ok/later-today":  {"2026-03-01T10:00:00Z", 23*time.Hour + 30*time.Minute, "2026-03-01T23:30:00Z"},
		"ok/tomorrow":     {"2026-03-01T10:00:00Z", 0, "2026-03-02T00:00:00Z"},
		"ok/now":          {"2026-03-01T00:00:00Z", 0, "2026-03-01T00:00:00Z"},
		"ok/month-end":    {"2026-02-28T12:00:00Z", time.Hour, "2026-03-01T01:00:00Z"},
		"ok/other-zone":   {"2026-03-01T01:00:00+08:00", 0, "2026-03-01T00:00:00Z"}, // 17:00 UTC the day before
		"ok/just-passed":  {"2026-03-01T00:00:01Z", 0, "2026-03-02T00:00:00Z"},
		"ok/noon-on-time": {"2026-03-01T11:59:59Z", 12 * time.Hour, "2026-03-01T12:00:00Z"},
	} {
		if got := nextClose(at(c.now), c.at); !got.Equal(at(c.want)) {
			t.Errorf("%s: next close %v, want %s", name, got, c.want)
		}
	}
}

func TestLedgerScheduleValidate(t *testing.T) {
	for in, want := range map[string]time.Duration{"00:00": 0, "23:59": 23*time.Hour + 59*time.Minute, "07:05": 7*time.Hour + 5*time.Minute} {
		s := ledgerSchedule{CloseAt: in}
		if err := s.validate(); err != nil || s.closeAt != want {
			t.Errorf("%q: %v %v", in, s.closeAt, err)
		}
	}
	for _, bad := range []string{"24:00", "7pm", "12:60", "1200"} {
		s := ledgerSchedule{CloseAt: bad}
		if err := s.validate(); !errors.Is(err, errUsage) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	if err := (&ledgerSchedule{CheckEvery: -time.Second}).validate(); !errors.Is(err, errUsage) {
		t.Errorf("negative --check-every accepted: %v", err)
	}
}

// TestScheduledClose: serve's close signs a closing for a whole book, and
// for a changed one logs the faults and stops booking.
func TestScheduledClose(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.OpenSQLite(filepath.Join(t.TempDir(), "book.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := ledger.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := ledger.GenerateKeys(ledger.SM2)
	bank, err := ledger.Open(ctx, ledger.Config{Name: "bank-a"}, keys, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()
	acct := map[string]*ledger.Account{}
	for _, name := range []string{"alice", "bob"} {
		s, _ := ledger.GenerateSM2()
		tmpl, err := bank.OpenAccount(ctx, name, s.PublicKey(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		acct[name] = ledger.NewAccount(tmpl, s)
	}
	pay := func(i int) error {
		m, _ := acct["alice"].Money("bob", 10, "rent", time.Now().Add(time.Duration(i)*time.Millisecond))
		s, _ := acct["bob"].Submit(m)
		_, err := bank.Submit(ctx, s)
		return err
	}
	for i := range 3 {
		if err := pay(i); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	closeBook(ctx, bank, log)
	if cl, err := bank.Closings(ctx); err != nil || len(cl) != 1 || cl[0].Size != 3 || !strings.Contains(out.String(), `"msg":"ledger closed"`) {
		t.Fatalf("close of a whole book: %v %v; log %s", cl, err, out.String())
	}
	if _, err := db.ExecContext(ctx, db.Rebind("UPDATE ledger_entries SET money = entry WHERE idx = ?"), 2); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	fastCheck(ctx, bank, log)
	if out.Len() != 0 {
		t.Fatalf("the fast check saw the changed money: %s", out.String())
	}
	closeBook(ctx, bank, log)
	if !strings.Contains(out.String(), "ledger close refused") || !strings.Contains(out.String(), "entry 2: decode") {
		t.Fatalf("log of a refused close: %s", out.String())
	}
	if cl, _ := bank.Closings(ctx); len(cl) != 1 {
		t.Fatalf("a changed book was closed: %d closings", len(cl))
	}
	if err := pay(9); !errors.Is(err, ledger.ErrBookBroken) {
		t.Fatalf("booking after a refused close: %v", err)
	}
}
