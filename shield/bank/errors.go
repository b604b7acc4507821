package bank

import (
	"errors"

	"trustbank/internal/money"
)

// Errors. Callers test with errors.Is; messages carry the details.
var (
	ErrMalformed           = errors.New("bank: malformed message")
	ErrBadSignature        = errors.New("bank: signature does not verify")
	ErrBadCredentials      = errors.New("bank: account or password wrong")
	ErrUnknownAccount      = errors.New("bank: no such account")
	ErrAccountExists       = errors.New("bank: account already exists")
	ErrCodeInvalid         = errors.New("bank: authorization code unknown, used or expired")
	ErrCertificate         = errors.New("bank: certificate refused")
	ErrRevoked             = errors.New("bank: certificate revoked")
	ErrNotEnrolled         = errors.New("bank: account has no bound certificate")
	ErrEnrollment          = errors.New("bank: no pending enrollment with this id")
	ErrChallenge           = errors.New("bank: login challenge unknown or expired")
	ErrChallengeUsed       = errors.New("bank: login challenge already used")
	ErrSession             = errors.New("bank: session unknown, expired or of another account")
	ErrOrder               = errors.New("bank: order unknown or expired")
	ErrOrderMismatch       = errors.New("bank: order does not match what was submitted")
	ErrNonceUsed           = errors.New("bank: order nonce already used by another confirmation")
	ErrRequestReused       = errors.New("bank: request id already used for a different transfer")
	ErrCertificateRequired = errors.New("bank: daily non-counter total would exceed 50,000 CNY: certificate signing required")
	ErrInsufficientFunds   = errors.New("bank: insufficient funds")
	ErrSameAccount         = errors.New("bank: payer and payee are the same account")
	ErrPIN                 = errors.New("bank: PIN refused by the card")
	ErrBusy                = errors.New("bank: too many outstanding challenges or orders, try again later")
	ErrRateLimited         = errors.New("bank: this client has too many outstanding challenges or orders: use them or let them expire first")
	// ErrAmountRange is money.ErrRange: an amount, a balance or a daily
	// total would leave its range.
	ErrAmountRange = money.ErrRange
)
