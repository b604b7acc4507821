package ecashhttp_test

import (
	"encoding/base64"
	"time"

	"trustbank/ecash"
	"trustbank/internal/node"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func timeNow() time.Time { return time.Now() }

// testSchedule is the default schedule with denominations 1 to 2^12 and no
// lookahead: fewer RSA keys to make per test.
func testSchedule() ecash.Schedule {
	s := node.DefaultSchedule()
	s.Denoms, s.Lookahead = s.Denoms[:13], 0
	return s
}
