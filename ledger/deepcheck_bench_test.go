package ledger

import "testing"

// BenchmarkCheckDeep deep-checks a real book of 512 entries (seven SM2
// verifications an entry); ns/op divided by 512 is the cost of an entry.
func BenchmarkCheckDeep(b *testing.B) {
	bk := newBook(b, sqliteOpen(b), SM2)
	const n = 512
	names := []string{"alice", "bob", "carol"}
	for i := range n {
		bk.mustPay(names[i%3], names[(i+1)%3], 1, "bench")
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := CheckStoreDeep(bk.ctx, bk.store, bk.bank.Verifier(), nil, DeepOptions{})
		if err != nil || !rep.OK() || rep.Size != n {
			b.Fatalf("%v %v", rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}
