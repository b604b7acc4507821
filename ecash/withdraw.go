package ecash

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"trustbank/groupsig"
	"trustbank/internal/wire"
)

const (
	RequestIDSize = 16
	withdrawCtx   = "trustbank/ecash/v1/withdraw\x00"
	issueCtx      = "trustbank/ecash/v1/issue\x00"
	maxEvidence   = 8192
	maxAccountID  = 64
)

// BlindItem is one blinded coin message and the denomination it asks for.
type BlindItem struct {
	Denom   Denom
	Blinded []byte
}

// WithdrawRequest is what a wallet sends its bank: the account to debit,
// the epoch and the user epoch its coins escrow (which select the keys),
// the blinded coins, the platform evidence (a TPM quote over
// the request digest; empty for a wallet without a TPM), and the account
// holder's signature. ID makes retries idempotent.
type WithdrawRequest struct {
	ID       [RequestIDSize]byte
	Account  string
	Epoch    Epoch
	Users    uint64
	Items    []BlindItem
	Evidence []byte
	Sig      []byte // Ed25519 by the account key over SignedDigest
}

func (q *WithdrawRequest) writeBody(w *wire.Writer) {
	w.Fixed(q.ID[:])
	w.String16(q.Account)
	w.U32(uint32(q.Epoch))
	w.U64(q.Users)
	writeItems(w, q.Items)
}

func writeItems(w *wire.Writer, items []BlindItem) {
	w.U16(uint16(len(items)))
	for _, it := range items {
		w.U8(uint8(it.Denom))
		w.Bytes16(it.Blinded)
	}
}

func readItems(r *wire.Reader) []BlindItem {
	n := r.Count(maxCoinsPerRequest, "blinded coins")
	items := make([]BlindItem, 0, n)
	for range n {
		items = append(items, BlindItem{Denom: Denom(r.U8("denomination")), Blinded: r.Bytes16(maxSigSize, "blinded coin")})
	}
	return items
}

// QuoteNonce is the qualifying data the platform quote must carry: the
// digest of the request without evidence and signature, so a quote cannot
// be reused for other coins.
func (q *WithdrawRequest) QuoteNonce() [32]byte {
	w := wire.Writer{B: []byte(withdrawCtx + "quote\x00")}
	q.writeBody(&w)
	return sha256.Sum256(w.B)
}

// SignedDigest is what the account key signs: the body and the evidence.
func (q *WithdrawRequest) SignedDigest() [32]byte {
	w := wire.Writer{B: []byte(withdrawCtx)}
	q.writeBody(&w)
	w.Bytes16(q.Evidence)
	return sha256.Sum256(w.B)
}

// SignWith signs the request with the account key.
func (q *WithdrawRequest) SignWith(key ed25519.PrivateKey) {
	d := q.SignedDigest()
	q.Sig = ed25519.Sign(key, d[:])
}

// Value is the total value asked for.
func (q *WithdrawRequest) Value() Amount { return sumItems(q.Items) }

// MarshalBinary encodes the request.
func (q *WithdrawRequest) MarshalBinary() ([]byte, error) {
	var w wire.Writer
	q.writeBody(&w)
	w.Bytes16(q.Evidence)
	w.Bytes16(q.Sig)
	return w.B, nil
}

// UnmarshalBinary decodes a request.
func (q *WithdrawRequest) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	var out WithdrawRequest
	copy(out.ID[:], r.Fixed(RequestIDSize, "request id"))
	out.Account = r.String16(maxAccountID, "account")
	out.Epoch = Epoch(r.U32("epoch"))
	out.Users = r.U64("user epoch")
	out.Items = readItems(r)
	out.Evidence = r.Bytes16(maxEvidence, "evidence")
	out.Sig = r.Bytes16(ed25519.SignatureSize, "signature")
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: withdraw request: %w", ErrMalformed, err)
	}
	if len(out.Items) == 0 {
		return fmt.Errorf("%w: withdraw request without coins", ErrMalformed)
	}
	*q = out
	return nil
}

// WithdrawResponse carries the blind signatures, in request order.
type WithdrawResponse struct {
	ID        [RequestIDSize]byte
	BlindSigs [][]byte
}

// MarshalBinary encodes the response.
func (s *WithdrawResponse) MarshalBinary() ([]byte, error) {
	var w wire.Writer
	w.Fixed(s.ID[:])
	w.U16(uint16(len(s.BlindSigs)))
	for _, b := range s.BlindSigs {
		w.Bytes16(b)
	}
	return w.B, nil
}

// UnmarshalBinary decodes a response.
func (s *WithdrawResponse) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	var out WithdrawResponse
	copy(out.ID[:], r.Fixed(RequestIDSize, "request id"))
	n := r.Count(maxCoinsPerRequest, "blind signatures")
	for range n {
		out.BlindSigs = append(out.BlindSigs, r.Bytes16(maxSigSize, "blind signature"))
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: withdraw response: %w", ErrMalformed, err)
	}
	*s = out
	return nil
}

// IssueRequest is what a bank sends the module: the blinded coins of one
// withdrawal, under a bank-group signature. The module learns that some
// member bank asks; only the module as group manager can open which.
type IssueRequest struct {
	ID       [RequestIDSize]byte
	Epoch    Epoch
	Users    uint64
	Items    []BlindItem
	GroupSig groupsig.Signature
}

// Digest is what the bank's group signature signs.
func (q *IssueRequest) Digest() [32]byte {
	w := wire.Writer{B: []byte(issueCtx)}
	w.Fixed(q.ID[:])
	w.U32(uint32(q.Epoch))
	w.U64(q.Users)
	writeItems(&w, q.Items)
	return sha256.Sum256(w.B)
}

// Value is the total value asked for.
func (q *IssueRequest) Value() Amount { return sumItems(q.Items) }
