package middleware_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"trustbank/shield/card"
	"trustbank/shield/card/pcsc"
	"trustbank/shield/card/pcsctest"
	"trustbank/shield/middleware"
	"trustbank/shield/middleware/middlewaretest"
)

// Enrollment and login end to end with the card behind pcscd: the
// virtual card is served through vpcd and the middleware reaches it over
// PC/SC, as the app would reach a chip.
func TestEnrollLoginOverPCSC(t *testing.T) {
	slot := pcsctest.VPCD(t, 0)
	s := newSystem(t)
	c := newCard(t, s)
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- card.ServeVPCD(sctx, slot.Addr, c.Card) }()
	t.Cleanup(func() { cancel(); <-served })
	r, err := pcsc.Connect(slot.Reader, 15*time.Second)
	must(t, err)
	defer r.Close()
	mw, err := s.Middleware(r, c.Sandbox)
	must(t, err)
	defer mw.Close()
	var pe *middleware.PINError
	if err := mw.VerifyPIN([]byte("000000")); !errors.As(err, &pe) || pe.TriesLeft != card.PINTries-1 {
		t.Fatalf("wrong PIN over PC/SC: %v", err)
	}
	must(t, mw.VerifyPIN([]byte(middlewaretest.PIN)))
	d := s.Device(mw)
	must(t, s.Enroll(ctx, d, alice))
	ses, err := s.Login(ctx, d, alice)
	must(t, err)
	if ses.Account != alice {
		t.Fatalf("session for %q", ses.Account)
	}
}
