package ecash

import (
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// storeForBench opens a SQLite store with one merchant account and enough
// float for b.N deposits of 1.
func storeForBench(b *testing.B) *SQLStore {
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(b))
	must(b, err)
	b.Cleanup(func() { db.Close() })
	s, err := NewSQLStore(ctx, db)
	must(b, err)
	b.Cleanup(s.Close)
	must(b, s.OpenAccount(ctx, Account{Bank: "b", ID: "m", Owner: "m", Key: make([]byte, 32), Balance: 0}))
	_, err = db.Exec(`UPDATE ecash_float SET amount = 1000000000 WHERE id = 1`)
	must(b, err)
	return s
}

func syntheticDeposit() Deposit {
	d := Deposit{Bank: "b", Account: "m", Amount: 1, Payment: make([]byte, 900), At: time.Now()}
	rand.Read(d.RequestID[:])
	var c SpentCoin
	rand.Read(c.Serial[:])
	d.Coins = []SpentCoin{c}
	return d
}

// BenchmarkStoreDeposit is the durable commit of one deposit (SQLite,
// synchronous=FULL), one at a time: the latency a deposit adds to its crypto.
func BenchmarkStoreDeposit(b *testing.B) {
	s := storeForBench(b)
	for b.Loop() {
		if _, err := s.Deposit(ctx, syntheticDeposit()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreDepositConcurrent: 32 depositors share group commits.
func BenchmarkStoreDepositConcurrent(b *testing.B) {
	s := storeForBench(b)
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/32 + 1
	for range 32 {
		wg.Go(func() {
			for range per {
				if _, err := s.Deposit(ctx, syntheticDeposit()); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
