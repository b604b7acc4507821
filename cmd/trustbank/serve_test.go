package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/internal/dbtest"
	"trustbank/internal/httpapi"
	"trustbank/ledger/ledgerhttp"
)

// These tests run a real `trustbank serve` with short limits (its flags)
// and play the clients issue 9 and 10 describe: idle, slow, non-reading,
// too many, malformed, and without credentials.

// hostOf is the host:port of a base URL.
func hostOf(base string) string { return strings.TrimPrefix(base, "http://") }

// dialRaw opens a TCP connection to the server; with rcvbuf > 0 its receive
// buffer is fixed at that size (no autotuning), so a client that does not
// read fills up quickly.
func dialRaw(t *testing.T, base string, rcvbuf int) net.Conn {
	t.Helper()
	d := net.Dialer{}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
			return errors.Join(err, serr)
		}
	}
	c, err := d.Dial("tcp", hostOf(base))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip sends one keep-alive GET on c and reads its answer.
func roundTrip(c net.Conn, br *bufio.Reader, path string) (*http.Response, error) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: trustbank\r\n\r\n"); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// closedWithin reports whether the server closes c within d (reading and
// dropping whatever it still sends).
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// Keep-alive connections left idle are closed after --idle-timeout.
func TestServeClosesIdleConnections(t *testing.T) {
	base, _ := startServer(t, append(serverArgs(t, dbtest.Target{}), "--idle-timeout", "1s")...)
	conns := make([]net.Conn, 50)
	for i := range conns {
		conns[i] = dialRaw(t, base, 0)
		if resp, err := roundTrip(conns[i], bufio.NewReader(conns[i]), "/healthz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	start := time.Now()
	for i, c := range conns {
		if !closedWithin(c, 4*time.Second-time.Since(start)) {
			t.Fatalf("idle connection %d still open %s after its last answer (idle timeout 1s)", i, time.Since(start))
		}
	}
	t.Logf("50 idle connections closed by the server within %s", time.Since(start).Round(10*time.Millisecond))
}

// A request body sent at a few bytes a second is cut off at
// --read-timeout: a JSON 408, then the connection is closed.
func TestServeCutsOffSlowBody(t *testing.T) {
	base, _ := startServer(t, append(serverArgs(t, dbtest.Target{}), "--read-timeout", "1s", "--read-header-timeout", "1s")...)
	c := dialRaw(t, base, 0)
	io.WriteString(c, "POST /v1/swap HTTP/1.1\r\nHost: trustbank\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
	start := time.Now()
	go func() { // one byte every 100 ms: the 200 bytes would take 20 s
		for range 199 {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body after %s: %v", time.Since(start), err)
	}
	var e httpapi.ErrorResponse
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != http.StatusRequestTimeout || e.Code != "timeout" {
		t.Fatalf("slow body: HTTP %d %+v", resp.StatusCode, e)
	}
	if !closedWithin(c, 2*time.Second) {
		t.Fatal("the connection of a cut-off body stayed open")
	}
	t.Logf("slow body cut off after %s: %s", time.Since(start).Round(10*time.Millisecond), e.Error)
}

// A client that pipelines requests and never reads the answers is
// disconnected at --write-timeout instead of holding a send queue, and the
// server keeps answering others meanwhile.
func TestServeDropsClientThatDoesNotRead(t *testing.T) {
	base, _ := startServer(t, append(serverArgs(t, dbtest.Target{}), "--write-timeout", "1s")...)
	probe := dialRaw(t, base, 0)
	resp, err := roundTrip(probe, bufio.NewReader(probe), "/v1/keys")
	if err != nil || resp.StatusCode != 200 || resp.ContentLength <= 0 {
		t.Fatalf("keys: %v", err)
	}
	const queued = 16 << 20 // well over the socket buffers (client's fixed at 16 KiB, server's ≤ 4 MiB)
	n := int(queued/resp.ContentLength) + 1
	c := dialRaw(t, base, 16<<10)
	go func() { // pipelined requests; this blocks once the server stops reading them
		req := []byte("GET /v1/keys HTTP/1.1\r\nHost: trustbank\r\n\r\n")
		for range n {
			if _, err := c.Write(req); err != nil {
				return
			}
		}
	}()
	time.Sleep(2500 * time.Millisecond) // the client reads nothing
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the server stopped answering others: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection of a client that did not read is still open (%d bytes read late)", got)
	}
	if got >= int64(n)*resp.ContentLength {
		t.Fatalf("every one of %d answers was sent (%d bytes) to a client that did not read", n, got)
	}
	t.Logf("non-reading client dropped: %d of %d answers' bytes delivered (%d), then %v", got/resp.ContentLength, n, got, err)
}

// Connections over --max-conns are closed as soon as they are accepted;
// one freed is usable again.
func TestServeCapsConnections(t *testing.T) {
	base, _ := startServer(t, append(serverArgs(t, dbtest.Target{}), "--max-conns", "3")...)
	held := make([]net.Conn, 3)
	for i := range held {
		held[i] = dialRaw(t, base, 0)
		if _, err := roundTrip(held[i], bufio.NewReader(held[i]), "/healthz"); err != nil {
			t.Fatalf("connection %d under the cap: %v", i, err)
		}
	}
	over := dialRaw(t, base, 0)
	if _, err := roundTrip(over, bufio.NewReader(over), "/healthz"); err == nil {
		t.Fatal("a fourth connection was served with --max-conns 3")
	}
	held[0].Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		c := dialRaw(t, base, 0)
		if _, err := roundTrip(c, bufio.NewReader(c), "/healthz"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a freed slot was not reused")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i, c := range held[1:] { // the others were untouched
		if _, err := roundTrip(c, bufio.NewReader(c), "/healthz"); err != nil {
			t.Fatalf("held connection %d: %v", i+1, err)
		}
	}
}

// call sends one request and returns its status, headers and JSON error.
func call(t *testing.T, method, url, contentType, body string, header map[string]string) (int, http.Header, httpapi.ErrorResponse) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e httpapi.ErrorResponse
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 && json.Unmarshal(raw, &e) != nil {
		t.Errorf("%s %s: HTTP %d answered %q, not a JSON error", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, e
}

// 404 and 405 are JSON errors; a null body or a body that is not
// application/json is refused with a 4xx and changes nothing; oversized
// headers are refused.
func TestServeRefusesMalformedRequestsAsJSON(t *testing.T) {
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	admin := map[string]string{"Authorization": "Bearer " + tok}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	open := `{"id":"mallory-acct","owner":"mallory","key":"` + b64(key.Public().(ed25519.PublicKey)) + `","balance":1000000}`
	json := "application/json"
	cases := map[string]struct {
		method, path, contentType, body string
		header                          map[string]string
		status                          int
		code                            string
	}{
		"fail/404":                 {"GET", "/v1/nothing", "", "", nil, 404, "not_found"},
		"fail/404-ledger":          {"GET", "/ledger/v1/nothing", "", "", nil, 404, "not_found"},
		"fail/405-prune":           {"GET", "/v1/prune", "", "", nil, 405, "method_not_allowed"},
		"fail/405-keys":            {"DELETE", "/v1/keys", "", "", nil, 405, "method_not_allowed"},
		"fail/405-ledger-check":    {"GET", "/ledger/v1/check", "", "", nil, 405, "method_not_allowed"},
		"fail/null-restore":        {"POST", "/v1/restore", json, "null", nil, 400, "malformed"},
		"fail/null-swap":           {"POST", "/v1/swap", json, "null", nil, 400, "malformed"},
		"fail/null-withdraw":       {"POST", "/v1/banks/bank-a/withdraw", json, " null ", nil, 400, "malformed"},
		"fail/null-open-account":   {"POST", "/v1/banks/bank-a/accounts", json, "null", admin, 400, "malformed"},
		"fail/array-restore":       {"POST", "/v1/restore", json, `[{"blinded":[]}]`, nil, 400, "malformed"},
		"fail/bucket-too-narrow":   {"GET", "/v1/spent/0?bits=8&prefix=3", "", "", nil, 400, "malformed"},
		"fail/bucket-bad-epoch":    {"GET", "/v1/spent/x/bits", "", "", nil, 400, "malformed"},
		"fail/text-open-account":   {"POST", "/v1/banks/bank-a/accounts", "text/plain", open, admin, 415, "unsupported_media_type"},
		"fail/form-open-account":   {"POST", "/v1/banks/bank-a/accounts", "application/x-www-form-urlencoded", open, admin, 415, "unsupported_media_type"},
		"fail/no-type-register":    {"POST", "/v1/users", "", `{"identity":"mallory","aik":""}`, admin, 415, "unsupported_media_type"},
		"fail/text-restore":        {"POST", "/v1/restore", "text/plain", `{"blinded":[]}`, nil, 415, "unsupported_media_type"},
		"fail/text-ledger-submit":  {"POST", "/ledger/v1/submit", "text/plain", `{"submission":""}`, nil, 415, "unsupported_media_type"},
		"fail/text-ledger-account": {"POST", "/ledger/v1/accounts", "text/plain", `{"name":"mallory","opening":5}`, admin, 415, "unsupported_media_type"},
		"ok/json-charset-restore":  {"POST", "/v1/restore", "application/json; charset=utf-8", `{"blinded":[]}`, nil, 200, ""},
		"ok/bucket-whole-epoch":    {"GET", "/v1/spent/0?bits=0&prefix=0", "", "", nil, 200, ""},
	}
	for name, tc := range cases {
		status, h, e := call(t, tc.method, base+tc.path, tc.contentType, tc.body, tc.header)
		if status != tc.status || e.Code != tc.code {
			t.Errorf("%s: HTTP %d %+v", name, status, e)
		}
		if status == 405 && h.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", name)
		}
	}
	c := &ecashhttp.Client{Base: base, AdminToken: tok}
	if _, err := c.Account(context.Background(), "bank-a", "mallory-acct", nil); !errors.Is(err, ecash.ErrUnknownAccount) {
		t.Fatalf("a refused request opened an account: %v", err)
	}
	if tot, err := c.Totals(context.Background()); err != nil || tot.Balances != 0 {
		t.Fatalf("a refused request changed the totals: %+v %v", tot, err)
	}
	lc := &ledgerhttp.Client{Base: base}
	if _, err := lc.Template(context.Background(), "mallory"); err == nil {
		t.Fatal("a refused request opened a ledger account")
	}
	big, _ := http.NewRequest("GET", base+"/healthz", nil)
	big.Header.Set("X-Big", strings.Repeat("a", 64<<10)) // net/http's own 431 (plain text)
	if resp, err := http.DefaultClient.Do(big); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: %v", err)
	}
}

// Who may read and change what, against a real server: pruning,
// double-spend evidence, totals and the ledger's operator actions need the
// operator token; an account is read by the operator or by its holder in a
// request signed with the account key, and a signature opens nothing else
// and nothing later.
func TestServeWhoMayReadAndChange(t *testing.T) {
	ctx := context.Background()
	sargs := serverArgs(t, dbtest.Target{})
	base, _ := startServer(t, sargs...)
	tok := adminToken(t, sargs)
	op := &ecashhttp.Client{Base: base, AdminToken: tok}
	_, alice, _ := ed25519.GenerateKey(rand.Reader)
	_, bob, _ := ed25519.GenerateKey(rand.Reader)
	must(t, op.OpenAccount(ctx, "bank-a", "alice-acct", "alice", alice.Public().(ed25519.PublicKey), 700))
	must(t, op.OpenAccount(ctx, "bank-a", "bob-acct", "bob", bob.Public().(ed25519.PublicKey), 300))

	for name, c := range map[string]*ecashhttp.Client{"fail/none": {Base: base}, "fail/wrong": {Base: base, AdminToken: tok + "x"}} {
		if _, err := c.Prune(ctx); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: prune: %v", name, err)
		}
		if _, err := c.DoubleSpends(ctx); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: double spends: %v", name, err)
		}
		if _, err := c.Totals(ctx); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: totals: %v", name, err)
		}
		if _, err := c.Account(ctx, "bank-a", "alice-acct", nil); !errors.Is(err, ecashhttp.ErrUnauthorized) {
			t.Errorf("%s: account: %v", name, err)
		}
		lc := &ledgerhttp.Client{Base: base, AdminToken: c.AdminToken}
		if _, err := lc.Check(ctx); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
			t.Errorf("%s: ledger check: %v", name, err)
		}
		if _, err := lc.Recover(ctx); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
			t.Errorf("%s: ledger recover: %v", name, err)
		}
	}
	// What a foreign web page can send: a simple text/plain POST, no token.
	if status, _, e := call(t, "POST", base+"/v1/prune", "text/plain", "x", nil); status != 401 || e.Code != "unauthorized" {
		t.Errorf("text/plain prune: HTTP %d %+v", status, e)
	}

	if _, err := op.Prune(ctx); err != nil {
		t.Errorf("operator prune: %v", err)
	}
	if ds, err := op.DoubleSpends(ctx); err != nil || len(ds) != 0 {
		t.Errorf("operator double spends: %v %v", ds, err)
	}
	if tot, err := op.Totals(ctx); err != nil || tot.Balances != 1000 {
		t.Errorf("operator totals: %+v %v", tot, err)
	}
	if _, err := (&ledgerhttp.Client{Base: base, AdminToken: tok}).Check(ctx); err != nil {
		t.Errorf("operator ledger check: %v", err)
	}

	read := func(id string, key ed25519.PrivateKey) (ecash.Amount, error) {
		a, err := (&ecashhttp.Client{Base: base}).Account(ctx, "bank-a", id, key)
		return a.Balance, err
	}
	if bal, err := read("alice-acct", alice); err != nil || bal != 700 {
		t.Errorf("alice reads her account: %d %v", bal, err)
	}
	if a, err := op.Account(ctx, "bank-a", "bob-acct", nil); err != nil || a.Balance != 300 || a.Owner != "bob" {
		t.Errorf("the operator reads bob's account: %+v %v", a, err)
	}
	if _, err := read("bob-acct", alice); !errors.Is(err, ecashhttp.ErrUnauthorized) {
		t.Errorf("alice reads bob's account: %v", err)
	}
	if _, err := read("nobody-acct", alice); !errors.Is(err, ecashhttp.ErrUnauthorized) {
		t.Errorf("an unknown account is told apart without credentials: %v", err)
	}
	if _, err := op.Account(ctx, "bank-a", "nobody-acct", nil); !errors.Is(err, ecash.ErrUnknownAccount) {
		t.Errorf("the operator on an unknown account: %v", err)
	}

	// A signed header captured from alice's read: moved to bob's account,
	// refused; replayed after the window (its time is old), refused.
	aliceURL := base + "/v1/banks/bank-a/accounts/alice-acct"
	captured, _ := http.NewRequest("GET", aliceURL, nil)
	httpapi.SignRequest(captured, httpapi.Ed25519Signer(alice), time.Now())
	hdr := map[string]string{httpapi.SignatureHeader: captured.Header.Get(httpapi.SignatureHeader)}
	if status, _, _ := call(t, "GET", aliceURL, "", "", hdr); status != 200 {
		t.Errorf("alice's signed read: HTTP %d", status)
	}
	if status, _, e := call(t, "GET", base+"/v1/banks/bank-a/accounts/bob-acct", "", "", hdr); status != 401 {
		t.Errorf("alice's signature on bob's account: HTTP %d %+v", status, e)
	}
	old, _ := http.NewRequest("GET", aliceURL, nil)
	httpapi.SignRequest(old, httpapi.Ed25519Signer(alice), time.Now().Add(-httpapi.SignatureWindow-10*time.Second))
	if status, _, e := call(t, "GET", aliceURL, "", "", map[string]string{httpapi.SignatureHeader: old.Header.Get(httpapi.SignatureHeader)}); status != 401 {
		t.Errorf("a signature from before the window: HTTP %d %+v", status, e)
	}
}
