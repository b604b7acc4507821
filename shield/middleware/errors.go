package middleware

import (
	"errors"
	"fmt"
)

// Errors of the package.
var (
	// ErrSandbox is a sandbox file or dispersal record that does not parse,
	// or from which no t shares rebuild a key that passes the check value
	// (too many corrupted shares, a foreign file, a wrong card). It never
	// says which share was wrong.
	ErrSandbox = errors.New("middleware: the key shares do not rebuild the channel key")
	// ErrPINRequired is an operation that needs the PIN when the card's
	// security state does not hold it (never entered, or lost in a reset).
	ErrPINRequired = errors.New("middleware: the operation needs the PIN")
	// ErrTampered is a card response that failed secure messaging: the
	// channel is closed and the operation is not retried.
	ErrTampered = errors.New("middleware: card response failed secure messaging")
	// ErrCertificate is a certificate the middleware, or the card after
	// it, refuses to store.
	ErrCertificate = errors.New("middleware: certificate refused")
	// ErrNoPendingKey is a certificate to store or a request to sign with
	// no pending key on the card (GenerateKey first).
	ErrNoPendingKey = errors.New("middleware: the card has no pending key")
	// ErrRoot is a card that trusts another CA root than the one given.
	ErrRoot = errors.New("middleware: the card trusts another root")
	// ErrClosed is a call on a closed Middleware.
	ErrClosed = errors.New("middleware: closed")
	// ErrConfig is an incomplete Config or Dispersal.
	ErrConfig = errors.New("middleware: bad configuration")
)

// PINError is a wrong PIN: the card's tries left. It unwraps to
// card.ErrWrongPIN (and to the status word 63Cx).
type PINError struct {
	TriesLeft int
	Err       error
}

func (e *PINError) Error() string {
	return fmt.Sprintf("middleware: wrong PIN, %d tries left", e.TriesLeft)
}

func (e *PINError) Unwrap() error { return e.Err }
