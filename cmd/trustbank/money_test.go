package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"trustbank/ecash"
	"trustbank/ecash/ecashhttp"
	"trustbank/internal/dbtest"
	"trustbank/internal/httpapi"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// wantRange fails the test unless err is a 422 amount_range answer.
func wantRange(t *testing.T, what string, err error) {
	t.Helper()
	var ae *httpapi.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != "amount_range" || !errors.Is(err, ecash.ErrAmountRange) {
		t.Fatalf("%s: %v, want 422 amount_range", what, err)
	}
}

// The three reproductions of issue 9 (hole 8) against a real server, and
// the ledger's overflowing payee: each is refused with 422 amount_range and
// leaves the state as it was (before: 500s, a /v1/totals that failed for
// good, and a balance stored as a REAL).
func TestAmountsAtTheEdgesOverHTTP(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		args := serverArgs(t, tg)
		base, _ := startServer(t, args...)
		c := &ecashhttp.Client{Base: base, AdminToken: adminToken(t, args)}
		key := func() (ed25519.PublicKey, ed25519.PrivateKey) {
			pk, sk, _ := ed25519.GenerateKey(rand.Reader)
			return pk, sk
		}
		alicePub, aliceKey := key()
		shopPub, shopKey := key()
		must(t, c.OpenAccount(ctx, "bank-a", "alice-acct", "alice", alicePub, 1000))
		before, err := c.Totals(ctx)
		must(t, err)
		unchanged := func(what string) {
			t.Helper()
			after, err := c.Totals(ctx)
			if err != nil || after != before {
				t.Fatalf("after %s: totals %+v, %v; before %+v", what, after, err, before)
			}
		}

		// 1. An account opened at 2^63.
		wantRange(t, "open at 2^63", c.OpenAccount(ctx, "bank-a", "huge", "x", alicePub, 1<<63))
		if _, err := c.Account(ctx, "bank-a", "huge", nil); !errors.Is(err, ecash.ErrUnknownAccount) {
			t.Fatalf("the refused account exists: %v", err)
		}
		unchanged("an opening at 2^63")
		// 2. Two accounts of 2^63 − 1: refused, and /v1/totals still answers.
		for _, id := range []string{"max-1", "max-2"} {
			wantRange(t, "open at 2^63−1", c.OpenAccount(ctx, "bank-a", id, "x", alicePub, 1<<63-1))
		}
		unchanged("two openings at 2^63−1")
		// 3. An account at 2^63 − 11 is refused; one at MaxBalance − 11
		// is not, and a real deposit of 64 to it is refused whole.
		wantRange(t, "open at 2^63−11", c.OpenAccount(ctx, "bank-b", "shop-acct", "shop", shopPub, 1<<63-11))
		must(t, c.OpenAccount(ctx, "bank-b", "shop-acct", "shop", shopPub, ecash.MaxBalance-11))
		w, ks := httpWallet(t, c)
		p, err := w.Withdraw("alice-acct", aliceKey, 64, ks.Schedule.EpochAt(time.Now()))
		must(t, err)
		resp, err := c.Withdraw(ctx, "bank-a", p.Request)
		must(t, err)
		must(t, w.Finish(p, resp))
		before, err = c.Totals(ctx)
		must(t, err)
		m := ecash.NewMerchant("bank-b", "shop-acct", func() *ecash.KeySet { return ks }, c.UserKeys(ctx), nil)
		ch, _ := m.Challenge(64)
		pay, err := w.Pay(ch)
		must(t, err)
		must(t, m.Accept(pay))
		q, err := m.DepositRequest(pay, shopKey)
		must(t, err)
		_, err = c.Deposit(ctx, "bank-b", q)
		wantRange(t, "a deposit of 64 to MaxBalance − 11", err)
		unchanged("the refused deposit")
		if a, err := c.Account(ctx, "bank-b", "shop-acct", nil); err != nil || a.Balance != ecash.MaxBalance-11 {
			t.Fatalf("shop after the refused deposit: %+v, %v", a, err)
		}
		for _, coin := range pay.Coins {
			if spent, err := c.SpentBucket(ctx, coin.Message.Epoch, 0, 0); err != nil || len(spent) != 0 {
				t.Fatalf("a coin of the refused deposit is spent (%v, %v)", spent, err)
			}
		}
		if tot, _ := c.Totals(ctx); tot.Balances+tot.Float != tot.PaidIn || tot.PaidIn != 1000+ecash.MaxBalance-11 {
			t.Fatalf("totals %+v", tot)
		}

		// The ledger: an opening past MaxBalance, and a payee whose balance
		// would pass it (before: 500).
		lc := &ledgerhttp.Client{Base: base, AdminToken: c.AdminToken}
		openLedger := func(name string, opening uint64) (*ledger.Account, error) {
			s, err := ledger.GenerateSM2()
			must(t, err)
			tmpl, err := lc.OpenAccount(ctx, name, s.PublicKey(), opening)
			if err != nil {
				return nil, err
			}
			return ledger.NewAccount(tmpl, s), nil
		}
		_, err = openLedger("huge", 1<<63)
		wantRange(t, "ledger opening at 2^63", err)
		payer, err := openLedger("payer", 10)
		must(t, err)
		payee, err := openLedger("payee", ledger.MaxBalance)
		must(t, err)
		mo, err := payer.Money("payee", 1, "one too many", time.Now())
		must(t, err)
		sub, err := payee.Submit(mo)
		must(t, err)
		_, err = lc.Submit(ctx, sub)
		wantRange(t, "a booking past the payee's MaxBalance", err)
		if info, err := lc.Bank(ctx); err != nil || info.Size != 0 {
			t.Fatalf("the refused booking was booked: %+v, %v", info, err)
		}
	})
}

