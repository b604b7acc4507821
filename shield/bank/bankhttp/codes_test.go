package bankhttp

import (
	"testing"

	"trustbank/shield/bank"
)

// The error table: every code maps back to its sentinel, and every
// status is a 4xx.
func TestCodesRoundTrip(t *testing.T) {
	for _, c := range codes {
		if c.Status < 400 || c.Status > 499 {
			t.Errorf("%s: status %d", c.Code, c.Status)
		}
		if got := codes.Sentinel(c.Code); got == nil {
			t.Errorf("%s maps back to nothing", c.Code)
		}
	}
	for _, err := range []error{bank.ErrMalformed, bank.ErrBadSignature, bank.ErrBadCredentials, bank.ErrUnknownAccount,
		bank.ErrAccountExists, bank.ErrCodeInvalid, bank.ErrCertificate, bank.ErrRevoked, bank.ErrNotEnrolled,
		bank.ErrEnrollment, bank.ErrChallenge, bank.ErrChallengeUsed, bank.ErrSession, bank.ErrOrder,
		bank.ErrOrderMismatch, bank.ErrNonceUsed, bank.ErrRequestReused, bank.ErrCertificateRequired,
		bank.ErrInsufficientFunds, bank.ErrSameAccount, bank.ErrPIN, bank.ErrAmountRange, bank.ErrBusy, bank.ErrRateLimited} {
		code, status := codes.Classify(err)
		if status/100 != 4 || codes.Sentinel(code) != err {
			t.Errorf("%v: %s %d does not round-trip", err, code, status)
		}
	}
}
