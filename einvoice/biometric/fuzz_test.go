package biometric

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"trustbank/internal/fuzzcorpus"
)

func FuzzHelper(f *testing.F) {
	face := population(1, mustOptions(f, EvalOptions{Persons: 2}))[0].live[0]
	_, h, err := GenParams(testRand(1), face, Params{N: 20, K: 16, Repeat: 1})
	if err != nil {
		f.Fatal(err)
	}
	enc, _ := h.MarshalBinary()
	fuzzcorpus.RoundTripCheck(f, func() *Helper { return new(Helper) }, func(t *testing.T, h *Helper, b []byte) {
		if _, err := Rep(face, h); err == nil && !bytes.Equal(b, enc) {
			t.Fatal("a helper other than the seed opened")
		}
	}, enc)
}

func FuzzReadTemplate(f *testing.F) {
	vals := make([]string, Dim)
	for i := range vals {
		vals[i] = fmt.Sprintf("%.4f", float64(i%5)/10-0.2)
	}
	fuzzcorpus.Seed(f,
		[][]byte{[]byte("[" + strings.Join(vals, ",") + "]")},
		[][]byte{[]byte(strings.Join(vals, "\n"))},
		[][]byte{[]byte("[1,2,NaN]")},
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		tpl, err := ReadTemplate(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := tpl.Validate(); err != nil {
			t.Fatalf("accepted an invalid template: %v", err)
		}
	})
}