// httpWallet registers alice and returns a wallet for her and the key set.
func httpWallet(t *testing.T, c *ecashhttp.Client) (*ecash.Wallet, *ecash.KeySet) {
	ctx := context.Background()
	ks, _, err := c.KeySet(ctx, nil)
	must(t, err)
	mk, err := c.RegisterUser(ctx, "alice")
	must(t, err)
	var seed [32]byte
	rand.Read(seed[:])
	return ecash.NewWallet(seed, ks, mk, c.UserKeys(ctx), nil), ks
}

// Evidence kept once (issue 9, hole 7), over HTTP: one refused deposit (a
// double spend) posted 200 times with the same body gets the same answer
// every time and leaves exactly one row in /v1/double-spends.
func TestReplayedRefusedDepositOverHTTP(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		args := serverArgs(t, tg)
		base, _ := startServer(t, args...)
		c := &ecashhttp.Client{Base: base, AdminToken: adminToken(t, args)}
		alicePub, aliceKey, _ := ed25519.GenerateKey(rand.Reader)
		cafePub, cafeKey, _ := ed25519.GenerateKey(rand.Reader)
		shopPub, shopKey, _ := ed25519.GenerateKey(rand.Reader)
		must(t, c.OpenAccount(ctx, "bank-a", "alice-acct", "alice", alicePub, 100))
		must(t, c.OpenAccount(ctx, "bank-b", "shop-acct", "shop", shopPub, 0))
		must(t, c.OpenAccount(ctx, "bank-a", "cafe-acct", "cafe", cafePub, 0))
		w, ks := httpWallet(t, c)
		p, err := w.Withdraw("alice-acct", aliceKey, 16, ks.Schedule.EpochAt(time.Now()))
		must(t, err)
		resp, err := c.Withdraw(ctx, "bank-a", p.Request)
		must(t, err)
		must(t, w.Finish(p, resp))
		coins := w.Coins()
		deposit := func(bank, acct string, key ed25519.PrivateKey) *ecash.DepositRequest {
			m := ecash.NewMerchant(bank, acct, func() *ecash.KeySet { return ks }, c.UserKeys(ctx), nil)
			ch, _ := m.Challenge(16)
			pay, err := w.Pay(ch)
			must(t, err)
			q, err := m.DepositRequest(pay, key)
			must(t, err)
			return q
		}
		_, err = c.Deposit(ctx, "bank-b", deposit("bank-b", "shop-acct", shopKey))
		must(t, err)
		w.Add(coins...) // the same coin again
		enc, err := deposit("bank-a", "cafe-acct", cafeKey).MarshalBinary()
		must(t, err)
		body, _ := json.Marshal(ecashhttp.MessageRequest{Request: enc})
		post := func() (int, string) {
			r, err := http.Post(base+"/v1/banks/bank-a/deposit", "application/json", bytes.NewReader(body))
			must(t, err)
			defer r.Body.Close()
			b, _ := io.ReadAll(r.Body)
			return r.StatusCode, string(b)
		}
		status, first := post()
		if status != http.StatusConflict || !strings.Contains(first, `"double_spend"`) {
			t.Fatalf("double spend: %d %s", status, first)
		}
		for i := range 200 {
			if status, answer := post(); status != http.StatusConflict || answer != first {
				t.Fatalf("replay %d: %d %s, first %s", i, status, answer, first)
			}
		}
		ev, err := c.DoubleSpends(ctx)
		must(t, err)
		if len(ev) != 1 || !strings.Contains(first, fmt.Sprintf("evidence #%d)", ev[0].ID)) {
			t.Fatalf("%d evidence rows after 200 replays (first answer %s)", len(ev), first)
		}
		if a, _ := c.Account(ctx, "bank-a", "cafe-acct", nil); a.Balance != 0 {
			t.Fatalf("a replay credited %d", a.Balance)
		}
	})
}
