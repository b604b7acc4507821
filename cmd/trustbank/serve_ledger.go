package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"trustbank/ledger"
)

// ledgerSchedule is serve's care of the book: the fast check (the chain
// index) every CheckEvery, and once a day at CloseAt (UTC) the close — a
// deep check of every entry and, only if the book is whole, a signed
// closing checkpoint. A failed check of either kind stops booking
// (ledger.ErrBookBroken) and is logged.
type ledgerSchedule struct {
	CheckEvery time.Duration // 0: no scheduled fast check
	CloseAt    string        // "HH:MM" in UTC; "": no scheduled close
	closeAt    time.Duration // CloseAt, since midnight
}

func (s *ledgerSchedule) validate() error {
	if s.CheckEvery < 0 {
		return fmt.Errorf("%w: --check-every must not be negative", errUsage)
	}
	if s.CloseAt == "" {
		return nil
	}
	t, err := time.Parse("15:04", s.CloseAt)
	if err != nil {
		return fmt.Errorf("%w: --close-at %q is not HH:MM (UTC)", errUsage, s.CloseAt)
	}
	s.closeAt = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	return nil
}

// nextClose is the first time at or after now that lies at past midnight UTC.
func nextClose(now time.Time, at time.Duration) time.Time {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	next := day.Add(at)
	if next.Before(now) {
		next = day.AddDate(0, 0, 1).Add(at)
	}
	return next
}

// runLedgerSchedule runs the fast checks and the daily close until ctx ends.
func runLedgerSchedule(ctx context.Context, bank *ledger.Bank, s ledgerSchedule, log *slog.Logger) {
	var tick <-chan time.Time
	if s.CheckEvery > 0 {
		t := time.NewTicker(s.CheckEvery)
		defer t.Stop()
		tick = t.C
	}
	var closing <-chan time.Time
	arm := func() {
		if s.CloseAt != "" {
			closing = time.After(time.Until(nextClose(time.Now(), s.closeAt)))
		}
	}
	arm()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			fastCheck(ctx, bank, log)
		case <-closing:
			closeBook(ctx, bank, log)
			time.Sleep(time.Second) // past the minute's start, so the next close is tomorrow's
			arm()
		}
	}
}

func fastCheck(ctx context.Context, bank *ledger.Bank, log *slog.Logger) {
	rep, err := bank.Check(ctx)
	switch {
	case err != nil:
		log.Error("ledger check", "err", err)
	case !rep.OK():
		log.Error("ledger check failed: booking stopped until recovered", "check", rep.String())
	}
}

// closeBook runs the close and logs its outcome.
func closeBook(ctx context.Context, bank *ledger.Bank, log *slog.Logger) {
	c, rep, err := bank.CloseDay(ctx)
	switch {
	case err != nil && rep != nil:
		log.Error("ledger close refused: deep check failed, booking stopped", "faults", len(rep.Faults)+rep.Dropped, "check", rep.String())
	case err != nil:
		log.Error("ledger close", "err", err)
	default:
		log.Info("ledger closed", "entries", c.Size, "root", fmt.Sprintf("%x", c.Root[:]), "deep_check", rep.Took.String())
	}
}
