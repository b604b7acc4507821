package httpapi

import (
	"fmt"
	"net/http"
)

// Mux is an http.ServeMux whose 404 and 405 answers are JSON errors
// (ErrNotFound, ErrMethodNotAllowed with its Allow header) like every
// other refusal, instead of net/http's plain text.
type Mux struct{ *http.ServeMux }

// NewMux returns an empty Mux; register routes on its ServeMux.
func NewMux() *Mux { return &Mux{http.NewServeMux()} }

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := m.Handler(r)
	if pattern != "" {
		m.ServeMux.ServeHTTP(w, r) // sets the path values
		return
	}
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r) // net/http's own 404, or 405 with Allow
	if allow := rec.header.Get("Allow"); rec.status == http.StatusMethodNotAllowed && allow != "" {
		w.Header().Set("Allow", allow)
		replyErr(w, http.StatusMethodNotAllowed, fmt.Errorf("%w: %s %s (allowed: %s)", ErrMethodNotAllowed, r.Method, r.URL.Path, allow))
		return
	}
	replyErr(w, http.StatusNotFound, fmt.Errorf("%w: %s", ErrNotFound, r.URL.Path))
}

func replyErr(w http.ResponseWriter, status int, err error) {
	code, _ := Codes(nil).Classify(err)
	Reply(w, status, ErrorResponse{Error: err.Error(), Code: code})
}

// headerRecorder keeps the status and headers of net/http's fallback
// handlers and drops their plain-text body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(status int)      { h.status = status }
