// Package bankhttp serves the secure-element bank (package shield/bank)
// over HTTP+JSON and is the client for it. Protocol messages travel
// base64-encoded inside JSON as {"message": …}, exactly as package bank
// encodes them, so every signature covers the same bytes on both sides.
//
//	POST /shield/v1/accounts                open an account with a balance         [admin]
//	POST /shield/v1/accounts/{id}/codes     issue an enrollment authorization code [admin]
//	POST /shield/v1/accounts/{id}/revoke    revoke the account's bound certificate  [admin]
//	POST /shield/v1/certs/{serial}/revoke   revoke a certificate by serial (hex)    [admin]
//	GET  /shield/v1/pki                     CA root, issuing CA, server certificate (DER)
//	GET  /shield/v1/crl                     the issuing CA's current CRL (DER)
//	POST /shield/v1/login/password          PasswordLogin → Session (password level)
//	POST /shield/v1/enroll                  EnrollRequest → EnrollResponse (P7)
//	POST /shield/v1/enroll/confirm          EnrollConfirm → 204
//	POST /shield/v1/login/challenge         {"account"} → LoginChallenge
//	POST /shield/v1/login                   LoginResponse → Session (certificate level)
//	POST /shield/v1/orders                  PreSubmit → PreSubmitResponse (sealed order)
//	POST /shield/v1/orders/confirm          Confirm → Receipt
//	POST /shield/v1/transfers               SessionTransfer → Receipt
//
// [admin] endpoints need "Authorization: Bearer <token>" (the node's
// admin_token): opening an account with a balance creates money, and an
// authorization code lets whoever holds it enroll a certificate. Every
// other endpoint is authenticated by its message: a password, a session
// token, the card's signature. A revocation ({"reason": RFC 5280 name},
// default unspecified) is durable before it is answered; the bank refuses
// the certificate's logins and confirmations from then on (revoked 403),
// also after a restart, and the next CRL lists it.
//
// Request bodies are application/json objects, decoded strictly (package
// httpapi); unknown paths are not_found 404, wrong methods
// method_not_allowed 405.
//
// Errors are {"error": message, "code": code} with a status from the
// error's sentinel (package bank unless said):
//
//	malformed 400             ErrMalformed: bad JSON, a message that does not decode
//	reason 400                ca.ErrReason: not an RFC 5280 reason name
//	certificate_request 400   ca.ErrRequest: the PKCS#10 is not an SM2 request
//	bad_credentials 401       ErrBadCredentials: account or password wrong
//	session 401               ErrSession: session unknown, expired or another account's
//	insufficient_funds 402    ErrInsufficientFunds
//	bad_signature 403         ErrBadSignature (and ca.ErrRequestSig)
//	code_invalid 403          ErrCodeInvalid: authorization code unknown, used or expired
//	certificate 403           ErrCertificate: refused (chain, validity, not SM2)
//	revoked 403               ErrRevoked
//	not_enrolled 403          ErrNotEnrolled: the account has no bound certificate
//	certificate_required 403  ErrCertificateRequired: the 50,000 CNY daily rule
//	pin 403                   ErrPIN (device side)
//	unknown_account 404       ErrUnknownAccount
//	unknown_serial 404        ca.ErrUnknownSerial: the CA never issued it
//	already_revoked 409       ca.ErrAlreadyRevoked
//	account_exists 409        ErrAccountExists
//	enrollment 409            ErrEnrollment: no pending enrollment with this id (a retried EnrollStored is 204)
//	challenge_used 409        ErrChallengeUsed: a replayed login response
//	nonce_used 409            ErrNonceUsed: another confirmation of a booked order
//	request_reused 409        ErrRequestReused: a transfer id reused for another payment
//	challenge 410             ErrChallenge: login challenge unknown or expired
//	order 410                 ErrOrder: order unknown or expired
//	order_mismatch 422        ErrOrderMismatch: not the order as issued
//	same_account 422          ErrSameAccount
//	amount_range 422          ErrAmountRange: beyond money's bounds
//	busy 429                  ErrBusy: too many challenges or orders outstanding
//	rate_limited 429          ErrRateLimited: this client (remote address for
//	                          challenges, account for orders) holds
//	                          Config.PerClient unused ones already
//	identity 422              cert.ErrIdentity: the CA refuses the identity
//
// anything else 500 (logged; the message does not leak internals). A
// failed request changes nothing, except that Enroll uses up the
// authorization code once the CA has issued (package bank). A
// confirmation byte-for-byte identical to a booked one is a retry and
// answers the first receipt; a SessionTransfer is idempotent by its id;
// an EnrollConfirm sent again for a bound enrollment answers 204 and
// changes nothing.
package bankhttp

