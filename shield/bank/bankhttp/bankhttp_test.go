package bankhttp_test

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"net/http"
	"strings"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
	"trustbank/shield/bank/banktest"
)

const (
	alice = "6222020000000001"
	bob   = "6222020000000002"
)

func newID() (id [bank.IDSize]byte) {
	rand.Read(id[:])
	return id
}

// The paper's three flows over HTTP: enrollment through the node's real
// CA, certificate login, a card-signed transfer.
func TestEnrollLoginTransfer(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		d := customer(t, e.c, alice, 1000*yuan)
		customer(t, e.c, bob, 0)
		e.checkIssued(alice)
		ses, _ := certLogin(t, e.c, d, alice)
		if ses.Level != bank.LevelCertificate || ses.Account != alice {
			t.Fatalf("session %v for %s", ses.Level, ses.Account)
		}
		_, conf := signedOrder(t, e.c, d, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: 300 * yuan})
		rc, err := e.c.Confirm(ctx, conf)
		must(t, err)
		if rc.Amount != 300*yuan || rc.Balance != 700*yuan || rc.Level != bank.LevelCertificate {
			t.Fatalf("receipt %+v", rc)
		}
		if e.balance(bob) != 300*yuan || e.money() != 1000*yuan {
			t.Fatalf("bob has %d, money %d", e.balance(bob), e.money())
		}
	})
}

// A login response and a confirmation are single-use, also across a
// restart of the node: the replayed login response is 409 challenge_used;
// a byte-identical confirmation is a retry that answers the first receipt
// and moves nothing, and a fresh card signature over the booked order is
// 409 nonce_used.
func TestReplaysRefusedAfterReopen(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		d := customer(t, e.c, alice, 1000*yuan)
		customer(t, e.c, bob, 0)
		ses, loginResp := certLogin(t, e.c, d, alice)
		o, conf := signedOrder(t, e.c, d, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: 100 * yuan})
		first, err := e.c.Confirm(ctx, conf)
		must(t, err)
		for _, when := range []string{"before", "after"} {
			if when == "after" {
				e.reopen()
			}
			_, err := e.c.Login(ctx, loginResp)
			wantCode(t, err, http.StatusConflict, "challenge_used", bank.ErrChallengeUsed)
			again, err := e.c.Confirm(ctx, conf)
			must(t, err)
			if *again != *first {
				t.Fatalf("%s reopening: retry answered %+v, first %+v", when, again, first)
			}
			resigned, err := d.SignOrder(o, []byte(banktest.PIN))
			must(t, err)
			_, err = e.c.Confirm(ctx, resigned)
			wantCode(t, err, http.StatusConflict, "nonce_used", bank.ErrNonceUsed)
			if e.balance(alice) != 900*yuan || e.money() != 1000*yuan {
				t.Fatalf("%s reopening: alice has %d", when, e.balance(alice))
			}
		}
	})
}

// The PBOC rule over HTTP: a session-only transfer that takes the day's
// total above 50,000 CNY is 403 certificate_required and moves nothing; the
// same payment signed by the card goes through.
func TestDailyRuleOverHTTP(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		d := customer(t, e.c, alice, 100_000*yuan)
		customer(t, e.c, bob, 0)
		weak, err := e.c.PasswordLogin(ctx, &bank.PasswordLogin{Account: alice, Password: "pw-" + alice})
		must(t, err)
		pay := func(amount uint64) bank.Payment {
			return bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: amount}
		}
		_, err = e.c.Transfer(ctx, &bank.SessionTransfer{Session: weak.Token, ID: newID(), Payment: pay(30_000 * yuan)})
		must(t, err)
		_, err = e.c.Transfer(ctx, &bank.SessionTransfer{Session: weak.Token, ID: newID(), Payment: pay(20_000*yuan + 1)})
		wantCode(t, err, http.StatusForbidden, "certificate_required", bank.ErrCertificateRequired)
		if e.balance(bob) != 30_000*yuan {
			t.Fatalf("bob has %d after the refused transfer", e.balance(bob))
		}
		strong, _ := certLogin(t, e.c, d, alice)
		_, conf := signedOrder(t, e.c, d, strong, pay(20_000*yuan+1))
		_, err = e.c.Confirm(ctx, conf)
		must(t, err)
		if e.balance(bob) != 50_000*yuan+1 || e.money() != 100_000*yuan {
			t.Fatalf("bob has %d", e.balance(bob))
		}
	})
}

