package score_test

import (
	"fmt"

	"trustbank/trust/score"
)

// A new user is served as "mediate"; good feedback moves the user up,
// and one report of malicious behaviour drops it by two tiers.
func Example() {
	s := score.New()
	fmt.Println(s.Tier())
	for _, tc := range []float64{0.95, 0.9, 1, 0.95, 1} {
		s, _ = score.Update(s, tc)
	}
	fmt.Printf("%.3f %v\n", s.T, s.Tier())
	s, _ = score.Update(s, 0)
	fmt.Printf("%.3f %v\n", s.T, s.Tier())
	// Output:
	// mediate
	// 0.860 perfect
	// 0.451 mediate
}
