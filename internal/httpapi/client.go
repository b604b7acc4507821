package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

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
	// Signer, when set, signs each request as the holder of an account
	// (see SignRequest); only requests without a body are signed.
	Signer Signer
	Codes  Codes // the service's table, to unwrap errors
}

// Do sends in (if not nil) as JSON and decodes the answer into out (if not nil).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(in); err != nil {
			return err
		}
		body = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if err := c.authorize(req, in != nil); err != nil {
		return err
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

// authorize sets the body's type and the request's credentials.
func (c *Client) authorize(req *http.Request, hasBody bool) error {
	if hasBody {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	}
	if c.Signer != nil && !hasBody {
		return SignRequest(req, c.Signer, time.Now())
	}
	return nil
}
