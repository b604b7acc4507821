// Package ecashhttp serves the e-cash roles over HTTP+JSON and is the
// client for them. Binary protocol messages (requests, responses, key sets,
// payments) travel base64-encoded inside JSON, exactly as package ecash
// encodes them, so every signature covers the same bytes on both sides.
//
//	GET  /v1/keys                          module key set + module identity key
//	GET  /v1/users/key[?epoch=N]           user-group public key
//	POST /v1/users                         register a user without a TPM → member key     [admin]
//	POST /v1/users/enroll                  begin AIK enrolment: EK cert, AIK → challenge   [admin]
//	POST /v1/users/enroll/finish           activated secret → AIK registered, member key  [admin]
//	POST /v1/banks/{bank}/accounts         open an account                                 [admin]
//	GET  /v1/banks/{bank}/accounts/{id}    account balance                                 [admin or holder]
//	POST /v1/banks/{bank}/withdraw         WithdrawRequest → WithdrawResponse
//	POST /v1/banks/{bank}/deposit          DepositRequest → receipt
//	POST /v1/swap                          SwapRequest → WithdrawResponse (change)
//	POST /v1/restore                       blind signatures issued for blinded messages (wallet restore)
//	GET  /v1/spent/{epoch}/bits            bucket width of epoch's spent registry (wallet restore)
//	GET  /v1/spent/{epoch}?bits=B&prefix=P spent serials (8-byte heads) of one bucket
//	GET  /v1/users/updates?after=N         revocation updates after user epoch N
//	POST /v1/users/{id}/revoke             revoke a user                                   [admin]
//	GET  /v1/double-spends                 evidence, with the traced user                  [admin]
//	GET  /v1/totals                        balances, float, clearing positions, paid in    [admin]
//	POST /v1/prune                         drop expired spent-coin partitions              [admin]
//	GET  /healthz
//
// [admin] endpoints need "Authorization: Bearer <token>" (the node's
// admin_token): opening an account with a balance creates money,
// registering or enrolling a user vouches for an identity, pruning changes the spent
// registry, double-spend evidence names traced users, and totals are the
// bank's books. [admin or holder]: an account is also readable by its
// holder in a request signed with the account's Ed25519 key (the
// Trustbank-Signature header of package httpapi; Client.Account signs).
// To anyone else an unknown account and a known one are both 401.
//
// Request bodies are application/json objects (a null body, or another
// Content-Type, is refused: malformed 400, unsupported_media_type 415);
// unknown paths are not_found 404 and wrong methods method_not_allowed
// 405, in the same JSON error body.
//
// Errors are {"error": message, "code": code} with a status from the
// error's sentinel: malformed 400, bad_signature/attestation/not_member/
// binding/enrollment/user_revoked 403, unknown_* 404, double_spend/request_reused/account_exists
// 409 (and user_epoch: coins must escrow the current user epoch), expired 410, challenge and amount_range 422 (an amount or balance
// beyond ecash.MaxAmount / MaxBalance, the money paid in beyond
// money.MaxSupply, a clearing position beyond ±money.MaxPosition),
// insufficient_funds 402, anything else
// 500 (logged; the message does not leak internals). A failed request
// changes nothing.
package ecashhttp

import (
	"net/http"
	"time"

	"trustbank/ecash"
	"trustbank/groupsig/registry"
	"trustbank/internal/httpapi"
)

