package dudect

import (
	"math"
	"testing"
)

// The statistic itself, without timing anything: two classes one standard
// deviation apart give a large |t|, identical classes give t = 0, and a
// shift hidden under a slow tail is found by cropping.
func TestWelchSeesAShift(t *testing.T) {
	class := make([]byte, 2000)
	times := make([]float64, len(class))
	for i := range class {
		class[i] = byte(i % 2)
		times[i] = float64(i%7) + 3*float64(class[i]) // sd of i%7 is 2
	}
	if tv := Welch(class, times, math.Inf(1)); math.Abs(tv) < 20 {
		t.Fatalf("shifted classes: t = %.2f", tv)
	}
	for i := range times {
		times[i] = float64((i / 2) % 7)
	}
	if tv := Welch(class, times, math.Inf(1)); tv != 0 {
		t.Fatalf("identical classes: t = %.2f", tv)
	}
	if r := Judge(class, times); r.T != 0 || len(r.All) != 11 {
		t.Fatalf("identical classes judged %+v", r)
	}
	// A small shift in class 1 drowned by huge outliers in class 0.
	for i := range times {
		times[i] = float64((i/2)%7) + 0.5*float64(class[i])
		if i%50 == 0 {
			times[i] = 1e6
		}
	}
	if r := Judge(class, times); r.T < Threshold || r.Crop == "uncropped" {
		t.Fatalf("a shift under a slow tail: %+v", r)
	}
}
