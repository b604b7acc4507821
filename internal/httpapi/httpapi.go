package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// MaxBody bounds every request body.
const MaxBody = 1 << 20

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// The errors every service knows (Codes.Classify adds them to each table).
var (
	// ErrUnauthorized: a missing or wrong credential (admin token or
	// request signature).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound: no such resource (a path that names nothing).
	ErrNotFound = errors.New("not found")
	// ErrMethodNotAllowed: the path exists, the method does not.
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrUnsupportedMediaType: a body that is not application/json.
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrTimeout: the request body did not arrive within the read timeout.
	ErrTimeout = errors.New("request timeout")
)

// Code maps one sentinel error to a wire code and an HTTP status.
type Code struct {
	Err    error
	Code   string
	Status int
}

// Codes is a service's table; the first match wins. The package's own
// sentinels (ErrNotFound, ErrUnauthorized, …) are always known.
type Codes []Code

var common = Codes{
	Map(ErrNotFound, "not_found", http.StatusNotFound),
	Map(ErrUnauthorized, "unauthorized", http.StatusUnauthorized),
	Map(ErrMethodNotAllowed, "method_not_allowed", http.StatusMethodNotAllowed),
	Map(ErrUnsupportedMediaType, "unsupported_media_type", http.StatusUnsupportedMediaType),
	Map(ErrTimeout, "timeout", http.StatusRequestTimeout),
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

// Map is one row of a Codes table.
func Map(err error, code string, status int) Code { return Code{Err: err, Code: code, Status: status} }
