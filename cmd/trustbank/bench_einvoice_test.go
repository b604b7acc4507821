package main

import (
	"context"
	"testing"
)

// BenchmarkEinvoiceSession runs whole sessions the way `trustbank bench
// einvoice` does: einvClients buyers in flight against one tax-only node
// and one seller, SQLite with group commit. Its -benchmem, -cpuprofile
// and -memprofile show where a session spends its CPU and allocations.
func BenchmarkEinvoiceSession(b *testing.B) {
	eb, err := newEinvBench(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer eb.close()
	if err := eb.prepare(b.N); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism((einvClients + 1) / 2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := eb.op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
