// Package httpapi is what trustbank's HTTP+JSON services share: strict
// request decoding, JSON replies, errors as {error, code} with a status
// from a per-service table of sentinel errors, the operator (admin)
// bearer token, and a client whose errors unwrap to the same sentinels.
package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// MaxBody bounds every request body.
const MaxBody = 1 << 20

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// ErrUnauthorized: a missing or wrong admin token.
var ErrUnauthorized = errors.New("unauthorized")

// ErrNotFound: no such resource (a path that names nothing).
var ErrNotFound = errors.New("not found")

// Code maps one sentinel error to a wire code and an HTTP status.
type Code struct {
	Err    error
	Code   string
	Status int
}

// Codes is a service's table; the first match wins. ErrNotFound and
// ErrUnauthorized are always known.
type Codes []Code

var common = Codes{
	Map(ErrNotFound, "not_found", http.StatusNotFound),
	Map(ErrUnauthorized, "unauthorized", http.StatusUnauthorized),
}

// Classify returns err's wire code and status (500 "internal" if none).
func (cs Codes) Classify(err error) (string, int) {
	for _, c := range append(cs, common...) {
		if errors.Is(err, c.Err) {
			return c.Code, c.Status
		}
	}
	return "internal", http.StatusInternalServerError
}

// Sentinel returns the sentinel of a wire code, or nil.
func (cs Codes) Sentinel(code string) error {
	for _, c := range append(cs, common...) {
		if c.Code == code {
			return c.Err
		}
	}
	return nil
}

// Reply writes v as JSON with status.
func Reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Fail answers err with its code and status; internal errors are logged
// and not shown.
func (cs Codes) Fail(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code, status := cs.Classify(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error"
	}
	Reply(w, status, ErrorResponse{Error: msg, Code: code})
}

// Decode reads a JSON body strictly: bounded size, known fields, one
// value. Its errors wrap malformed (the service's sentinel for 400).
func Decode(w http.ResponseWriter, r *http.Request, v any, malformed error) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", malformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: request body: trailing data", malformed)
	}
	return nil
}

// Admin wraps an operator endpoint: it requires "Bearer token" (no check
// if token is empty).
func Admin(token string, h http.HandlerFunc) http.HandlerFunc {
	want := []byte("Bearer " + token)
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if token != "" && subtle.ConstantTimeCompare(got, want) != 1 {
			Reply(w, http.StatusUnauthorized, ErrorResponse{Error: "operator endpoint: missing or wrong admin token", Code: "unauthorized"})
			return
		}
		h(w, r)
	}
}

// APIError is a non-2xx answer; it unwraps to the sentinel of its code, so
// callers test errors.Is as they would in process.
type APIError struct {
	Status  int
	Code    string
	Message string
	err     error
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Code) }
func (e *APIError) Unwrap() error { return e.err }

// Client calls a trustbank service.
type Client struct {
	Base       string       // e.g. http://127.0.0.1:8080
	HTTP       *http.Client // default: 30 s timeout
	AdminToken string       // sent as a bearer token when set (operator endpoints)
	Codes      Codes        // the service's table, to unwrap errors
}

// Do sends in (if not nil) as JSON and decodes the answer into out (if not nil).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e ErrorResponse
		json.NewDecoder(resp.Body).Decode(&e)
		return &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Error, err: c.Codes.Sentinel(e.Code)}
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Map is one row of a Codes table.
func Map(err error, code string, status int) Code { return Code{Err: err, Code: code, Status: status} }
