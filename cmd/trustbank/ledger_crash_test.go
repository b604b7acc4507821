package main

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// kill -9 of the server during a stream of bookings: after a restart the
// book checks whole, every acknowledged entry is there with its money,
// retrying every submission books each money exactly once, and balances
// add up to what was paid in.
func TestCrashDuringBooking(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		ctx := context.Background()
		args := serverArgs(t, tg)
		base, cmd := startServer(t, args...)
		c := &ledgerhttp.Client{Base: base, AdminToken: adminToken(t, args)}
		bank, info, err := c.Verifier(ctx, nil)
		must(t, err)
		open := func(name string, opening uint64) *ledger.Account {
			s, err := ledger.GenerateSM2()
			must(t, err)
			tmpl, err := c.OpenAccount(ctx, name, s.PublicKey(), opening)
			must(t, err)
			return ledger.NewAccount(tmpl, s)
		}
		const n, opening = 200, 1_000_000
		alice, bob := open("alice", opening), open("bob", 0)
		subs := make([]*ledger.Submission, n)
		now := time.Now()
		for i := range subs {
			m, err := alice.Money("bob", 1, "stream", now)
			must(t, err)
			subs[i], err = bob.Submit(m)
			must(t, err)
		}

		acked := bookUntilKilled(t, c, subs, cmd, n/3)
		base, _ = startServer(t, args...)
		c = &ledgerhttp.Client{Base: base, AdminToken: adminToken(t, args)}
		rep, err := c.Check(ctx)
		must(t, err)
		if !rep.OK {
			t.Fatalf("book after kill -9: %s", rep.Report)
		}
		for i, st := range acked {
			n, err := c.Notice(ctx, st.Entry.Index)
			if err != nil {
				t.Fatalf("acknowledged entry %d lost: %v", st.Entry.Index, err)
			}
			if err := n.Verify(bank); err != nil {
				t.Fatal(err)
			}
			if n.Entry.Hash() != st.Entry.Hash() {
				t.Fatalf("entry %d differs from the acknowledged one (%d)", st.Entry.Index, i)
			}
		}
		replays := 0
		for _, s := range subs { // retry everything
			_, err := c.Submit(ctx, s)
			switch {
			case err == nil:
			case errors.Is(err, ledger.ErrReplayed):
				replays++
			default:
				t.Fatalf("retry after restart: %v", err)
			}
		}
		if replays < len(acked) {
			t.Fatalf("%d acknowledged but only %d retries refused as booked", len(acked), replays)
		}
		b, err := c.Bank(ctx)
		must(t, err)
		if b.Size != n {
			t.Fatalf("%d entries for %d moneys", b.Size, n)
		}
		last, err := c.BalanceNotice(ctx, n-1)
		must(t, err)
		if v, err := ledger.OpenBalance(last, alice.Signer.(*ledger.SM2Signer).Key()); err != nil || v != opening-n {
			t.Fatalf("alice's balance after all bookings: %d %v", v, err)
		}
		rep, err = c.Check(ctx)
		if err != nil || !rep.OK {
			t.Fatalf("check after retries: %+v %v", rep, err)
		}
		t.Logf("%s: %d of %d bookings acknowledged before kill -9; after restart all there, each money booked once", info.Name, len(acked), n)
	})
}

// bookUntilKilled submits from 8 workers and SIGKILLs the server once
// `after` bookings have been acknowledged; it returns the acknowledged
// settlement notices.
func bookUntilKilled(t *testing.T, c *ledgerhttp.Client, subs []*ledger.Submission, cmd *exec.Cmd, after int) []*ledger.Settlement {
	notices := make([]*ledger.Settlement, len(subs))
	var acked []*ledger.Settlement
	for _, i := range untilKilled(cmd, len(subs), 8, after, func(i int) (err error) {
		notices[i], err = c.Submit(context.Background(), subs[i])
		return err
	}) {
		acked = append(acked, notices[i])
	}
	return acked
}
