package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
	"trustbank/shield/bank/banktest"
)

// shieldPayer is one enrolled customer with a certificate session.
type shieldPayer struct {
	acct string
	dev  *bank.Device
	ses  *bank.Session
}

// kill -9 of `trustbank serve` during concurrent card-signed
// confirmations, twice: mid-stream (after half are acknowledged) and
// right after the first acknowledgement. After each restart every
// acknowledged confirmation is booked (its byte-identical retry answers
// the same receipt), an unacknowledged one is either booked or refused as
// an order lost with the crash (410 order), a fresh signature over a
// booked order is refused (409 nonce_used), and a replayed login response
// is refused (409 challenge_used). At the end the store holds exactly one
// transfer per booked order, the payee got exactly the booked amount,
// and balances sum to the money paid in.
func TestShieldCrashDuringConfirms(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		// More orders per account than the default bound lets one hold.
		const payee, opening, amount, perPayer = "6222020000000999", 10_000, 100, bank.DefaultPerClient + 4
		args := append(serverArgs(t, tg), "--shield-per-client", fmt.Sprint(perPayer))
		base, cmd := startServer(t, args...)
		c := &bankhttp.Client{Base: base, AdminToken: adminToken(t, args)}
		payers := make([]*shieldPayer, 3)
		for i := range payers {
			p := &shieldPayer{acct: fmt.Sprintf("622202000000010%d", i)}
			p.dev = shieldCustomer(t, c, p.acct, opening)
			payers[i] = p
		}
		shieldCustomer(t, c, payee, 0)
		var loginResp *bank.LoginResponse
		for _, p := range payers {
			p.ses, loginResp = shieldLogin(t, c, p.dev, p.acct)
		}

		booked := map[string]int{}
		for round, killAfter := range []int{len(payers) * perPayer / 2, 1} {
			confs := shieldOrders(t, c, payers, payee, amount, perPayer)
			receipts := make([]*bank.Receipt, len(confs))
			acked := untilKilled(cmd, len(confs), 6, killAfter, func(i int) error {
				rc, err := c.Confirm(ctx, confs[i])
				receipts[i] = rc
				return err
			})
			base, cmd = startServer(t, args...)
			c.Base = base
			n := checkConfirmsAfterCrash(t, c, payers, confs, receipts, acked, booked)
			if _, err := c.Login(ctx, loginResp); !errors.Is(err, bank.ErrChallengeUsed) {
				t.Fatalf("round %d: replayed login response after restart: %v", round, err)
			}
			t.Logf("round %d: %d of %d confirmations acknowledged before kill -9, %d booked after restart", round, len(acked), len(confs), n)
		}
		cmd.Process.Kill()
		cmd.Wait()
		checkShieldLedger(t, tg, args, payers, payee, opening, amount, booked)
	})
}

// shieldOrders pre-submits perPayer payments of amount for each payer and
// has its card sign them.
func shieldOrders(t *testing.T, c *bankhttp.Client, payers []*shieldPayer, payee string, amount uint64, perPayer int) []*bank.Confirm {
	var confs []*bank.Confirm
	for _, p := range payers {
		for range perPayer {
			pre := &bank.PreSubmit{Session: p.ses.Token, Payment: bank.Payment{Account: p.acct, Payee: payee, PayeeName: "Payee", Amount: amount}}
			resp, err := c.PreSubmit(context.Background(), pre)
			must(t, err)
			o, err := p.dev.OpenOrder(pre, resp)
			must(t, err)
			conf, err := p.dev.SignOrder(o, []byte(banktest.PIN))
			must(t, err)
			confs = append(confs, conf)
		}
	}
	return confs
}

// checkConfirmsAfterCrash retries every confirmation against the
// restarted server and adds the booked ones to booked (by payer); it
// returns how many were booked.
func checkConfirmsAfterCrash(t *testing.T, c *bankhttp.Client, payers []*shieldPayer, confs []*bank.Confirm, receipts []*bank.Receipt, acked []int, booked map[string]int) int {
	ctx := context.Background()
	wasAcked := map[int]bool{}
	for _, i := range acked {
		wasAcked[i] = true
	}
	n := 0
	for i, conf := range confs {
		rc, err := c.Confirm(ctx, conf)
		switch {
		case err == nil:
			if wasAcked[i] && *rc != *receipts[i] {
				t.Fatalf("confirmation %d: retry answered %+v, acknowledged %+v", i, rc, receipts[i])
			}
			n++
			booked[rc.Account]++
		case wasAcked[i]:
			t.Fatalf("acknowledged confirmation %d lost in the crash: %v", i, err)
		case !errors.Is(err, bank.ErrOrder):
			t.Fatalf("unacknowledged confirmation %d: %v, want booked or order lost", i, err)
		}
		if err == nil && i%7 == 0 { // a fresh signature over a booked order
			var o bank.Order
			must(t, o.UnmarshalBinary(conf.Order))
			resigned, err := payers[i/(len(confs)/len(payers))].dev.SignOrder(&o, []byte(banktest.PIN))
			must(t, err)
			if _, err := c.Confirm(ctx, resigned); !errors.Is(err, bank.ErrNonceUsed) {
				t.Fatalf("re-signed confirmation %d after restart: %v", i, err)
			}
		}
	}
	if n < len(acked) {
		t.Fatalf("%d acknowledged, %d booked", len(acked), n)
	}
	return n
}

// checkShieldLedger opens the stopped server's database: one transfer per
// booked order, each payer debited and the payee credited exactly that,
// and the balances sum to what was paid in.
func checkShieldLedger(t *testing.T, tg dbtest.Target, args []string, payers []*shieldPayer, payee string, opening, amount uint64, booked map[string]int) {
	ctx := context.Background()
	if tg.DSN == "" {
		tg.Path = filepath.Join(args[1], "trustbank.db")
	}
	db, err := tg.Open(ctx)
	must(t, err)
	defer db.Close()
	store, err := bank.NewSQLStore(ctx, db)
	must(t, err)
	defer store.Close()
	total := 0
	for _, p := range payers {
		a, err := store.Account(ctx, p.acct)
		must(t, err)
		if a.Balance != opening-uint64(booked[p.acct])*amount {
			t.Fatalf("%s: balance %d after %d transfers of %d", p.acct, a.Balance, booked[p.acct], amount)
		}
		total += booked[p.acct]
	}
	a, err := store.Account(ctx, payee)
	must(t, err)
	if a.Balance != uint64(total)*amount {
		t.Fatalf("payee: balance %d after %d transfers", a.Balance, total)
	}
	if rows := countRows(t, db, "bank_transfers"); rows != total {
		t.Fatalf("%d transfer records for %d booked orders", rows, total)
	}
	bal, paid, err := store.Totals(ctx)
	must(t, err)
	if bal != paid || paid != uint64(len(payers))*opening {
		t.Fatalf("balances %d, paid in %d", bal, paid)
	}
}

func countRows(t *testing.T, db *sqldb.DB, table string) int {
	var n int
	must(t, db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}
