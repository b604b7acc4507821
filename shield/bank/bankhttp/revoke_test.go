package bankhttp_test

import (
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank"
	"trustbank/shield/ca"
)

// The operator revokes alice's certificate over HTTP: only with the
// admin token; from the answer on the CRL lists it and the bank refuses
// her certificate login, a pre-submit and the confirmation of an order
// she signed before — also after a restart — while bob is unaffected.
func TestRevokeOverHTTP(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		da := customer(t, e.c, alice, 1000*yuan)
		db := customer(t, e.c, bob, 0)
		ses, _ := certLogin(t, e.c, da, alice)
		_, conf := signedOrder(t, e.c, da, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: 10 * yuan})
		crl0, err := e.c.CRL(ctx) // cached before the revocation
		must(t, err)
		serial := boundSerial(t, e, alice)

		_, err = e.anon.RevokeAccount(ctx, alice, ca.KeyCompromise)
		wantCode(t, err, http.StatusUnauthorized, "unauthorized", nil)
		_, err = e.c.RevokeCertificate(ctx, big.NewInt(0x5eed), ca.KeyCompromise)
		wantCode(t, err, http.StatusNotFound, "unknown_serial", ca.ErrUnknownSerial)
		_, err = e.c.RevokeAccount(ctx, "6222020000000404", ca.KeyCompromise)
		wantCode(t, err, http.StatusNotFound, "unknown_account", bank.ErrUnknownAccount)
		if _, err := e.c.CRL(ctx); err != nil || isRevoked(t, e, crl0, serial) {
			t.Fatalf("refused revocations changed the CRL: %v", err)
		}

		r, err := e.c.RevokeAccount(ctx, alice, ca.KeyCompromise)
		must(t, err)
		if r.Serial != serial.Text(16) || r.Reason != "keyCompromise" {
			t.Fatalf("revoked %+v, want serial %x", r, serial)
		}
		_, err = e.c.RevokeCertificate(ctx, serial, ca.Superseded)
		wantCode(t, err, http.StatusConflict, "already_revoked", ca.ErrAlreadyRevoked)

		for _, when := range []string{"before", "after"} {
			if when == "after" {
				e.reopen()
			}
			crl, err := e.c.CRL(ctx)
			must(t, err)
			if !isRevoked(t, e, crl, serial) {
				t.Fatalf("%s restart: the CRL does not list %x", when, serial)
			}
			ch, err := e.c.Challenge(ctx, alice)
			must(t, err)
			resp, err := da.AnswerLogin(ch)
			must(t, err)
			_, err = e.c.Login(ctx, resp)
			wantCode(t, err, http.StatusForbidden, "revoked", bank.ErrRevoked)
			_, err = e.c.PreSubmit(ctx, &bank.PreSubmit{Session: ses.Token, Payment: bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: yuan}})
			wantCode(t, err, http.StatusForbidden, "revoked", bank.ErrRevoked)
			if when == "before" {
				_, err = e.c.Confirm(ctx, conf)
				wantCode(t, err, http.StatusForbidden, "revoked", bank.ErrRevoked)
			}
			certLogin(t, e.c, db, bob)
			if e.balance(alice) != 1000*yuan || e.money() != 1000*yuan {
				t.Fatalf("%s restart: alice has %d", when, e.balance(alice))
			}
		}
	})
}

// Malformed revocations: a serial that is not hex, an unknown reason.
func TestRevokeMalformed(t *testing.T) {
	e := newEnv(t, dbtest.Target{Path: dbtest.SQLitePath(t)})
	customer(t, e.c, alice, 0)
	for _, c := range []struct {
		path, body, code string
		status           int
	}{
		{"/shield/v1/certs/zz/revoke", `{}`, "malformed", http.StatusBadRequest},
		{"/shield/v1/certs/-1/revoke", `{}`, "malformed", http.StatusBadRequest},
		{"/shield/v1/accounts/" + alice + "/revoke", `{"reason":"bored"}`, "reason", http.StatusBadRequest},
		{"/shield/v1/accounts/" + alice + "/revoke", `{"reason":1}`, "malformed", http.StatusBadRequest},
		{"/shield/v1/accounts/" + bob + "/revoke", `{}`, "unknown_account", http.StatusNotFound},
	} {
		status, code := e.adminPost(c.path, c.body)
		if status != c.status || code != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.path, c.body, status, code, c.status, c.code)
		}
	}
	if _, err := e.c.RevokeAccount(ctx, alice, ca.Unspecified); err != nil {
		t.Fatalf("after the malformed ones: %v", err)
	}
}

// adminPost posts a JSON body with the admin token and returns the
// status and the error code.
func (e *env) adminPost(path, body string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	must(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.c.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	var r struct{ Code string }
	json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r.Code
}

func boundSerial(t *testing.T, e *env, account string) *big.Int {
	a, err := e.node.Shield.Store.Account(ctx, account)
	must(t, err)
	c, err := smx509.ParseCertificate(a.Cert)
	must(t, err)
	return c.SerialNumber
}

// isRevoked checks the CRL's signature by the issuing CA and looks for serial.
func isRevoked(t *testing.T, e *env, der []byte, serial *big.Int) bool {
	crl, err := bank.NewCRL(der, e.node.Shield.Authority.Issuing())
	must(t, err)
	got, err := crl.Revoked(ctx, &smx509.Certificate{RawIssuer: e.node.Shield.Authority.Issuing().RawSubject, SerialNumber: serial})
	must(t, err)
	return got
}
