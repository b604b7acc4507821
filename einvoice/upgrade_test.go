package einvoice

import (
	"bytes"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// migrateV1 applies only the first migration (the store of the previous
// release: whole JSON documents, replay cache keyed by scope and tag).
func migrateV1(t *testing.T, db *sqldb.DB) {
	v1 := fstest.MapFS{}
	for _, d := range []string{"sqlite", "postgres"} {
		b, err := fs.ReadFile(migrations, "migrations/"+d+"/0001_einvoice.sql")
		must(t, err)
		v1[d+"/0001_einvoice.sql"] = &fstest.MapFile{Data: b}
	}
	must(t, sqldb.Migrate(ctx, db, "einvoice", v1))
}

// TestUpgrade: rows a node of schema 1 left (a replay-cache entry, an
// invoice stored as JSON, its session) still count after migration 0002:
// the MAC is still a replay, the invoice reads back as it was, the
// session confirms it.
func TestUpgrade(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		db := open()
		migrateV1(t, db)
		now := time.Unix(1_800_000_000, 0)
		number := "26000000000000000042"
		doc := testDoc(number, "o-old")
		sid := [SessionLen]byte{7}
		mac := [MACLen]byte{8}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO einv_buyers (tag, current_id, pending_id) VALUES (?, ?, NULL)`, []any{[]byte("alice"), tg("A0")}},
			// The system's window was the default: expires = t + 120 s + 1 s.
			{`INSERT INTO einv_replay (scope, tag, expires) VALUES (?, ?, ?)`, []any{"S_i", []byte("old-mac"), now.Unix() + 121}},
			{`INSERT INTO einv_invoices (number, seller_sid, order_no, buyer_tag, signed, state, created) VALUES (?, ?, ?, ?, ?, 1, ?)`,
				[]any{number, testSID, "o-old", []byte("alice"), doc.JSON(), now.Unix()}},
			{`INSERT INTO einv_sessions (sid, number, confirm_mac, confirmed, created) VALUES (?, ?, ?, 0, ?)`, []any{sid[:], number, mac[:], now.Unix()}},
		} {
			if _, err := db.ExecContext(ctx, db.Rebind(q.sql), q.args...); err != nil {
				t.Fatal(err)
			}
		}
		s, err := NewSQLStore(ctx, db)
		must(t, err)
		t.Cleanup(s.Close)
		is := issuance(50, "alice", "A0", "A1", "o-new", now)
		is.Seen = seenAt("S_i", "old-mac", now)
		if _, err := s.Issue(ctx, is); !errors.Is(err, ErrReplay) {
			t.Fatalf("a MAC of the old replay cache: %v", err)
		}
		inv, err := s.InvoiceFor(ctx, SID([]byte(testSID)), "o-old")
		if err != nil || !bytes.Equal(inv.Signed.JSON(), doc.JSON()) || inv.State != StateIssued {
			t.Fatalf("old invoice: %+v %v", inv, err)
		}
		if _, err := s.Confirm(ctx, sid, mac); err != nil {
			t.Fatalf("old session: %v", err)
		}
		if un, err := s.Unnotified(ctx); err != nil || len(un) != 1 || un[0].Number != number {
			t.Fatalf("unnotified after upgrade: %+v %v", un, err)
		}
		// New rows live next to the old ones.
		_, err = s.Issue(ctx, issuance(51, "alice", "A0", "A1", "o-new", now))
		must(t, err)
		if n, err := s.Prune(ctx, now.Add(time.Second)); err != nil || n != 2 {
			t.Fatalf("prune after upgrade: %d %v", n, err)
		}
	})
}
