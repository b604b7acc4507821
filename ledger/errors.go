package ledger

import (
	"errors"

	"trustbank/internal/money"
	"trustbank/internal/wire"
)

// Errors a caller can test with errors.Is. Every refusal leaves the book
// unchanged.
var (
	// ErrMalformed: a message does not decode (wraps wire.ErrMalformed).
	ErrMalformed = wire.ErrMalformed
	// ErrBadSignature: a field, submission, notice or checkpoint signature
	// does not verify.
	ErrBadSignature = errors.New("ledger: bad signature")
	// ErrUnknownAccount: the bank has no such account.
	ErrUnknownAccount = errors.New("ledger: unknown account")
	// ErrAccountExists: OpenAccount of a name already taken.
	ErrAccountExists = errors.New("ledger: account already exists")
	// ErrNotPayee: the money was submitted by someone other than its payee.
	ErrNotPayee = errors.New("ledger: money submitted by someone other than its payee")
	// ErrReplayed: this money (payer, time) is already booked or in flight.
	ErrReplayed = errors.New("ledger: money already booked")
	// ErrAmountRange: an amount above MaxAmount, an opening balance above
	// MaxBalance, a payee's balance that would pass MaxBalance, or openings
	// that would take the money paid in to the book past money.MaxSupply.
	// It is money.ErrRange, the same value as ecash.ErrAmountRange.
	ErrAmountRange = money.ErrRange
	// ErrInsufficientFunds: the payer's balance is below the amount.
	ErrInsufficientFunds = errors.New("ledger: insufficient funds")
	// ErrExpired: the money is older than the bank accepts, or from the future.
	ErrExpired = errors.New("ledger: money outside its validity window")
	// ErrCurrency: the money's currency is not the book's.
	ErrCurrency = errors.New("ledger: wrong currency")
	// ErrBalanceKey: a balance ciphertext does not open with the key given.
	ErrBalanceKey = errors.New("ledger: balance does not decrypt with this key")
	// ErrNotFound: no entry at that index.
	ErrNotFound = errors.New("ledger: no such entry")
	// ErrProof: an inclusion or consistency proof does not verify.
	ErrProof = errors.New("ledger: proof does not verify")
	// ErrRollback: a log presents a checkpoint smaller than one it signed
	// before (a database restored from an older copy); see SplitViewError.
	ErrRollback = errors.New("ledger: log rolled back")
	// ErrFork: two checkpoints the bank signed that no single append-only
	// log can have: the same size with different roots, or a consistency
	// proof between them that fails (a split view); see SplitViewError.
	ErrFork = errors.New("ledger: log forked")
	// ErrNotCosigned: a checkpoint lacks the cosignature of a witness the
	// client requires.
	ErrNotCosigned = errors.New("ledger: checkpoint not cosigned by a required witness")
	// ErrNoSM2Key: a balance notice is SM2-encrypted to the payer's key, and
	// this payer (an SM9 account) has none.
	ErrNoSM2Key = errors.New("ledger: balance notices are encrypted to an SM2 account key, and this account has none")
	// ErrRestoreConflict: Recover found a recovered entry's money already
	// booked under another index (or its row in the way); nothing was
	// restored and the book is exactly as it was.
	ErrRestoreConflict = errors.New("ledger: recovered entry conflicts with the book")
	// ErrClosed: the bank is shut down.
	ErrClosed = errors.New("ledger: bank closed")
)
