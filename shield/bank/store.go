package bank

import (
	"context"
	"fmt"
	"time"
)

// Account is a customer account.
type Account struct {
	ID           string
	Owner        string
	IDCard       string // the holder's resident ID number (GB 11643); "" for accounts opened before it was kept
	PasswordSalt []byte
	PasswordHash []byte // PBKDF2-SM3 of the password
	Balance      uint64 // fen
	Cert         []byte // the bound certificate (DER), nil before enrollment
}

// AuthCode is an operator-issued one-time authorization code for
// enrollment, kept as its SM3 hash.
type AuthCode struct {
	Hash    [32]byte
	Account string
	Expires time.Time
}

// EnrollState is the state of an enrollment.
//
//	Pending ──(card stored the certificate and signed)──▶ Bound
//	Pending ──(login signed by the certificate's key)──▶ Bound  (Server.Login)
//	Pending ──(card reported failure)──────────────────▶ Failed
//	Bound   ──(the same confirmation again: a retry)───▶ Bound  (no change)
//
// Pending is "issued, awaiting the card's confirmation".
type EnrollState uint8

const (
	StatePending EnrollState = 1
	StateBound   EnrollState = 2
	StateFailed  EnrollState = 3
)

// Next is the one transition function of an enrollment: from Pending on
// the device's status, and Bound on EnrollStored again (a retried
// confirmation whose answer was lost: the caller still checks its
// signature, and the store changes nothing); every other step is an
// error.
func (s EnrollState) Next(status EnrollStatus) (EnrollState, error) {
	switch {
	case s == StateBound && status == EnrollStored:
		return StateBound, nil
	case s != StatePending:
		return s, fmt.Errorf("%w: enrollment is no longer pending", ErrEnrollment)
	case status == EnrollStored:
		return StateBound, nil
	case status == EnrollFailed:
		return StateFailed, nil
	default:
		return s, fmt.Errorf("%w: status %d", ErrMalformed, status)
	}
}

// Enrollment is one certificate issued for an account.
type Enrollment struct {
	ID      [IDSize]byte
	Account string
	Cert    []byte // the leaf certificate the CA issued
	P7      []byte // the bundle returned to the device
	State   EnrollState
	At      time.Time
}

// Challenge is a login challenge as the server issued it. The server
// holds it in memory until it is used; the store records it only when
// it is used.
type Challenge struct {
	ID       [IDSize]byte
	Account  string
	Encoding []byte // the signed LoginChallenge the card signs
	Expires  time.Time
}

// SessionRecord is a session as the server keeps it.
type SessionRecord struct {
	TokenHash [32]byte
	Account   string
	Level     Level
	Expires   time.Time
}

// OrderRecord is a signed order as the server issued it. The server
// holds it in memory until it is confirmed; the store records it only
// with the transfer that uses up its nonce.
type OrderRecord struct {
	ID       [IDSize]byte
	Account  string
	Encoding []byte // the signed Order the card signs
	Expires  time.Time
}

// Transfer is everything one transfer commits at once.
type Transfer struct {
	ID          [IDSize]byte // order id (Order true) or session request id
	RequestHash [32]byte     // SM3 of the confirm or request; a retry must match it
	Order       *OrderRecord // a card-signed order as issued (ID is t's): its nonce is used up in the same transaction
	Payment
	Level Level
	At    time.Time
}

// Store persists accounts, enrollment, used challenges, sessions, used
// orders and transfers. Every method is atomic and durable on return and safe for
// concurrent use.
type Store interface {
	// OpenAccount creates an account with an opening balance paid in at
	// the counter. ErrAccountExists, ErrAmountRange.
	OpenAccount(ctx context.Context, a Account) error
	// Account returns an account. ErrUnknownAccount.
	Account(ctx context.Context, id string) (Account, error)
	// AddAuthCode stores an authorization code. ErrUnknownAccount.
	AddAuthCode(ctx context.Context, c AuthCode) error
	// AuthCodeValid reports ErrCodeInvalid unless the code with this hash
	// is the account's, unused and unexpired at now (the server asks before
	// it has the CA issue anything).
	AuthCodeValid(ctx context.Context, code [32]byte, account string, now time.Time) error
	// BeginEnrollment uses up the code with this hash (it must be the
	// account's, unused and unexpired at now: else ErrCodeInvalid) and
	// records e as pending, in one transaction.
	BeginEnrollment(ctx context.Context, code [32]byte, now time.Time, e Enrollment) error
	// Enrollment returns an enrollment. ErrEnrollment.
	Enrollment(ctx context.Context, id [IDSize]byte) (Enrollment, error)
	// PendingEnrollments returns up to limit of the account's pending
	// enrollments (issued, not confirmed), newest first.
	PendingEnrollments(ctx context.Context, account string, limit int) ([]Enrollment, error)
	// FinishEnrollment moves a pending enrollment to Bound (binding its
	// certificate to the account, replacing any earlier one) or Failed.
	// Bound for an enrollment already Bound is a retry: nil, and nothing
	// changes (the account keeps whatever certificate it has now).
	// ErrEnrollment otherwise if it is not pending.
	FinishEnrollment(ctx context.Context, id [IDSize]byte, to EnrollState) error
	// Challenge returns a used challenge. ErrChallenge if none with this
	// id was used.
	Challenge(ctx context.Context, id [IDSize]byte) (Challenge, error)
	// UseChallenge records c used and stores the session, in one
	// transaction: ErrChallengeUsed if a challenge with c's id was used,
	// ErrChallenge if c is expired at now.
	UseChallenge(ctx context.Context, c Challenge, now time.Time, s SessionRecord) error
	// UseChallengeBinding is UseChallenge that also, in the same
	// transaction, binds the enrollment with id enrollment: it must be of
	// c's account and pending (moved to Bound, its certificate bound to
	// the account), or already Bound with its certificate still the one
	// the account has (a concurrent login bound it: nothing changes).
	// Else ErrEnrollment, and nothing is recorded.
	UseChallengeBinding(ctx context.Context, c Challenge, now time.Time, s SessionRecord, enrollment [IDSize]byte) error
	// AddSession stores a session; Session returns one. ErrSession.
	AddSession(ctx context.Context, s SessionRecord) error
	Session(ctx context.Context, tokenHash [32]byte) (SessionRecord, error)
	// Order returns an order whose nonce a transfer used. ErrOrder.
	Order(ctx context.Context, id [IDSize]byte) (OrderRecord, error)
	// Transfer commits t in one transaction: for an order, record it and
	// its nonce used (ErrNonceUsed if a different confirmation used it,
	// ErrOrder if it is not the payer's, not t's id or expired at t.At); add the amount to the payer's
	// total of the day of t.At (China time), refusing with
	// ErrCertificateRequired a total above DailyLimit unless t.Level is
	// LevelCertificate; debit the payer (ErrInsufficientFunds), credit the
	// payee (ErrAmountRange); record the receipt. A retry with the same id
	// and request hash returns the first receipt and changes nothing; the
	// same id with another hash is ErrNonceUsed (orders) or
	// ErrRequestReused. ErrUnknownAccount, ErrSameAccount.
	Transfer(ctx context.Context, t Transfer) (Receipt, error)
	// Totals returns the sum of all balances and the money paid in at the
	// counter; transfers keep them equal.
	Totals(ctx context.Context) (balances, paidIn uint64, err error)
}
