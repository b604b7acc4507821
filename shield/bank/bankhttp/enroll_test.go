package bankhttp_test

import (
	"crypto/x509/pkix"
	"errors"
	"net/http"
	"strings"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank"
	"trustbank/shield/ca/cert"
)

// Enrollment refusals over HTTP: a wrong code is 403 code_invalid, a
// request the CA refuses (it claims an ID number that is not the
// holder's) is 422 identity and does not use up the code, which then
// enrolls a request with no claim (the certificate carries the bank's
// record); a second confirmation is 409.
func TestEnrollRefusals(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		must(t, e.c.OpenAccount(ctx, alice, "Alice", idCard, "pw", 1000*yuan))
		d, card := device(t, e.c)
		ses, err := e.c.PasswordLogin(ctx, &bank.PasswordLogin{Account: alice, Password: "pw"})
		must(t, err)
		_, err = e.c.PasswordLogin(ctx, &bank.PasswordLogin{Account: alice, Password: "wrong"})
		wantCode(t, err, http.StatusUnauthorized, "bad_credentials", bank.ErrBadCredentials)
		code, err := e.c.IssueAuthCode(ctx, alice)
		must(t, err)

		req, err := d.EnrollRequest(ses, "0000", pkix.Name{CommonName: alice, SerialNumber: "IDCCN-" + idCard})
		must(t, err)
		_, err = e.c.Enroll(ctx, req)
		wantCode(t, err, http.StatusForbidden, "code_invalid", bank.ErrCodeInvalid)

		req, err = d.EnrollRequest(ses, code, pkix.Name{CommonName: alice, SerialNumber: "IDCCN-310115198001010024"})
		must(t, err)
		_, err = e.c.Enroll(ctx, req)
		wantCode(t, err, http.StatusUnprocessableEntity, "identity", cert.ErrIdentity)

		req, err = d.EnrollRequest(ses, code, pkix.Name{CommonName: alice})
		must(t, err)
		resp, err := e.c.Enroll(ctx, req)
		must(t, err)
		conf, err := d.FinishEnrollment(ctx, card.Public(), resp)
		must(t, err)
		must(t, e.c.ConfirmEnrollment(ctx, conf))
		must(t, e.c.ConfirmEnrollment(ctx, conf)) // a retry: success, nothing changes
		err = e.c.ConfirmEnrollment(ctx, &bank.EnrollConfirm{ID: conf.ID, Status: bank.EnrollFailed})
		wantCode(t, err, http.StatusConflict, "enrollment", bank.ErrEnrollment)
		certLogin(t, e.c, d, alice)
		e.checkIssued(alice)
	})
}

// The holder's resident ID number is checked when the account is opened
// (18 characters, the GB 11643 / ISO 7064 MOD 11-2 check character):
// a wrong one is 422 identity and opens nothing. An account opened
// before the bank kept ID numbers (as the migration leaves it) cannot
// enroll: the CA has no ID number to certify.
func TestAccountIDCard(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		for _, bad := range []string{"", "11010519491231002", "110105194912310021", "11010519491231002x", "1101051949123100２X", "A1010519491231002X"} {
			err := e.c.OpenAccount(ctx, alice, "Alice", bad, "pw", 1000*yuan)
			wantCode(t, err, http.StatusUnprocessableEntity, "identity", cert.ErrIdentity)
			if !strings.Contains(err.Error(), "resident ID number") {
				t.Fatalf("%q: unclear error %v", bad, err)
			}
		}
		if _, err := e.node.Shield.Store.Account(ctx, alice); !errors.Is(err, bank.ErrUnknownAccount) || e.money() != 0 {
			t.Fatalf("a refused account was opened: %v", err)
		}
		must(t, e.c.OpenAccount(ctx, bob, "Bob", idCard, "pw", 0))
		_, err := e.node.DB.ExecContext(ctx, e.node.DB.Rebind(`UPDATE bank_accounts SET id_card = '' WHERE id = ?`), bob)
		must(t, err) // as migration 0002 leaves an account opened before it
		d, _ := device(t, e.c)
		ses, err := e.c.PasswordLogin(ctx, &bank.PasswordLogin{Account: bob, Password: "pw"})
		must(t, err)
		code, err := e.c.IssueAuthCode(ctx, bob)
		must(t, err)
		req, err := d.EnrollRequest(ses, code, pkix.Name{CommonName: bob, SerialNumber: "IDCCN-" + idCard})
		must(t, err)
		_, err = e.c.Enroll(ctx, req)
		wantCode(t, err, http.StatusUnprocessableEntity, "identity", cert.ErrIdentity)
		if !strings.Contains(err.Error(), "no resident ID number on file") {
			t.Fatalf("unclear error: %v", err)
		}
	})
}
