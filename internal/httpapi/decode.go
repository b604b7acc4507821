package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
)

// Decode reads a JSON body strictly: Content-Type application/json, a
// JSON object (a null or any other value is refused), known fields only,
// one value, at most MaxBody bytes. A wrong Content-Type is
// ErrUnsupportedMediaType, a body that did not arrive in time ErrTimeout;
// every other error wraps malformed (the service's sentinel for 400).
func Decode(w http.ResponseWriter, r *http.Request, v any, malformed error) error {
	if err := jsonContentType(r); err != nil {
		return err
	}
	return DecodeJSON(http.MaxBytesReader(w, r.Body, MaxBody), v, malformed)
}

// DecodeJSON reads one JSON object from r as strictly as Decode reads a
// request body (an object, known fields only, nothing after it); every
// error wraps malformed. Bound r's length yourself (io.LimitReader,
// http.MaxBytesReader). Packages use it for JSON documents from files.
func DecodeJSON(r io.Reader, v any, malformed error) error {
	body := bufio.NewReader(r)
	if err := objectAhead(body); err != nil {
		return bodyError(err, malformed)
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, malformed)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: request body: trailing data", malformed)
	}
	return nil
}

// jsonContentType accepts application/json, with parameters (charset).
func jsonContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w: Content-Type %q, want application/json", ErrUnsupportedMediaType, ct)
	}
	return nil
}

// objectAhead checks that the first non-space byte opens a JSON object.
func objectAhead(br *bufio.Reader) error {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return br.UnreadByte()
		}
		return errNotObject
	}
}

var errNotObject = errors.New("not a JSON object")

// bodyError classifies a read or syntax error of the body.
func bodyError(err error, malformed error) error {
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return fmt.Errorf("%w: request body not received within the read timeout", ErrTimeout)
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty")
	}
	return fmt.Errorf("%w: request body: %v", malformed, err)
}
