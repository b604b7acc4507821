package biometric_test

import (
	"crypto/rand"
	"fmt"
	"strings"

	"trustbank/einvoice/biometric"
)

// The app reads the ID-photo and live-face feature vectors, matches them,
// derives b_i with Gen at registration and gets it back with Rep later.
func Example() {
	idPhoto := face(0.02)
	live := face(0.05)
	later := face(0.07)
	if _, ok := biometric.Match(idPhoto, live); !ok {
		fmt.Println("face does not match the ID photo")
		return
	}
	b, helper, err := biometric.Gen(rand.Reader, live)
	if err != nil {
		panic(err)
	}
	again, err := biometric.Rep(later, helper)
	fmt.Println(err == nil && again == b)

	_, err = biometric.Rep(face(-1), helper)
	fmt.Println(err)
	// Output:
	// true
	// biometric: face does not match the enrolled template
}

// face makes a feature-vector file of one synthetic person (shifted by d)
// and reads it back; d < 0 gives someone else.
func face(d float64) biometric.Template {
	var sb strings.Builder
	for i := range biometric.Dim {
		v := float64((i*37)%11) - 5 + d*float64(i%3)
		if d < 0 {
			v = float64((i*53)%13) - 6
		}
		fmt.Fprintf(&sb, "%g\n", v)
	}
	t, err := biometric.ReadTemplate(strings.NewReader(sb.String()))
	if err != nil {
		panic(err)
	}
	return t
}
