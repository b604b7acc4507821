package ecash

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// depositsForBench prepares n one-coin deposit requests on a SQLite system.
func depositsForBench(b *testing.B, n int) (*system, []*DepositRequest) {
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(b))
	must(b, err)
	b.Cleanup(func() { db.Close() })
	s := newSystem(b, db)
	b.Cleanup(s.store.Close)
	w := s.wallet(nil)
	m := s.merchant(s.shop)
	var out []*DepositRequest
	for len(out) < n {
		s.withdraw(w, 1+4)
		for _, v := range []Amount{1, 4} {
			p := s.pay(w, m, v)
			q, err := m.DepositRequest(p, s.shop.key)
			must(b, err)
			out = append(out, q)
		}
	}
	return s, out[:n]
}

func runParallel(b *testing.B, qs []*DepositRequest, op func(*DepositRequest) error) {
	cpu0, wall0 := cpuTime(), time.Now()
	defer func() {
		// CPU seconds per wall second while measuring: 2.0 is both cores busy.
		b.ReportMetric((cpuTime()-cpu0).Seconds()/time.Since(wall0).Seconds(), "cores")
	}()
	b.ResetTimer()
	var wg sync.WaitGroup
	next := make(chan *DepositRequest)
	for range 32 {
		wg.Go(func() {
			for q := range next {
				if err := op(q); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, q := range qs {
		next <- q
	}
	close(next)
	wg.Wait()
}

// BenchmarkDepositParallel: 32 deposits in flight, full path (verify and
// group-committed store).
func BenchmarkDepositParallel(b *testing.B) {
	s, qs := depositsForBench(b, b.N)
	runParallel(b, qs, func(q *DepositRequest) error {
		_, err := s.banks["bank-b"].Deposit(ctx, q)
		return err
	})
}

// BenchmarkCheckDepositParallel: the same, verification only.
func BenchmarkCheckDepositParallel(b *testing.B) {
	s, qs := depositsForBench(b, b.N)
	runParallel(b, qs, func(q *DepositRequest) error {
		_, err := s.banks["bank-b"].checkDeposit(ctx, q)
		return err
	})
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