// Wire types.
type (
	KeysResponse struct {
		KeySet    []byte `json:"keyset"`
		ModuleKey []byte `json:"module_key"`
	}
	UserKeyResponse struct {
		Epoch     uint64 `json:"epoch"`
		PublicKey []byte `json:"public_key"`
	}
	RegisterUserRequest struct {
		Identity string `json:"identity"`
	}
	BeginEnrollRequest struct {
		Identity string `json:"identity"`
		EKCert   []byte `json:"ek_cert"` // DER
		AIK      []byte `json:"aik"`     // TPMT_PUBLIC
	}
	EnrollChallengeResponse struct {
		ID         []byte    `json:"id"`
		Credential []byte    `json:"credential"`
		Expires    time.Time `json:"expires"`
	}
	FinishEnrollRequest struct {
		ID     []byte `json:"id"`
		Secret []byte `json:"secret"`
	}
	RegisterUserResponse struct {
		MemberKey []byte `json:"member_key"`
	}
	OpenAccountRequest struct {
		ID      string       `json:"id"`
		Owner   string       `json:"owner"`
		Key     []byte       `json:"key"`
		Balance ecash.Amount `json:"balance"`
	}
	AccountResponse struct {
		Bank    string       `json:"bank"`
		ID      string       `json:"id"`
		Owner   string       `json:"owner"`
		Balance ecash.Amount `json:"balance"`
	}
	MessageRequest struct {
		Request []byte `json:"request"`
	}
	WithdrawResponse struct {
		Response []byte `json:"response"`
	}
	ReceiptResponse struct {
		ID      []byte       `json:"id"`
		Bank    string       `json:"bank"`
		Account string       `json:"account"`
		Amount  ecash.Amount `json:"amount"`
	}
	DoubleSpendResponse struct {
		ID           int64  `json:"id"`
		Epoch        uint32 `json:"epoch"`
		Serial       []byte `json:"serial"`
		FirstDeposit []byte `json:"first_deposit"`
		SecondBank   string `json:"second_bank"`
		TracedUser   string `json:"traced_user,omitempty"`
		TraceResult  string `json:"trace_result"`
	}
	TotalsResponse struct {
		Balances  ecash.Amount `json:"balances"`
		Float     ecash.Amount `json:"float"`
		Positions int64        `json:"positions"`
		PaidIn    ecash.Amount `json:"paid_in"`
	}
	PruneResponse struct {
		Dropped []uint32 `json:"dropped"`
	}
	RestoreRequest struct {
		Blinded [][]byte `json:"blinded"`
	}
	RestoreResponse struct {
		Signatures [][]byte `json:"signatures"` // null where none was issued
	}
	SpentBitsResponse struct {
		Bits uint8 `json:"bits"`
	}
	SpentBucketResponse struct {
		Heads []byte `json:"heads"` // 8 bytes per spent serial, ascending
	}
	UpdatesResponse struct {
		Updates [][]byte `json:"updates"` // groupsig revocation encodings, in epoch order
	}
	ErrorResponse = httpapi.ErrorResponse
)

// codes maps sentinels to wire codes and statuses (order matters: the
// first match wins; not_found and unauthorized come from httpapi).
var codes = httpapi.Codes{
	httpapi.Map(ecash.ErrMalformed, "malformed", http.StatusBadRequest),
	httpapi.Map(ecash.ErrDoubleSpend, "double_spend", http.StatusConflict),
	httpapi.Map(ecash.ErrRequestReused, "request_reused", http.StatusConflict),
	httpapi.Map(ecash.ErrAccountExists, "account_exists", http.StatusConflict),
	httpapi.Map(ecash.ErrInsufficientFunds, "insufficient_funds", http.StatusPaymentRequired),
	httpapi.Map(ecash.ErrExpired, "expired", http.StatusGone),
	httpapi.Map(ecash.ErrBadSignature, "bad_signature", http.StatusForbidden),
	httpapi.Map(ecash.ErrAttestation, "attestation", http.StatusForbidden),
	httpapi.Map(ecash.ErrNotMember, "not_member", http.StatusForbidden),
	httpapi.Map(ecash.ErrBinding, "binding", http.StatusForbidden),
	httpapi.Map(ecash.ErrUserRevoked, "user_revoked", http.StatusForbidden),
	httpapi.Map(ecash.ErrUserEpoch, "user_epoch", http.StatusConflict),
	httpapi.Map(ecash.ErrEnrollment, "enrollment", http.StatusForbidden),
	httpapi.Map(ecash.ErrChallenge, "challenge", http.StatusUnprocessableEntity),
	httpapi.Map(ecash.ErrAmountRange, "amount_range", http.StatusUnprocessableEntity),
	httpapi.Map(ecash.ErrUnknownAccount, "unknown_account", http.StatusNotFound),
	httpapi.Map(ecash.ErrUnknownUser, "unknown_user", http.StatusNotFound),
	httpapi.Map(ecash.ErrUnknownKey, "unknown_key", http.StatusNotFound),
	httpapi.Map(registry.ErrNotFound, "unknown_user", http.StatusNotFound),
	httpapi.Map(registry.ErrNotActive, "user_revoked", http.StatusConflict),
}

var errNotFound = httpapi.ErrNotFound

// ErrUnauthorized is what the client returns for a missing or wrong admin
// token or request signature.
var ErrUnauthorized = httpapi.ErrUnauthorized
