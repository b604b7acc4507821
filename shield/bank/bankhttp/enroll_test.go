package bankhttp_test

import (
	"crypto/x509/pkix"
	"net/http"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank"
	"trustbank/shield/ca/cert"
)

// Enrollment refusals over HTTP: a wrong code is 403 code_invalid, a
// request the CA refuses (no ID number) is 422 identity and does not use
// up the code, which then enrolls; a second confirmation is 409.
func TestEnrollRefusals(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		must(t, e.c.OpenAccount(ctx, alice, "Alice", "pw", 1000*yuan))
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

		req, err = d.EnrollRequest(ses, code, pkix.Name{CommonName: alice})
		must(t, err)
		_, err = e.c.Enroll(ctx, req)
		wantCode(t, err, http.StatusUnprocessableEntity, "identity", cert.ErrIdentity)

		req, err = d.EnrollRequest(ses, code, pkix.Name{CommonName: alice, SerialNumber: "IDCCN-" + idCard})
		must(t, err)
		resp, err := e.c.Enroll(ctx, req)
		must(t, err)
		conf, err := d.FinishEnrollment(ctx, &card.key.PublicKey, resp)
		must(t, err)
		must(t, e.c.ConfirmEnrollment(ctx, conf))
		err = e.c.ConfirmEnrollment(ctx, conf)
		wantCode(t, err, http.StatusConflict, "enrollment", bank.ErrEnrollment)
		certLogin(t, e.c, d, alice)
	})
}
