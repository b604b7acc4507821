package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// word is a toy protocol message: its encoding is its text, which must
// be lower case.
type word struct{ s string }

var errUpper = errors.New("test: upper case")

func (w *word) MarshalBinary() ([]byte, error) { return []byte(w.s), nil }
func (w *word) UnmarshalBinary(b []byte) error {
	if strings.ToLower(string(b)) != string(b) {
		return errUpper
	}
	w.s = string(b)
	return nil
}

// Step and Deliver over a real server, through Client.Exchange: a message
// goes through and is answered; a message its decoder refuses, a step
// that fails and a body that is no Message are answered with their codes.
func TestMessageSteps(t *testing.T) {
	codes := Codes{Map(errMalformed, "malformed", 400), Map(errUpper, "upper", 422)}
	var got []string
	mux := NewMux()
	mux.HandleFunc("POST /echo", Step(codes, slog.Default(), errMalformed, func(_ context.Context, w *word) (*word, error) {
		return &word{w.s + "!"}, nil
	}))
	mux.HandleFunc("POST /note", Deliver(codes, slog.Default(), errMalformed, func(_ context.Context, w *word) error {
		if w.s == "" {
			return errMalformed
		}
		got = append(got, w.s)
		return nil
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &Client{Base: srv.URL, Codes: codes}
	ctx := context.Background()
	var out word
	if err := c.Exchange(ctx, "/echo", &word{"hi"}, &out); err != nil || out.s != "hi!" {
		t.Fatalf("echo: %q %v", out.s, err)
	}
	if err := c.Exchange(ctx, "/note", &word{"kept"}, nil); err != nil || len(got) != 1 || got[0] != "kept" {
		t.Fatalf("note: %v %v", got, err)
	}
	if err := c.Exchange(ctx, "/echo", &word{"HI"}, &out); !errors.Is(err, errUpper) {
		t.Fatalf("a message the decoder refuses: %v", err)
	}
	if err := c.Exchange(ctx, "/note", &word{""}, nil); !errors.Is(err, errMalformed) {
		t.Fatalf("a failing step: %v", err)
	}
	if err := c.Do(ctx, http.MethodPost, "/echo", map[string]int{"message": 1}, nil); !errors.Is(err, errMalformed) {
		t.Fatalf("a body that is no Message: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("refused notes were delivered: %v", got)
	}
}
