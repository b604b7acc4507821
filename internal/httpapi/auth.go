package httpapi

import (
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a signed request's time and signature (see the
// package documentation).
const SignatureHeader = "Trustbank-Signature"

// SignatureWindow is how far a signed request's time may be from the
// server's clock, either way.
const SignatureWindow = 2 * time.Minute

// IsAdmin reports whether r carries "Authorization: Bearer token". An empty
// token matches nothing: a server without one has no operator.
func IsAdmin(token string, r *http.Request) bool {
	if token == "" {
		return false
	}
	got := []byte(r.Header.Get("Authorization"))
	return subtle.ConstantTimeCompare(got, []byte("Bearer "+token)) == 1
}

// Admin wraps an operator endpoint: it requires "Bearer token" and
// refuses everyone if token is empty.
func Admin(token string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !IsAdmin(token, r) {
			Reply(w, http.StatusUnauthorized, ErrorResponse{Error: "operator endpoint: missing or wrong admin token", Code: "unauthorized"})
			return
		}
		h(w, r)
	}
}

// signedMessage is what a request signature covers.
func signedMessage(method, requestURI string, unix int64) []byte {
	return fmt.Appendf(nil, "trustbank-request-v1\n%s\n%s\n%d", method, requestURI, unix)
}

// SignRequest signs req (which has no body) with key at time now.
func SignRequest(req *http.Request, key ed25519.PrivateKey, now time.Time) {
	unix := now.Unix()
	sig := ed25519.Sign(key, signedMessage(req.Method, req.URL.RequestURI(), unix))
	req.Header.Set(SignatureHeader, strconv.FormatInt(unix, 10)+" "+base64.StdEncoding.EncodeToString(sig))
}

// HasSignature reports whether r carries a request signature at all.
func HasSignature(r *http.Request) bool { return r.Header.Get(SignatureHeader) != "" }

// VerifyRequest checks r's signature under pub, with a time within
// SignatureWindow of now. Its errors wrap ErrUnauthorized.
func VerifyRequest(r *http.Request, pub ed25519.PublicKey, now time.Time) error {
	unix, sig, err := parseSignature(r.Header.Get(SignatureHeader))
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(unix, 0)).Abs(); d > SignatureWindow {
		return fmt.Errorf("%w: request signed %s away from the server's clock (window %s)", ErrUnauthorized, d.Truncate(time.Second), SignatureWindow)
	}
	if r.ContentLength != 0 {
		return fmt.Errorf("%w: a signed request has no body", ErrUnauthorized)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, signedMessage(r.Method, r.RequestURI, unix), sig) {
		return fmt.Errorf("%w: bad request signature", ErrUnauthorized)
	}
	return nil
}

func parseSignature(h string) (int64, []byte, error) {
	ts, b64, ok := strings.Cut(h, " ")
	if !ok {
		return 0, nil, fmt.Errorf("%w: no %s header (time and signature)", ErrUnauthorized, SignatureHeader)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %s: bad time %q", ErrUnauthorized, SignatureHeader, ts)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return 0, nil, fmt.Errorf("%w: %s: bad signature encoding", ErrUnauthorized, SignatureHeader)
	}
	return unix, sig, nil
}
