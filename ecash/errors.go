package ecash

import (
	"errors"

	"trustbank/internal/money"
)

// Errors. Callers test with errors.Is; messages carry the details.
var (
	ErrMalformed         = errors.New("ecash: malformed message")
	ErrBadSignature      = errors.New("ecash: signature does not verify")
	ErrUnknownKey        = errors.New("ecash: no module key for this denomination and epoch")
	ErrExpired           = errors.New("ecash: coin or key outside its validity window")
	ErrDoubleSpend       = errors.New("ecash: coin already spent")
	ErrInsufficientFunds = errors.New("ecash: insufficient funds")
	ErrUnknownAccount    = errors.New("ecash: no such account")
	ErrAccountExists     = errors.New("ecash: account already exists")
	ErrRequestReused     = errors.New("ecash: request id already used for a different request")
	ErrAttestation       = errors.New("ecash: platform attestation refused")
	ErrBinding           = errors.New("ecash: coin-key signature missing or invalid")
	ErrChallenge         = errors.New("ecash: payment does not answer this challenge")
	ErrNotMember         = errors.New("ecash: group signature does not verify under the group key")
	ErrUnknownUser       = errors.New("ecash: user not registered")
	ErrUserEpoch         = errors.New("ecash: coins must escrow the user group's current epoch; update the user key")
	ErrUserRevoked       = errors.New("ecash: user revoked")
	// ErrAmountRange: an amount, a balance, the money paid in or a
	// clearing position would leave its range (MaxAmount, MaxBalance,
	// money.MaxSupply, money.MaxPosition). It is money.ErrRange, so callers
	// of either package test for the same value.
	ErrAmountRange = money.ErrRange
)
