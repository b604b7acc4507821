package sim

// Profiles of true trust over the transactions of one user.

// Constant is a user whose true trust is v for n transactions.
func Constant(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// Steps is scenario 2(a): the true trust changes every 10 transactions,
// through 1, 0, 0.5, 0.8, 0.2 (50 transactions).
func Steps() []float64 {
	var out []float64
	for _, v := range []float64{1, 0, 0.5, 0.8, 0.2} {
		out = append(out, Constant(v, 10)...)
	}
	return out
}

// Rise is scenario 2(b): the true trust rises evenly from 0 to 1 over n
// transactions; Fall is 2(c), from 1 to 0.
func Rise(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i) / float64(n-1)
	}
	return out
}

// Fall is scenario 2(c).
func Fall(n int) []float64 {
	out := Rise(n)
	for i := range out {
		out[i] = 1 - out[i]
	}
	return out
}

// OnOff is an on-off attacker: true trust 1 for k transactions, then 0 for
// one, repeated over n transactions.
func OnOff(k, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if i%(k+1) != k {
			out[i] = 1
		}
	}
	return out
}

// Turncoat is a user honest (1) for good transactions who then turns
// malicious (0) for n − good.
func Turncoat(good, n int) []float64 {
	out := Constant(0, n)
	copy(out, Constant(1, good))
	return out
}
