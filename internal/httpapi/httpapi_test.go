package httpapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var errMalformed = errors.New("test: malformed")

func TestServerConfigValidate(t *testing.T) {
	def := DefaultServerConfig("127.0.0.1:0")
	with := func(f func(*ServerConfig)) ServerConfig { c := def; f(&c); return c }
	cases := map[string]struct {
		cfg ServerConfig
		ok  bool
	}{
		"ok/defaults":            {def, true},
		"ok/short":               {with(func(c *ServerConfig) { c.ReadHeaderTimeout, c.ReadTimeout = time.Second, time.Second }), true},
		"fail/no-addr":           {with(func(c *ServerConfig) { c.Addr = "" }), false},
		"fail/no-read-timeout":   {with(func(c *ServerConfig) { c.ReadTimeout = 0 }), false},
		"fail/no-write-timeout":  {with(func(c *ServerConfig) { c.WriteTimeout = 0 }), false},
		"fail/no-idle-timeout":   {with(func(c *ServerConfig) { c.IdleTimeout = -time.Second }), false},
		"fail/header-over-read":  {with(func(c *ServerConfig) { c.ReadHeaderTimeout = c.ReadTimeout + 1 }), false},
		"fail/tiny-headers":      {with(func(c *ServerConfig) { c.MaxHeaderBytes = 100 }), false},
		"fail/huge-headers":      {with(func(c *ServerConfig) { c.MaxHeaderBytes = 2 << 20 }), false},
		"fail/no-conns":          {with(func(c *ServerConfig) { c.MaxConns = 0 }), false},
		"fail/negative-shutdown": {with(func(c *ServerConfig) { c.ShutdownTimeout = -1 }), false},
	}
	for name, tc := range cases {
		err := tc.cfg.Validate()
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Connections over the cap are closed as soon as accepted; a freed slot
// is taken by the next connection.
func TestLimitListener(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitListener(raw, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first, _ := dial(), dial()
	held := []net.Conn{<-accepted, <-accepted}
	if !closedSoon(dial(), 2*time.Second) {
		t.Fatal("a connection over the cap was kept open")
	}
	held[0].Close()
	first.Close()
	next := dial()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(2 * time.Second):
		t.Fatal("a freed slot was not reused")
	}
	next.Close()
	held[1].Close()
}

// closedSoon reports whether the peer closes c within d.
func closedSoon(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	ne, timeout := err.(net.Error)
	return !(timeout && ne.Timeout())
}

type decodeTarget struct {
	A int `json:"a"`
}

func TestDecode(t *testing.T) {
	cases := map[string]struct {
		contentType, body string
		want              error
	}{
		"ok/object":             {"application/json", `{"a": 1}`, nil},
		"ok/charset":            {"application/json; charset=utf-8", `{"a": 1}`, nil},
		"ok/leading-space":      {"application/json", " \n\t{\"a\": 1}\n", nil},
		"fail/null":             {"application/json", `null`, errMalformed},
		"fail/null-spaced":      {"application/json", "  null  ", errMalformed},
		"fail/array":            {"application/json", `[{"a": 1}]`, errMalformed},
		"fail/number":           {"application/json", `1`, errMalformed},
		"fail/empty":            {"application/json", ``, errMalformed},
		"fail/unknown-field":    {"application/json", `{"a": 1, "b": 2}`, errMalformed},
		"fail/trailing":         {"application/json", `{"a": 1} {}`, errMalformed},
		"fail/trailing-brace":   {"application/json", `{"a": 1}}`, errMalformed},
		"fail/trailing-space-x": {"application/json", `{"a": 1}  x`, errMalformed},
		"ok/trailing-newline":   {"application/json", "{\"a\": 1}\n\n", nil},
		"fail/truncated":        {"application/json", `{"a": `, errMalformed},
		"fail/too-big":          {"application/json", `{"a": 1` + strings.Repeat(" ", MaxBody) + `}`, errMalformed},
		"fail/no-content-type":  {"", `{"a": 1}`, ErrUnsupportedMediaType},
		"fail/text-plain":       {"text/plain", `{"a": 1}`, ErrUnsupportedMediaType},
		"fail/form":             {"application/x-www-form-urlencoded", `{"a": 1}`, ErrUnsupportedMediaType},
		"fail/json-suffix":      {"application/json-seq", `{"a": 1}`, ErrUnsupportedMediaType},
		"fail/bad-media-type":   {"application/json;;", `{"a": 1}`, ErrUnsupportedMediaType},
	}
	for name, tc := range cases {
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(tc.body))
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		var v decodeTarget
		err := Decode(httptest.NewRecorder(), r, &v, errMalformed)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) || (err == nil && v.A != 1) {
			t.Errorf("%s: %v (decoded %+v)", name, err, v)
		}
	}
}

