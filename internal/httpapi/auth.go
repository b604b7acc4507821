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

// Signer signs a request as an account holder, with the account's key of
// whatever scheme the service uses: Ed25519Signer for ecash accounts, the
// ledger's SM2 (with its user ID in Z_A) or SM9 signers for ledger
// accounts.
type Signer interface {
	Sign(msg []byte) ([]byte, error)
}

// Verifier checks a request signature under one account's public key.
type Verifier interface {
	Verify(msg, sig []byte) bool
}

// MaxRequestSignature bounds the signature a request may carry.
const MaxRequestSignature = 256

type ed25519Signer ed25519.PrivateKey

func (k ed25519Signer) Sign(msg []byte) ([]byte, error) {
	if len(k) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("httpapi: Ed25519 private key of %d bytes", len(k))
	}
	return ed25519.Sign(ed25519.PrivateKey(k), msg), nil
}

type ed25519Verifier ed25519.PublicKey

func (p ed25519Verifier) Verify(msg, sig []byte) bool {
	return len(p) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(ed25519.PublicKey(p), msg, sig)
}

// Ed25519Signer signs requests with an Ed25519 account key.
func Ed25519Signer(key ed25519.PrivateKey) Signer { return ed25519Signer(key) }

// Ed25519Verifier checks requests signed with pub; a key of the wrong size
// (nil included: an unknown account) verifies nothing.
func Ed25519Verifier(pub ed25519.PublicKey) Verifier { return ed25519Verifier(pub) }

// signedMessage is what a request signature covers.
func signedMessage(method, requestURI string, unix int64) []byte {
	return fmt.Appendf(nil, "trustbank-request-v1\n%s\n%s\n%d", method, requestURI, unix)
}

// SignRequest signs req (which has no body) with s at time now.
func SignRequest(req *http.Request, s Signer, now time.Time) error {
	unix := now.Unix()
	sig, err := s.Sign(signedMessage(req.Method, req.URL.RequestURI(), unix))
	if err != nil {
		return err
	}
	req.Header.Set(SignatureHeader, strconv.FormatInt(unix, 10)+" "+base64.StdEncoding.EncodeToString(sig))
	return nil
}

// HasSignature reports whether r carries a request signature at all.
func HasSignature(r *http.Request) bool { return r.Header.Get(SignatureHeader) != "" }

// VerifyRequest checks r's signature, with a time within SignatureWindow
// of now, under any one of by: the keys of the accounts that may make the
// request (none: nobody may). Its errors wrap ErrUnauthorized, and a
// signature that no key of by verifies gets the same error whatever by
// holds, so a refusal tells nothing of who may read the resource or
// whether it exists.
func VerifyRequest(r *http.Request, now time.Time, by ...Verifier) error {
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
	msg := signedMessage(r.Method, r.RequestURI, unix)
	for _, v := range by {
		if v != nil && v.Verify(msg, sig) {
			return nil
		}
	}
	return fmt.Errorf("%w: bad request signature", ErrUnauthorized)
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
	if err != nil || len(sig) == 0 || len(sig) > MaxRequestSignature {
		return 0, nil, fmt.Errorf("%w: %s: bad signature encoding", ErrUnauthorized, SignatureHeader)
	}
	return unix, sig, nil
}
