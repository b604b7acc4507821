package invoice

import (
	"math/rand/v2"
	"testing"
)

// TestEncodedLen checks encodedLen is exactly the encoding's length on
// random invoices (it sizes the buffer; a short count would only cost a
// regrowth, so this test is what keeps it exact).
func TestEncodedLen(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		inv := randomInvoice(r)
		if err := inv.Compute(); err != nil {
			t.Fatal(err)
		}
		b, err := inv.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if got := inv.encodedLen(); got != len(b) || cap(b) != len(b) {
			t.Fatalf("encodedLen %d, encoding %d bytes (cap %d)", got, len(b), cap(b))
		}
	}
}