// A body dribbled in slower than the read timeout is cut off with a JSON
// 408, and the connection is closed.
func TestSlowBodyCutOff(t *testing.T) {
	cfg := DefaultServerConfig("127.0.0.1:0")
	cfg.ReadHeaderTimeout, cfg.ReadTimeout = 300*time.Millisecond, 300*time.Millisecond
	done := make(chan error, 1)
	base := serveTest(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v decodeTarget
		err := Decode(w, r, &v, errMalformed)
		done <- err
		Codes(nil).Fail(nil, w, r, err)
	}))
	c, err := net.Dial("tcp", base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	go func() {
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("slow body: %v", err)
		}
	case <-time.After(1500 * time.Millisecond):
		t.Fatal("a slow body was not cut off")
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, _ := io.ReadAll(c)
	if !bytes.HasPrefix(got, []byte("HTTP/1.1 408")) || !bytes.Contains(got, []byte(`"code":"timeout"`)) {
		t.Fatalf("answer to a slow body: %q", got)
	}
}

// serveTest serves h with cfg until the test ends and returns its address.
func serveTest(t *testing.T, cfg ServerConfig, h http.Handler) string {
	t.Helper()
	ln, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Serve(ctx, cfg, ln, h); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

func TestMuxAnswersJSON(t *testing.T) {
	mux := NewMux()
	mux.HandleFunc("POST /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		Reply(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	cases := map[string]struct {
		method, path string
		status       int
		code, allow  string
	}{
		"ok/route":          {"POST", "/v1/things/7", 200, "", ""},
		"fail/no-path":      {"GET", "/v1/nothing", 404, "not_found", ""},
		"fail/root":         {"GET", "/", 404, "not_found", ""},
		"fail/wrong-method": {"GET", "/v1/things/7", 405, "method_not_allowed", "POST"},
		"fail/delete":       {"DELETE", "/v1/things/7", 405, "method_not_allowed", "POST"},
	}
	for name, tc := range cases {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		var e ErrorResponse
		err := json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != tc.status || err != nil || e.Code != tc.code || w.Header().Get("Allow") != tc.allow ||
			w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: HTTP %d %q Allow %q", name, w.Code, w.Body, w.Header().Get("Allow"))
		}
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("POST", "/v1/things/7", nil))
	if !strings.Contains(w.Body.String(), `"id":"7"`) {
		t.Fatalf("path values lost: %s", w.Body)
	}
}