// A challenge and an order expire: 410 with their own codes.
func TestExpiredIs410(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		d := customer(t, e.c, alice, 1000*yuan)
		customer(t, e.c, bob, 0)
		ses, _ := certLogin(t, e.c, d, alice)
		ch, err := e.c.Challenge(ctx, alice)
		must(t, err)
		resp, err := d.AnswerLogin(ch)
		must(t, err)
		_, conf := signedOrder(t, e.c, d, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: yuan})
		e.clock.Add(3 * time.Minute)
		_, err = e.c.Login(ctx, resp)
		wantCode(t, err, http.StatusGone, "challenge", bank.ErrChallenge)
		_, err = e.c.Confirm(ctx, conf)
		wantCode(t, err, http.StatusGone, "order", bank.ErrOrder)
		if e.balance(alice) != 1000*yuan {
			t.Fatal("an expired order moved money")
		}
	})
}

// Operator endpoints without the admin token (or with a wrong one) are 401
// and change nothing.
func TestOperatorEndpointsNeedToken(t *testing.T) {
	e := newEnv(t, dbtest.Target{Path: dbtest.SQLitePath(t)})
	for name, c := range map[string]*bankhttp.Client{"none": e.anon, "wrong": {Base: e.srv.URL, AdminToken: strings.Repeat("0", 64)}} {
		err := c.OpenAccount(ctx, alice, "Alice", idCard, "pw", 1000*yuan)
		wantCode(t, err, http.StatusUnauthorized, "unauthorized", bankhttp.ErrUnauthorized)
		_, err = c.IssueAuthCode(ctx, alice)
		wantCode(t, err, http.StatusUnauthorized, "unauthorized", bankhttp.ErrUnauthorized)
		if e.money() != 0 {
			t.Fatalf("%s token: money was created", name)
		}
	}
	must(t, e.c.OpenAccount(ctx, alice, "Alice", idCard, "pw", 1000*yuan))
	err := e.c.OpenAccount(ctx, alice, "Alice", idCard, "pw", 1000*yuan)
	wantCode(t, err, http.StatusConflict, "account_exists", bank.ErrAccountExists)
	_, err = e.c.IssueAuthCode(ctx, bob)
	wantCode(t, err, http.StatusNotFound, "unknown_account", bank.ErrUnknownAccount)
}

// The certificate names the account the enrollment's session
// authenticated, whatever account the card's request names: mallory,
// logged in to her own account, asks for a certificate naming alice's.
func TestEnrollCannotNameAnotherAccount(t *testing.T) {
	e := newEnv(t, dbtest.Target{})
	customer(t, e.c, "6222000000000001", 1000*yuan)
	const mallory = "6222000000000002"
	must(t, e.c.OpenAccount(ctx, mallory, "Mallory", idCard, "pw-m", 0))
	d, card := device(t, e.c)
	ses, err := e.c.PasswordLogin(ctx, &bank.PasswordLogin{Account: mallory, Password: "pw-m"})
	must(t, err)
	code, err := e.c.IssueAuthCode(ctx, mallory)
	must(t, err)
	req, err := d.EnrollRequest(ses, code, pkix.Name{CommonName: "6222000000000001", SerialNumber: "IDCCN-" + idCard})
	must(t, err)
	resp, err := e.c.Enroll(ctx, req)
	must(t, err)
	conf, err := d.FinishEnrollment(ctx, card.Public(), resp)
	must(t, err)
	must(t, e.c.ConfirmEnrollment(ctx, conf))
	e.checkIssued(mallory) // Account: mallory's, Name: "Mallory"
}