import (
	"net/http"

	"trustbank/internal/httpapi"
	"trustbank/shield/bank"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// Wire types.
type (
	// MessageRequest and MessageResponse carry one binary protocol message.
	MessageRequest     = httpapi.Message
	MessageResponse    = httpapi.Message
	OpenAccountRequest struct {
		ID       string `json:"id"`
		Owner    string `json:"owner"`
		IDCard   string `json:"id_card"` // the holder's resident ID number (18 characters, GB 11643)
		Password string `json:"password"`
		Balance  uint64 `json:"balance"` // fen
	}
	AccountResponse struct {
		ID      string `json:"id"`
		Owner   string `json:"owner"`
		Balance uint64 `json:"balance"`
	}
	CodeResponse struct {
		Code string `json:"code"`
	}
	ChallengeRequest struct {
		Account string `json:"account"`
	}
	PKIResponse struct {
		Root    []byte `json:"root"`
		Issuing []byte `json:"issuing"`
		Server  []byte `json:"server"`
	}
	CRLResponse struct {
		CRL []byte `json:"crl"`
	}
	ErrorResponse = httpapi.ErrorResponse
)

// codes maps sentinels to wire codes and statuses (the first match wins;
// not_found, unauthorized and the other edge errors come from httpapi).
var codes = httpapi.Codes{
	httpapi.Map(bank.ErrMalformed, "malformed", http.StatusBadRequest),
	httpapi.Map(ca.ErrRequest, "certificate_request", http.StatusBadRequest),
	httpapi.Map(ca.ErrReason, "reason", http.StatusBadRequest),
	httpapi.Map(ca.ErrUnknownSerial, "unknown_serial", http.StatusNotFound),
	httpapi.Map(ca.ErrAlreadyRevoked, "already_revoked", http.StatusConflict),
	httpapi.Map(bank.ErrBadCredentials, "bad_credentials", http.StatusUnauthorized),
	httpapi.Map(bank.ErrSession, "session", http.StatusUnauthorized),
	httpapi.Map(bank.ErrInsufficientFunds, "insufficient_funds", http.StatusPaymentRequired),
	httpapi.Map(bank.ErrBadSignature, "bad_signature", http.StatusForbidden),
	httpapi.Map(ca.ErrRequestSig, "bad_signature", http.StatusForbidden),
	httpapi.Map(bank.ErrCodeInvalid, "code_invalid", http.StatusForbidden),
	httpapi.Map(bank.ErrCertificate, "certificate", http.StatusForbidden),
	httpapi.Map(bank.ErrRevoked, "revoked", http.StatusForbidden),
	httpapi.Map(bank.ErrNotEnrolled, "not_enrolled", http.StatusForbidden),
	httpapi.Map(bank.ErrCertificateRequired, "certificate_required", http.StatusForbidden),
	httpapi.Map(bank.ErrPIN, "pin", http.StatusForbidden),
	httpapi.Map(bank.ErrUnknownAccount, "unknown_account", http.StatusNotFound),
	httpapi.Map(bank.ErrAccountExists, "account_exists", http.StatusConflict),
	httpapi.Map(bank.ErrEnrollment, "enrollment", http.StatusConflict),
	httpapi.Map(bank.ErrChallengeUsed, "challenge_used", http.StatusConflict),
	httpapi.Map(bank.ErrNonceUsed, "nonce_used", http.StatusConflict),
	httpapi.Map(bank.ErrRequestReused, "request_reused", http.StatusConflict),
	httpapi.Map(bank.ErrChallenge, "challenge", http.StatusGone),
	httpapi.Map(bank.ErrOrder, "order", http.StatusGone),
	httpapi.Map(bank.ErrOrderMismatch, "order_mismatch", http.StatusUnprocessableEntity),
	httpapi.Map(bank.ErrSameAccount, "same_account", http.StatusUnprocessableEntity),
	httpapi.Map(bank.ErrBusy, "busy", http.StatusTooManyRequests),
	httpapi.Map(bank.ErrRateLimited, "rate_limited", http.StatusTooManyRequests),
	httpapi.Map(bank.ErrAmountRange, "amount_range", http.StatusUnprocessableEntity),
	httpapi.Map(cert.ErrIdentity, "identity", http.StatusUnprocessableEntity),
}

// ErrUnauthorized is what the client returns for a missing or wrong admin
// token.
var ErrUnauthorized = httpapi.ErrUnauthorized
