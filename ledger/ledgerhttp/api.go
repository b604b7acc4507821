// Package ledgerhttp serves a ledger bank over HTTP+JSON, and is its
// client. Messages travel in their canonical binary encodings (base64 in
// JSON), exactly as they would in a QR code, so a client verifies what the
// bank signed, not a JSON rendering of it.
//
//	GET  /ledger/v1/bank                       name, currency, scheme, public key, size
//	POST /ledger/v1/accounts          (admin)  open an account: template (QR1)
//	GET  /ledger/v1/accounts/{name}            an account's template
//	POST /ledger/v1/submit                     a payee's submission → settlement notice (QR3)
//	GET  /ledger/v1/entries/{index}/notice   (party)  settlement notice (QR3) against the latest checkpoint
//	GET  /ledger/v1/entries/{index}/balance  (party)  balance notice (QR4), encrypted to the payer
//	GET  /ledger/v1/checkpoint[?size=N]        latest (or size-N) signed checkpoint: binary and
//	                                           c2sp.org/tlog-checkpoint signed note
//	GET  /ledger/v1/consistency?from=A&to=B    consistency proof between two sizes (409
//	                                           rolled_back if A or B exceeds the log)
//	POST /ledger/v1/check             (admin)  walk the evidence chains (fast: the chain index only)
//	POST /ledger/v1/check?deep=1      (admin)  deep check: re-read, re-hash and re-verify every entry
//	POST /ledger/v1/close             (admin)  deep check, then (only if whole) sign a closing checkpoint
//	POST /ledger/v1/recover           (admin)  restore lost entries from the hot backup
//
// (admin) endpoints need "Authorization: Bearer <token>"; a handler made
// without a token has no operator and refuses them all. (party) endpoints
// answer the entry's payer or payee, in a request signed with the account
// key (Trustbank-Signature, package httpapi: SM2 with the account's user
// ID, or SM9), and the operator; anyone else gets 401 unauthorized, the
// same answer for an index that does not exist, so a stranger learns
// nothing of an entry, not even whether it exists (the book's size is
// public all the same, in the checkpoints auditors need). Request bodies are
// application/json objects; errors, 404 and 405 included, are JSON
// {error, code} (package httpapi). A rollback or fork is 409 with its own
// code (rolled_back, fork), never 400 malformed.
//
// A witness (NewWitnessHandler) serves, on demand, the bank's latest
// checkpoint cosigned by it:
//
//	GET  /witness/v1/checkpoint                {note}: fetched, checked against the last
//	                                           cosigned one, cosigned; 409 on a rollback or fork
package ledgerhttp

import (
	"net/http"

	"trustbank/internal/httpapi"
	"trustbank/ledger"
)

type (
	// BankResponse describes the bank; clients pin its public key.
	BankResponse struct {
		Name      string `json:"name"`
		Currency  string `json:"currency"`
		Scheme    string `json:"scheme"`
		PublicKey []byte `json:"public_key"`
		Size      uint64 `json:"size"`
	}
	// OpenAccountRequest opens an account; in an SM9 deployment PublicKey
	// is empty and the answer carries the account's signing key, issued by
	// the bank as key generation centre (send it over TLS only).
	OpenAccountRequest struct {
		Name      string `json:"name"`
		PublicKey []byte `json:"public_key,omitempty"`
		Opening   uint64 `json:"opening"`
	}
	TemplateResponse struct {
		Template []byte `json:"template"`
		SignKey  []byte `json:"sign_key,omitempty"` // SM9 only
	}
	SubmitRequest struct {
		Submission []byte `json:"submission"`
	}
	NoticeResponse struct {
		Index  uint64 `json:"index"`
		Notice []byte `json:"notice"`
	}
	// CheckpointResponse: the binary form (what notices carry) and the
	// signed note (absent for a legacy checkpoint, which has none).
	CheckpointResponse struct {
		Checkpoint []byte `json:"checkpoint"`
		Note       string `json:"note,omitempty"`
	}
	ConsistencyResponse struct {
		Proof [][]byte `json:"proof"`
	}
	BreakJSON struct {
		Index  uint64 `json:"index"`
		Reason string `json:"reason"`
	}
	CheckResponse struct {
		OK      bool        `json:"ok"`
		Size    uint64      `json:"size"`
		Missing []uint64    `json:"missing"`
		Breaks  []BreakJSON `json:"breaks"`
		Split   string      `json:"split,omitempty"` // a rollback or fork of the book against the bank's own head
		Report  string      `json:"report"`
	}
	FaultJSON struct {
		Index  uint64 `json:"index"`
		Check  string `json:"check"` // ledger.Failure's name: "money", "sign9", "hash-chain", …
		Detail string `json:"detail"`
	}
	DeepCheckResponse struct {
		OK      bool        `json:"ok"`
		Size    uint64      `json:"size"`
		Faults  []FaultJSON `json:"faults"`
		Dropped int         `json:"dropped"` // faults past ledger.MaxFaults, counted only
		Seconds float64     `json:"seconds"`
		Report  string      `json:"report"`
	}
	CloseResponse struct {
		Closing []byte            `json:"closing"` // ledger.Closing, signed by the bank
		Check   DeepCheckResponse `json:"check"`
	}
	// RecoveredJSON is one restored entry: purpose and time are the
	// restored money's; Confirmed says whether the book alone (the clue
	// derived from balances and lsum) had already found them.
	RecoveredJSON struct {
		Index     uint64 `json:"index"`
		Payer     string `json:"payer"`
		Payee     string `json:"payee"`
		Amount    uint64 `json:"amount"`
		Purpose   string `json:"purpose"`
		Time      int64  `json:"time"`
		Confirmed bool   `json:"confirmed_from_book"`
	}
	RecoverResponse struct {
		Recovered []RecoveredJSON `json:"recovered"`
		Check     CheckResponse   `json:"check"`
	}
	ErrorResponse = httpapi.ErrorResponse
)

