package invoice

import (
	"errors"
	"fmt"

	"trustbank/internal/money"
)

// Errors. Field errors are *FieldError values that unwrap to ErrInvalid
// (and to ErrAmountRange for an amount out of range), so callers test
// with errors.Is and still read which field is wrong and why.
var (
	ErrInvalid     = errors.New("invoice: invalid invoice")
	ErrAmountRange = money.ErrRange
	ErrTotals      = errors.New("invoice: stated amounts differ from the recomputed ones")
	ErrMalformed   = errors.New("invoice: malformed encoding")
	ErrCertificate = errors.New("invoice: signing certificate not trusted")
	ErrSignature   = errors.New("invoice: signature does not verify")
	ErrSigner      = errors.New("invoice: unusable signer")
	ErrQRMismatch  = errors.New("invoice: QR code does not match the invoice")
)

// FieldError names the field of an invalid invoice and the reason.
type FieldError struct {
	Field  string // JSON path, e.g. "items[2].tax_rate"
	Reason string
	range_ bool
}

func (e *FieldError) Error() string { return fmt.Sprintf("invoice: %s: %s", e.Field, e.Reason) }

// Unwrap returns ErrInvalid, and ErrAmountRange for a value out of range.
func (e *FieldError) Unwrap() []error {
	if e.range_ {
		return []error{ErrInvalid, ErrAmountRange}
	}
	return []error{ErrInvalid}
}

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// under puts prefix before the field of err (a *FieldError): the checks
// name only the field they check, so a valid invoice builds no paths.
func under(prefix string, err error) error {
	if fe, ok := err.(*FieldError); ok {
		fe.Field = prefix + "." + fe.Field
	}
	return err
}

func rangeErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...), range_: true}
}
