// Package trusthttp serves the identity provider and a cloud service of
// package trust over HTTP+JSON (package httpapi), and is their client.
//
// Provider:
//
//	POST /v1/users                        register {user, client_key} → enrollment        [admin]
//	GET  /v1/users/{id}/enrollment        the user's tier and member key                [user's client]
//	GET  /v1/users/{id}                   T, tier, generation, revoked                  [admin]
//	POST /v1/users/{id}/revoke            the user's exit                               [admin]
//	POST /v1/open                         {authentication} → user                       [admin]
//	POST /v1/services                     register {service, key}                       [admin]
//	POST /v1/feedback                     {report}: a SignedReport → receipt            [service]
//	GET  /v1/tiers/{tier}/key[?epoch=N]   the tier group's public key (current or at N)
//	GET  /v1/tiers/{tier}/updates?after=N revocation updates after epoch N
//	GET  /healthz
//
// Service:
//
//	POST /v1/challenge                    → {service, nonce}
//	POST /v1/authenticate                 {authentication} → {transaction, tier}
//	POST /v1/serve                        {transaction, feature, attributes} → grant
//	POST /v1/sessions/report              {transaction, tc} → receipt                   [service operator]
//	GET  /healthz
//
// [admin]: "Authorization: Bearer <token>", the operator's. [user's
// client]: a request signed with the user's registered Ed25519 client key
// (httpapi's Trustbank-Signature); a member key is the user's secret, and
// to anybody else an unknown user and a known one are both 401.
// [service]: the report carries the service's Ed25519 signature, checked
// against the key the operator registered (no bearer token: a service
// cannot rate in another's name). Binary messages (authentication,
// report, keys, updates) travel base64 in JSON in their canonical
// encodings of package trust and groupsig.
package trusthttp

import (
	"net/http"

	"trustbank/groupsig"
	"trustbank/groupsig/registry"
	"trustbank/internal/httpapi"
	"trustbank/trust"
)

// RegisterRequest registers a user.
type RegisterRequest struct {
	User      string `json:"user"`
	ClientKey []byte `json:"client_key"` // Ed25519 public key of the user's client
}

// EnrollmentResponse is a user's tier and member key.
type EnrollmentResponse struct {
	User      string `json:"user"`
	Tier      string `json:"tier"`
	MemberKey []byte `json:"member_key"` // groupsig.MemberKey encoding
}

// StatusResponse is what the operator sees of a user.
type StatusResponse struct {
	User       string  `json:"user"`
	T          float64 `json:"t"`
	Tier       string  `json:"tier"`
	Generation uint64  `json:"generation"`
	Revoked    bool    `json:"revoked"`
}

// AuthRequest carries an Authentication (to open, or to authenticate).
type AuthRequest struct {
	Authentication []byte `json:"authentication"`
}

// OpenResponse names the signer.
type OpenResponse struct {
	User string `json:"user"`
}

// ServiceRequest registers a service and its Ed25519 feedback key.
type ServiceRequest struct {
	Service string `json:"service"`
	Key     []byte `json:"key"`
}

// FeedbackRequest carries a SignedReport.
type FeedbackRequest struct {
	Report []byte `json:"report"`
}

// Receipt acknowledges a counted report.
type Receipt struct {
	Service     string `json:"service"`
	Transaction []byte `json:"transaction"`
}

// KeyResponse is a tier group's public key.
type KeyResponse struct {
	Tier      string `json:"tier"`
	Epoch     uint64 `json:"epoch"`
	PublicKey []byte `json:"public_key"`
}

// UpdatesResponse lists revocation updates.
type UpdatesResponse struct {
	Updates [][]byte `json:"updates"` // groupsig.Revocation encodings, in order
}

// ChallengeResponse is a service's challenge.
type ChallengeResponse struct {
	Service string `json:"service"`
	Nonce   []byte `json:"nonce"`
}

// SessionResponse is an authenticated session.
type SessionResponse struct {
	Transaction []byte `json:"transaction"`
	Tier        string `json:"tier"`
}

// ServeRequest is one request of a session.
type ServeRequest struct {
	Transaction []byte            `json:"transaction"`
	Feature     string            `json:"feature"`
	Attributes  map[string]string `json:"attributes,omitempty"`
}

// GrantResponse is the answer to an allowed request.
type GrantResponse struct {
	Tier      string `json:"tier"`
	Feature   string `json:"feature"`
	Remaining int    `json:"remaining"`
}

// ReportRequest asks the service to rate a session.
type ReportRequest struct {
	Transaction []byte  `json:"transaction"`
	Tc          float64 `json:"tc"`
}

// codes maps sentinels to wire codes and statuses (the first match wins).
var codes = httpapi.Codes{
	httpapi.Map(trust.ErrMalformed, "malformed", http.StatusBadRequest),
	httpapi.Map(groupsig.ErrMalformed, "malformed", http.StatusBadRequest),
	httpapi.Map(trust.ErrUnknownUser, "unknown_user", http.StatusNotFound),
	httpapi.Map(trust.ErrUserExists, "user_exists", http.StatusConflict),
	httpapi.Map(trust.ErrUserRevoked, "user_revoked", http.StatusForbidden),
	httpapi.Map(trust.ErrUnknownService, "unknown_service", http.StatusUnauthorized),
	httpapi.Map(trust.ErrServiceExists, "service_exists", http.StatusConflict),
	httpapi.Map(trust.ErrForgedFeedback, "forged_feedback", http.StatusUnauthorized),
	httpapi.Map(trust.ErrFeedbackConflict, "feedback_conflict", http.StatusConflict),
	httpapi.Map(trust.ErrFeedbackStale, "feedback_stale", http.StatusUnprocessableEntity),
	httpapi.Map(trust.ErrNotMember, "not_member", http.StatusForbidden),
	httpapi.Map(trust.ErrStaleKey, "stale_key", http.StatusForbidden),
	httpapi.Map(trust.ErrReplay, "replay", http.StatusForbidden),
	httpapi.Map(trust.ErrExpired, "expired", http.StatusForbidden),
	httpapi.Map(trust.ErrWrongService, "wrong_service", http.StatusForbidden),
	httpapi.Map(trust.ErrNoSession, "no_session", http.StatusNotFound),
	httpapi.Map(trust.ErrForbidden, "forbidden", http.StatusForbidden),
	httpapi.Map(trust.ErrRateLimited, "rate_limited", http.StatusTooManyRequests),
	httpapi.Map(trust.ErrBusy, "busy", http.StatusServiceUnavailable),
	httpapi.Map(registry.ErrKeyPublished, "key_published", http.StatusConflict),
	httpapi.Map(registry.ErrNotFound, "not_found", http.StatusNotFound),
}
