package ecash

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"trustbank/internal/wire"
)

const depositCtx = "trustbank/ecash/v1/deposit\x00"

// DepositRequest is a merchant depositing one payment at its own bank,
// signed with the merchant's account key. ID makes retries idempotent.
type DepositRequest struct {
	ID      [RequestIDSize]byte
	Account string
	Payment []byte // Payment encoding, kept verbatim as evidence
	Sig     []byte
}

func (q *DepositRequest) writeBody(w *wire.Writer) {
	w.Fixed(q.ID[:])
	w.String16(q.Account)
	w.Bytes32(q.Payment)
}

// SignedDigest is what the merchant's account key signs.
func (q *DepositRequest) SignedDigest() [32]byte {
	w := wire.Writer{B: []byte(depositCtx)}
	q.writeBody(&w)
	return sha256.Sum256(w.B)
}

// SignWith signs the request with the merchant's account key.
func (q *DepositRequest) SignWith(key ed25519.PrivateKey) {
	d := q.SignedDigest()
	q.Sig = ed25519.Sign(key, d[:])
}

// MarshalBinary encodes the request.
func (q *DepositRequest) MarshalBinary() ([]byte, error) {
	var w wire.Writer
	q.writeBody(&w)
	w.Bytes16(q.Sig)
	return w.B, nil
}

// UnmarshalBinary decodes a request (the payment inside is decoded by the bank).
func (q *DepositRequest) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	var out DepositRequest
	copy(out.ID[:], r.Fixed(RequestIDSize, "request id"))
	out.Account = r.String16(maxAccountID, "account")
	out.Payment = r.Bytes32(maxPaymentSize, "payment")
	out.Sig = r.Bytes16(ed25519.SignatureSize, "signature")
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: deposit request: %w", ErrMalformed, err)
	}
	*q = out
	return nil
}

// DepositReceipt acknowledges a durable deposit.
type DepositReceipt struct {
	ID      [RequestIDSize]byte
	Bank    string
	Account string
	Amount  Amount
}

// DoubleSpendError is returned (wrapping ErrDoubleSpend) when a deposit
// contains a coin that was already deposited. The deposit is refused as a
// whole; the evidence is kept for the user registry to trace.
type DoubleSpendError struct {
	Serial       [SerialSize]byte
	Epoch        Epoch
	FirstDeposit [RequestIDSize]byte
	EvidenceID   int64
}

func (e *DoubleSpendError) Error() string {
	return fmt.Sprintf("ecash: coin already spent (serial %x…, epoch %d, first deposited by request %x, evidence #%d)",
		e.Serial[:6], e.Epoch, e.FirstDeposit[:6], e.EvidenceID)
}

func (e *DoubleSpendError) Unwrap() error { return ErrDoubleSpend }