func TestAdmin(t *testing.T) {
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	cases := map[string]struct {
		token, header string
		status        int
	}{
		"ok/token":          {"s3cret", "Bearer s3cret", 204},
		"fail/none":         {"s3cret", "", 401},
		"fail/wrong":        {"s3cret", "Bearer s3cres", 401},
		"fail/not-bearer":   {"s3cret", "s3cret", 401},
		"fail/no-operator":  {"", "", 401},
		"fail/empty-bearer": {"", "Bearer ", 401},
	}
	for name, tc := range cases {
		r := httptest.NewRequest("POST", "/x", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		w := httptest.NewRecorder()
		Admin(tc.token, ok)(w, r)
		if w.Code != tc.status {
			t.Errorf("%s: HTTP %d", name, w.Code)
		}
	}
}

func TestSignedRequests(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	signed := func(method, target string, k ed25519.PrivateKey, at time.Time) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		if err := SignRequest(r, Ed25519Signer(k), at); err != nil {
			t.Fatal(err)
		}
		return r
	}
	moved := func(r *http.Request, method, target string) *http.Request {
		m := httptest.NewRequest(method, target, nil)
		m.Header = r.Header
		return m
	}
	good := signed("GET", "/v1/banks/b/accounts/alice", key, now)
	withBody := signed("GET", "/v1/banks/b/accounts/alice", key, now)
	withBody.ContentLength = 3
	cases := map[string]struct {
		r  *http.Request
		ok bool
	}{
		"ok/now":               {good, true},
		"ok/escaped-path":      {signed("GET", "/v1/banks/b/accounts/a%2Fb%20c", key, now), true},
		"ok/query":             {signed("GET", "/v1/x?epoch=3", key, now), true},
		"ok/window-past":       {signed("GET", "/v1/x", key, now.Add(-SignatureWindow)), true},
		"ok/window-future":     {signed("GET", "/v1/x", key, now.Add(SignatureWindow)), true},
		"fail/replayed-late":   {signed("GET", "/v1/x", key, now.Add(-SignatureWindow-time.Second)), false},
		"fail/future":          {signed("GET", "/v1/x", key, now.Add(SignatureWindow+time.Second)), false},
		"fail/other-account":   {moved(good, "GET", "/v1/banks/b/accounts/bob"), false},
		"fail/other-bank":      {moved(good, "GET", "/v1/banks/c/accounts/alice"), false},
		"fail/other-method":    {moved(good, "DELETE", "/v1/banks/b/accounts/alice"), false},
		"fail/query-added":     {moved(good, "GET", "/v1/banks/b/accounts/alice?x=1"), false},
		"fail/other-key":       {signed("GET", "/v1/banks/b/accounts/alice", other, now), false},
		"fail/unsigned":        {httptest.NewRequest("GET", "/v1/x", nil), false},
		"fail/with-body":       {withBody, false},
		"fail/garbage":         {withHeader(SignatureHeader, "1800000000 !!!"), false},
		"fail/no-time":         {withHeader(SignatureHeader, "abc "+strings.Repeat("A", 88)), false},
		"fail/short-signature": {withHeader(SignatureHeader, "1800000000 AAAA"), false},
	}
	for name, tc := range cases {
		err := VerifyRequest(tc.r, now, Ed25519Verifier(pub))
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrUnauthorized)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if VerifyRequest(good, now, Ed25519Verifier(nil)) == nil || VerifyRequest(good, now) == nil || VerifyRequest(good, now, nil) == nil {
		t.Fatal("verified without a key")
	}
	// Any one of several keys may sign; the refusal reads the same whoever
	// the keys are, so it tells nothing about them.
	otherPub := other.Public().(ed25519.PublicKey)
	if err := VerifyRequest(good, now, Ed25519Verifier(otherPub), Ed25519Verifier(pub)); err != nil {
		t.Fatalf("second of two keys: %v", err)
	}
	refusedBy := func(by ...Verifier) string { return VerifyRequest(moved(good, "GET", "/v1/y"), now, by...).Error() }
	if a, b := refusedBy(), refusedBy(Ed25519Verifier(pub), Ed25519Verifier(otherPub)); a != b {
		t.Fatalf("refusals differ: %q, %q", a, b)
	}
}

func withHeader(k, v string) *http.Request {
	r := httptest.NewRequest("GET", "/v1/x", nil)
	r.Header.Set(k, v)
	return r
}

// The client signs bodiless requests with its Key so that the server sees
// the same request URI.
func TestClientSigns(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := VerifyRequest(r, time.Now(), Ed25519Verifier(pub)); err != nil {
			Codes(nil).Fail(nil, w, r, err)
			return
		}
		Reply(w, http.StatusOK, map[string]string{})
	}))
	defer srv.Close()
	c := &Client{Base: srv.URL, Signer: Ed25519Signer(key)}
	if err := c.Do(context.Background(), "GET", "/v1/banks/b/accounts/"+"a%2Fb%20c?x=1", nil, nil); err != nil {
		t.Fatal(err)
	}
	c.Signer = nil
	if err := c.Do(context.Background(), "GET", "/v1/x", nil, nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("unsigned: %v", err)
	}
}

// FuzzDecode: any body is refused or decodes to a value that encodes and
// decodes back to itself; nothing panics.
func FuzzDecode(f *testing.F) {
	seeds := []string{`{"a": 1}`, `null`, `{"a": 1}}`, ` {"a":-0}`, `[]`, `{"a": 1e400}`, `{"b": 2}`, "\ufeff{}"}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v decodeTarget
		if decodeBytes(body, &v) != nil {
			return
		}
		enc, _ := json.Marshal(v)
		var w decodeTarget
		if err := decodeBytes(enc, &w); err != nil || w != v {
			t.Fatalf("%q decoded to %+v, which re-decodes to %+v (%v)", body, v, w, err)
		}
	})
}

func decodeBytes(body []byte, v any) error {
	r := httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return Decode(httptest.NewRecorder(), r, v, errMalformed)
}
