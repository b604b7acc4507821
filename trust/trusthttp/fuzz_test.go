package trusthttp

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/fuzzcorpus"
	"trustbank/internal/sqldb"
)

var providerPaths = []string{"/v1/users", "/v1/open", "/v1/services", "/v1/feedback", "/v1/users/alice/revoke"}
var servicePaths = []string{"/v1/authenticate", "/v1/serve", "/v1/sessions/report", "/v1/challenge"}

// fuzzHandler: any body to any POST endpoint gets an answer below 500
// (with the operator's token, so the decoders behind it run), and no panic.
func fuzzHandler(f *testing.F, paths []string, h func(*env) http.Handler, token string, seeds ...[]byte) {
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(f))
	must(f, err)
	f.Cleanup(func() { db.Close() })
	e := newEnv(f, db)
	var in [][][]byte
	for i, s := range seeds {
		in = append(in, [][]byte{{byte(i % len(paths))}, s})
	}
	fuzzcorpus.Seed(f, in...)
	f.Fuzz(func(t *testing.T, which, body []byte) {
		path := paths[0]
		if len(which) > 0 {
			path = paths[int(which[0])%len(paths)]
		}
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h(e).ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: HTTP %d %s", path, body, w.Code, w.Body)
		}
	})
}

func FuzzProviderRequest(f *testing.F) {
	fuzzHandler(f, providerPaths, func(e *env) http.Handler { return e.h }, admin,
		[]byte(`{"user":"bob","client_key":"`+b64(make([]byte, 32))+`"}`),
		[]byte(`{"authentication":"AAAA"}`),
		[]byte(`{"service":"s2","key":"`+b64(make([]byte, 32))+`"}`),
		[]byte(`{"report":"ZgAB"}`),
		[]byte(`{}`))
}

func FuzzServiceRequest(f *testing.F) {
	fuzzHandler(f, servicePaths, func(e *env) http.Handler { return e.sh }, svcAdmin,
		[]byte(`{"authentication":"YQAB"}`),
		[]byte(`{"transaction":"`+b64(make([]byte, 32))+`","feature":"read","attributes":{"a":"b"}}`),
		[]byte(`{"transaction":"`+b64(make([]byte, 32))+`","tc":0.5}`),
		[]byte(`{}`))
}