var codes = httpapi.Codes{
	httpapi.Map(ledger.ErrRollback, "rolled_back", http.StatusConflict),
	httpapi.Map(ledger.ErrFork, "fork", http.StatusConflict),
	httpapi.Map(ledger.ErrNotCosigned, "not_cosigned", http.StatusForbidden),
	httpapi.Map(ledger.ErrMalformed, "malformed", http.StatusBadRequest),
	httpapi.Map(ledger.ErrCurrency, "currency", http.StatusBadRequest),
	httpapi.Map(ledger.ErrBadSignature, "bad_signature", http.StatusForbidden),
	httpapi.Map(ledger.ErrNotPayee, "not_payee", http.StatusForbidden),
	httpapi.Map(ledger.ErrReplayed, "replayed", http.StatusConflict),
	httpapi.Map(ledger.ErrAccountExists, "account_exists", http.StatusConflict),
	httpapi.Map(ledger.ErrInsufficientFunds, "insufficient_funds", http.StatusPaymentRequired),
	httpapi.Map(ledger.ErrAmountRange, "amount_range", http.StatusUnprocessableEntity),
	httpapi.Map(ledger.ErrExpired, "expired", http.StatusGone),
	httpapi.Map(ledger.ErrUnknownAccount, "unknown_account", http.StatusNotFound),
	httpapi.Map(ledger.ErrNotFound, "no_entry", http.StatusNotFound),
	httpapi.Map(ledger.ErrProof, "proof", http.StatusUnprocessableEntity),
	httpapi.Map(ledger.ErrNoSM2Key, "no_sm2_key", http.StatusUnprocessableEntity),
	httpapi.Map(ledger.ErrRestoreConflict, "restore_conflict", http.StatusConflict),
	httpapi.Map(ledger.ErrBookBroken, "book_broken", http.StatusServiceUnavailable),
	httpapi.Map(ledger.ErrClosed, "closed", http.StatusServiceUnavailable),
}

// ErrUnauthorized: a missing or wrong admin token, or a notice request not
// signed by the entry's payer or payee.
var ErrUnauthorized = httpapi.ErrUnauthorized

func checkJSON(rep *ledger.CheckReport) CheckResponse {
	c := CheckResponse{OK: rep.OK(), Size: rep.Size, Missing: rep.Missing, Report: rep.String()}
	if c.Missing == nil {
		c.Missing = []uint64{}
	}
	if rep.Split != nil {
		c.Split = rep.Split.Error()
	}
	c.Breaks = []BreakJSON{}
	for _, b := range rep.Breaks {
		c.Breaks = append(c.Breaks, BreakJSON{b.Index, b.Reason})
	}
	return c
}

func deepJSON(rep *ledger.DeepReport) DeepCheckResponse {
	d := DeepCheckResponse{OK: rep.OK(), Size: rep.Size, Faults: []FaultJSON{}, Dropped: rep.Dropped,
		Seconds: rep.Took.Seconds(), Report: rep.String()}
	for _, f := range rep.Faults {
		d.Faults = append(d.Faults, FaultJSON{f.Index, f.Failure.String(), f.Detail})
	}
	return d
}
