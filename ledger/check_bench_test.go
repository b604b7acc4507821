package ledger

import "testing"

// BenchmarkCheck checks a synthetic book of 200k entries with valid chains.
func BenchmarkCheck(b *testing.B) {
	bk := newBook(b, sqliteOpen(b), SM2)
	const n = 200_000
	if err := BuildSyntheticBook(bk.ctx, bk.store, n); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := CheckStore(bk.ctx, bk.store)
		if err != nil || !rep.OK() || rep.Size != n {
			b.Fatalf("%v %v", rep, err)
		}
	}
}
