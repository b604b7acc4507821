package bankhttp_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank"
)

// post sends body to path with contentType and returns the status and
// the error code.
func post(t *testing.T, base, path, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(base+path, contentType, bytes.NewBufferString(body))
	must(t, err)
	defer resp.Body.Close()
	var e struct{ Code string }
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Code
}

func msgBody(b []byte) string {
	return `{"message":"` + base64.StdEncoding.EncodeToString(b) + `"}`
}

// Malformed bodies and messages are 4xx with their own codes, never a
// 500, and change nothing: the challenge they aimed at still logs in, the
// order still books, and no money moved.
func TestMalformedChangesNothing(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		d := customer(t, e.c, alice, 1000*yuan)
		customer(t, e.c, bob, 0)
		weak, err := e.c.PasswordLogin(ctx, &bank.PasswordLogin{Account: alice, Password: "pw-" + alice})
		must(t, err)
		ses, _ := certLogin(t, e.c, d, alice)
		ch, err := e.c.Challenge(ctx, alice)
		must(t, err)
		resp, err := d.AnswerLogin(ch)
		must(t, err)
		_, conf := signedOrder(t, e.c, d, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: 10 * yuan})

		loginEnc, _ := resp.MarshalBinary()
		forged := *resp
		forged.Sig = append([]byte(nil), resp.Sig...)
		forged.Sig[len(forged.Sig)-1] ^= 1
		forgedEnc, _ := forged.MarshalBinary()
		confEnc, _ := conf.MarshalBinary()
		badOrder := *conf
		badOrder.Order = append([]byte(nil), conf.Order...)
		badOrder.Order[len(badOrder.Order)-1] ^= 1
		badOrderEnc, _ := badOrder.MarshalBinary()
		garbageCSR, _ := (&bank.EnrollRequest{Session: weak.Token, Code: "x", CSR: []byte{0x30, 0x03, 1, 2, 3}}).MarshalBinary()
		sesEnc, _ := ses.MarshalBinary()
		const js = "application/json"
		for _, tc := range []struct {
			name, path, ct, body string
			status               int
			code                 string
		}{
			{"not json", "/shield/v1/login", js, "{", 400, "malformed"},
			{"null", "/shield/v1/login", js, "null", 400, "malformed"},
			{"array", "/shield/v1/login", js, "[]", 400, "malformed"},
			{"unknown field", "/shield/v1/login", js, `{"message":"","x":1}`, 400, "malformed"},
			{"trailing json", "/shield/v1/login", js, msgBody(loginEnc) + "{}", 400, "malformed"},
			{"not base64", "/shield/v1/login", js, `{"message":"!!"}`, 400, "malformed"},
			{"content type", "/shield/v1/login", "text/plain", msgBody(loginEnc), 415, "unsupported_media_type"},
			{"empty message", "/shield/v1/login", js, msgBody(nil), 400, "malformed"},
			{"wrong kind", "/shield/v1/login", js, msgBody(sesEnc), 400, "malformed"},
			{"trailing byte", "/shield/v1/login", js, msgBody(append(loginEnc, 0)), 400, "malformed"},
			{"forged login", "/shield/v1/login", js, msgBody(forgedEnc), 403, "bad_signature"},
			{"trailing confirm", "/shield/v1/orders/confirm", js, msgBody(append(confEnc, 0)), 400, "malformed"},
			{"changed order", "/shield/v1/orders/confirm", js, msgBody(badOrderEnc), 422, "order_mismatch"},
			{"garbage CSR", "/shield/v1/enroll", js, msgBody(garbageCSR), 400, "malformed"},
			{"bad enroll confirm", "/shield/v1/enroll/confirm", js, msgBody([]byte{byte(bank.KindEnrollConfirm)}), 400, "malformed"},
			{"challenge field", "/shield/v1/login/challenge", js, `{"account":1}`, 400, "malformed"},
			{"long account", "/shield/v1/login/challenge", js, `{"account":"` + string(bytes.Repeat([]byte("1"), 65)) + `"}`, 400, "malformed"},
			{"unknown path", "/shield/v1/nothing", js, "{}", 404, "not_found"},
		} {
			status, code := post(t, e.srv.URL, tc.path, tc.ct, tc.body)
			if status != tc.status || code != tc.code {
				t.Errorf("%s: HTTP %d %s, want %d %s", tc.name, status, code, tc.status, tc.code)
			}
		}
		for _, tc := range []struct {
			name, body string
			status     int
			code       string
		}{
			{"no id", `{"owner":"X","password":"p","balance":1}`, 400, "malformed"},
			{"long id", `{"id":"` + string(bytes.Repeat([]byte("1"), 65)) + `","owner":"X","password":"p","balance":1}`, 400, "malformed"},
			{"negative", `{"id":"6222020000000009","owner":"X","password":"p","balance":-1}`, 400, "malformed"},
			{"too much", `{"id":"6222020000000009","owner":"X","id_card":"11010519491231002X","password":"p","balance":18446744073709551615}`, 422, "amount_range"},
			{"bad ID number", `{"id":"6222020000000009","owner":"X","id_card":"110105194912310020","password":"p","balance":1}`, 422, "identity"},
		} {
			status, code := e.adminPost("/shield/v1/accounts", tc.body)
			if status != tc.status || code != tc.code {
				t.Errorf("open account %s: HTTP %d %s, want %d %s", tc.name, status, code, tc.status, tc.code)
			}
		}
		if e.money() != 1000*yuan || e.balance(bob) != 0 {
			t.Fatalf("money moved: %d, bob %d", e.money(), e.balance(bob))
		}
		if _, err := e.c.Login(ctx, resp); err != nil {
			t.Fatalf("the challenge no longer logs in after malformed attempts: %v", err)
		}
		if _, err := e.c.Confirm(ctx, conf); err != nil || e.balance(bob) != 10*yuan {
			t.Fatalf("the order no longer books after malformed attempts: %v", err)
		}
	})
}
