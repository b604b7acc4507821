package bankhttp_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
)

// fromAddr is a client of e's server whose connections come from the
// loopback address ip (all of 127/8 is local on Linux): a second client
// the server tells apart from the first by its remote address.
func fromAddr(t *testing.T, e *env, ip string) *bankhttp.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &bankhttp.Client{Base: e.srv.URL, HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Attack: one client floods login challenges (unauthenticated, from one
// address) and pre-submitted orders (under its own session). It gets 429
// rate_limited once it holds bank.DefaultPerClient of each; meanwhile a
// client from another address logs in and books a card-signed transfer,
// and the server holds no more than the flooder's quota plus the honest
// client's few entries.
func TestFloodRateLimited(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		e := newEnv(t, tg)
		mallory := "6222020000000666"
		dm := customer(t, e.c, mallory, 1000*yuan)
		da := customer(t, e.c, alice, 1000*yuan)
		customer(t, e.c, bob, 0)
		flooder, honest := fromAddr(t, e, "127.0.0.1"), fromAddr(t, e, "127.0.0.2")
		mses, _ := certLogin(t, flooder, dm, mallory)

		const tries = 3 * bank.DefaultPerClient
		refused := 0
		for range tries {
			_, err := flooder.Challenge(ctx, alice) // even for the victim's account
			if err != nil {
				wantCode(t, err, http.StatusTooManyRequests, "rate_limited", bank.ErrRateLimited)
				refused++
			}
		}
		if refused != tries-bank.DefaultPerClient {
			t.Fatalf("flooder refused %d of %d challenges", refused, tries)
		}
		refused = 0
		for range tries {
			pre := &bank.PreSubmit{Session: mses.Token, Payment: bank.Payment{Account: mallory, Payee: bob, PayeeName: "Bob", Amount: yuan}}
			if _, err := flooder.PreSubmit(ctx, pre); err != nil {
				wantCode(t, err, http.StatusTooManyRequests, "rate_limited", bank.ErrRateLimited)
				refused++
			}
		}
		if refused != tries-bank.DefaultPerClient {
			t.Fatalf("flooder refused %d of %d orders", refused, tries)
		}

		ses, _ := certLogin(t, honest, da, alice)
		_, conf := signedOrder(t, honest, da, ses, bank.Payment{Account: alice, Payee: bob, PayeeName: "Bob", Amount: 250 * yuan})
		rc, err := honest.Confirm(ctx, conf)
		must(t, err)
		if rc.Balance != 750*yuan || e.balance(bob) != 250*yuan || e.money() != 2000*yuan {
			t.Fatalf("receipt %+v, bob %d", rc, e.balance(bob))
		}
		chs, ords := e.node.Shield.Server.Outstanding()
		if chs > bank.DefaultPerClient || ords > bank.DefaultPerClient {
			t.Fatalf("server holds %d challenges and %d orders", chs, ords)
		}

		// Once its challenges expire the flooder is served again.
		e.clock.Add(3 * time.Minute)
		if _, err := flooder.Challenge(ctx, mallory); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
	})
}
