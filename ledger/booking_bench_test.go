package ledger

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkBooking books pre-signed submissions from 32 payers to 32
// payees, 512 in flight; the signing is untimed. cpu-ns/op is the CPU
// time of the whole process per booking.
func BenchmarkBooking(b *testing.B) {
	bk := newBook(b, sqliteOpen(b), SM2)
	var payers, payees []*Account
	for i := range 32 {
		for _, list := range []*[]*Account{&payers, &payees} {
			s, _ := GenerateSM2()
			name := fmt.Sprintf("a%d-%d", len(*list), i)
			if list == &payees {
				name = "p" + name
			}
			t, err := bk.bank.OpenAccount(bk.ctx, name, s.PublicKey(), 1<<40)
			if err != nil {
				b.Fatal(err)
			}
			*list = append(*list, NewAccount(t, s))
		}
	}
	// Money made after the bank's start (plus the allowed skew) is checked
	// for replays in memory: the steady state.
	bk.now = bk.now.Add(5 * time.Minute)
	subs := make([]*Submission, b.N)
	for i := range subs {
		m, _ := payers[i%32].Money(payees[(i/32)%32].Name(), 1, "bench", bk.now)
		subs[i], _ = payees[(i/32)%32].Submit(m)
	}
	var next atomic.Int64
	b.SetParallelism(256)
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op") }()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bk.bank.Submit(bk.ctx, subs[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
