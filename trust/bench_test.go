package trust

import (
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

func benchWorld(b *testing.B) *world {
	return newWorld(b, func() *sqldb.DB {
		db, err := sqldb.OpenSQLite(dbtest.SQLitePath(b))
		must(b, err)
		b.Cleanup(func() { db.Close() })
		return db
	})
}

// BenchmarkAuthenticate: the service's side of one authentication (the
// client's signatures are made outside the timer).
func BenchmarkAuthenticate(b *testing.B) {
	w := benchWorld(b)
	c := w.user("alice")
	for b.Loop() {
		b.StopTimer()
		a := w.answer(c, w.svc)
		b.StartTimer()
		if _, err := w.svc.Authenticate(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnswer: the client's group signature on a challenge.
func BenchmarkAnswer(b *testing.B) {
	w := benchWorld(b)
	c := w.user("alice")
	ch, _ := w.svc.Challenge()
	for b.Loop() {
		if _, err := c.Answer(ch, w.clock.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFeedback: one report through the provider (open, update,
// durable record), one at a time.
func BenchmarkFeedback(b *testing.B) {
	w := benchWorld(b)
	c := w.user("alice")
	for b.Loop() {
		b.StopTimer()
		sr := w.report(c, 0.45)
		b.StartTimer()
		if _, err := w.p.Feedback(ctx, sr); err != nil {
			b.Fatal(err)
		}
	}
}
