package money

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestAdd(t *testing.T) {
	for name, c := range map[string]struct {
		balance, amount, want uint64
		err                   error
	}{
		"ok/zero":              {0, 0, 0, nil},
		"ok/to-the-limit":      {MaxBalance - 10, 10, MaxBalance, nil},
		"ok/amount-max":        {0, MaxAmount, MaxAmount, nil},
		"fail/one-over":        {MaxBalance - 10, 11, 0, ErrRange},
		"fail/amount-too-big":  {0, MaxAmount + 1, 0, ErrRange},
		"fail/wrap-around":     {math.MaxUint64 - 10, 64, 0, ErrRange},
		"fail/int64-wrap":      {math.MaxInt64 - 10, 64, 0, ErrRange},
		"fail/balance-too-big": {MaxBalance + 1, 0, 0, ErrRange},
	} {
		got, err := Add(c.balance, c.amount)
		if !errors.Is(err, c.err) || (err == nil && got != c.want) {
			t.Errorf("%s: Add(%d, %d) = %d, %v", name, c.balance, c.amount, got, err)
		}
		if err != nil && got != c.balance {
			t.Errorf("%s: a refused Add returned %d, not the balance", name, got)
		}
	}
}

func TestSub(t *testing.T) {
	if v, err := Sub[uint64](10, 10); v != 0 || err != nil {
		t.Fatalf("Sub(10, 10) = %d, %v", v, err)
	}
	if v, err := Sub[uint64](10, 11); !errors.Is(err, ErrInsufficient) || v != 10 {
		t.Fatalf("Sub(10, 11) = %d, %v", v, err)
	}
}

func TestAddSupply(t *testing.T) {
	if v, err := AddSupply(MaxSupply-MaxBalance, MaxBalance); v != MaxSupply || err != nil {
		t.Fatalf("to the limit: %d, %v", v, err)
	}
	if _, err := AddSupply(MaxSupply-MaxBalance+1, MaxBalance); !errors.Is(err, ErrRange) {
		t.Fatalf("one over the supply: %v", err)
	}
	if _, err := AddSupply[uint64](0, 1<<63); !errors.Is(err, ErrRange) {
		t.Fatalf("an opening of 2^63: %v", err)
	}
}

func TestChecks(t *testing.T) {
	type amount uint64 // the named types of ecash and ledger work too
	if CheckAmount(amount(MaxAmount)) != nil || CheckBalance(amount(MaxBalance)) != nil {
		t.Fatal("the maxima are refused")
	}
	if !errors.Is(CheckAmount(amount(MaxAmount+1)), ErrRange) || !errors.Is(CheckBalance(amount(1<<63)), ErrRange) {
		t.Fatal("out-of-range values are accepted")
	}
}

// Join is exact where int64 arithmetic would wrap on the way, and agrees
// with the split SQL makes of each value.
func TestJoin(t *testing.T) {
	split := func(vs []int64) (hi, lo int64) { // what SUM(v / 2^32), SUM(v % 2^32) compute
		for _, v := range vs {
			hi += v / (1 << SplitShift)
			lo += v % (1 << SplitShift)
		}
		return hi, lo
	}
	if v, err := Join(split([]int64{1 << 62, 1 << 62, -1 << 62, -(1 << 62), -7})); v != -7 || err != nil {
		t.Fatalf("join = %d, %v", v, err)
	}
	if _, err := Join(split([]int64{math.MaxInt64, 1})); !errors.Is(err, ErrRange) {
		t.Fatalf("a total above int64: %v", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		vs := make([]int64, r.IntN(20))
		var want big.Int
		for i := range vs {
			vs[i] = r.Int64() - r.Int64()
			want.Add(&want, big.NewInt(vs[i]))
		}
		got, err := Join(split(vs))
		if want.IsInt64() != (err == nil) || (err == nil && got != want.Int64()) {
			t.Fatalf("Join(split(%v)) = %d, %v; want %s", vs, got, err, want.String())
		}
	}
}

// Add against exact arithmetic on random values near the limits.
func TestAddProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	near := func() uint64 {
		switch r.IntN(3) {
		case 0:
			return MaxBalance - r.Uint64N(1<<20)
		case 1:
			return r.Uint64N(1 << 20)
		}
		return r.Uint64()
	}
	for range 10000 {
		a, b := near(), near()
		got, err := Add(a, b)
		exact := new(big.Int).Add(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
		ok := b <= MaxAmount && exact.Cmp(new(big.Int).SetUint64(MaxBalance)) <= 0
		if ok != (err == nil) || (ok && got != exact.Uint64()) {
			t.Fatalf("Add(%d, %d) = %d, %v", a, b, got, err)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	var v uint64
	for i := range b.N {
		v, _ = Add(v&(1<<40-1), uint64(i)&1023)
	}
}
