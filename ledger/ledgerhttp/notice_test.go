package ledgerhttp_test

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/httpapi"
	"trustbank/internal/sqldb"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// An entry's notices are for its payer and payee (in requests signed with
// their account keys) and the operator. Anyone else is refused with one
// and the same answer whether the entry exists or not; a signature for
// one entry or one notice opens no other, and an old one opens nothing.
func TestNoticesForTheirPartiesOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		f := newFixture(t, open)
		alice, bob, mallory := f.account(t, "alice", 10_000), f.account(t, "bob", 1_000), f.account(t, "mallory", 0)
		now := time.Now()
		book := func(from, to *ledger.Account, amount uint64, at time.Time) uint64 {
			m, err := from.Money(to.Name(), amount, "rent", at)
			if err != nil {
				t.Fatal(err)
			}
			sub, _ := to.Submit(m)
			st, err := f.public.Submit(f.ctx, sub)
			if err != nil {
				t.Fatal(err)
			}
			return st.Entry.Index
		}
		e0, e1 := book(alice, bob, 300, now), book(bob, alice, 20, now.Add(time.Second))

		for name, c := range map[string]*ledgerhttp.Client{"payer": f.as(alice), "payee": f.as(bob), "operator": f.admin} {
			st, err := c.Notice(f.ctx, e0)
			if err != nil {
				t.Fatalf("%s: notice: %v", name, err)
			}
			if st.Entry.Index != e0 || st.Entry.Payer != "alice" {
				t.Fatalf("%s: notice of entry %d from %s", name, st.Entry.Index, st.Entry.Payer)
			}
			if _, err := c.BalanceNotice(f.ctx, e0); err != nil {
				t.Fatalf("%s: balance notice: %v", name, err)
			}
		}
		for name, c := range map[string]*ledgerhttp.Client{"anyone": f.public, "another holder": f.as(mallory)} {
			for _, idx := range []uint64{e0, 99} {
				if _, err := c.Notice(f.ctx, idx); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
					t.Errorf("%s: notice %d: %v", name, idx, err)
				}
				if _, err := c.BalanceNotice(f.ctx, idx); !errors.Is(err, ledgerhttp.ErrUnauthorized) {
					t.Errorf("%s: balance notice %d: %v", name, idx, err)
				}
			}
		}

		// Raw requests: the refusal of an existing entry and of a missing
		// one are the same bytes.
		url := func(idx uint64, kind string) string {
			return f.srv.URL + "/ledger/v1/entries/" + strconv.FormatUint(idx, 10) + "/" + kind
		}
		get := func(target, sigHeader string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", target, nil)
			if sigHeader != "" {
				req.Header.Set(httpapi.SignatureHeader, sigHeader)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		signed := func(a *ledger.Account, target string, at time.Time) string {
			t.Helper()
			req, _ := http.NewRequest("GET", target, nil)
			if err := httpapi.SignRequest(req, a.Signer, at); err != nil {
				t.Fatal(err)
			}
			return req.Header.Get(httpapi.SignatureHeader)
		}
		s0, b0 := get(url(e0, "notice"), "")
		s99, b99 := get(url(99, "notice"), "")
		m0, mb0 := get(url(e0, "notice"), signed(mallory, url(e0, "notice"), now))
		m99, mb99 := get(url(99, "notice"), signed(mallory, url(99, "notice"), now))
		if s0 != http.StatusUnauthorized || s0 != s99 || b0 != b99 {
			t.Errorf("unsigned: entry %d → %d %s; missing entry → %d %s", e0, s0, b0, s99, b99)
		}
		if m0 != http.StatusUnauthorized || m0 != m99 || mb0 != mb99 {
			t.Errorf("another holder: entry %d → %d %s; missing entry → %d %s", e0, m0, mb0, m99, mb99)
		}

		// Alice's header for entry e0's notice: good there, now; moved to
		// entry e1 (hers too) or to e0's balance notice, refused; made
		// before the window, refused.
		h := signed(alice, url(e0, "notice"), time.Now())
		for name, tc := range map[string]struct {
			target, header string
			status         int
		}{
			"ok/as-signed":       {url(e0, "notice"), h, http.StatusOK},
			"fail/other-entry":   {url(e1, "notice"), h, http.StatusUnauthorized},
			"fail/other-notice":  {url(e0, "balance"), h, http.StatusUnauthorized},
			"fail/stale":         {url(e0, "notice"), signed(alice, url(e0, "notice"), time.Now().Add(-httpapi.SignatureWindow-10*time.Second)), http.StatusUnauthorized},
			"fail/future":        {url(e0, "notice"), signed(alice, url(e0, "notice"), time.Now().Add(httpapi.SignatureWindow+10*time.Second)), http.StatusUnauthorized},
			"ok/bob-other-entry": {url(e1, "balance"), signed(bob, url(e1, "balance"), time.Now()), http.StatusOK},
		} {
			if status, body := get(tc.target, tc.header); status != tc.status {
				t.Errorf("%s: HTTP %d %s", name, status, body)
			}
		}
	})
}
