package pcsc_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/shield/card"
	"trustbank/shield/card/pcsc"
	"trustbank/shield/card/pcsctest"
	"trustbank/shield/internal/apdu"
)

// The virtual card, plugged into pcscd through vpcd, driven from Go over
// PC/SC: ATR, mutual authentication, secure messaging, PIN, signature.
func TestCardThroughPCSC(t *testing.T) {
	slot := pcsctest.VPCD(t, 1)
	host, _ := sm2.GenerateKey(rand.Reader)
	smKey := make([]byte, 16)
	rand.Read(smKey)
	store := &card.MemStore{}
	pubBytes, err := card.Personalise(store, card.Personalisation{PIN: []byte("2580"), PUK: []byte("13572468"),
		HostKey: append([]byte{4}, append(host.X.FillBytes(make([]byte, 32)), host.Y.FillBytes(make([]byte, 32))...)...), SMKey: smKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := card.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- card.ServeVPCD(ctx, slot.Addr, c) }()
	t.Cleanup(func() { cancel(); <-served })

	r, err := pcsc.Connect(slot.Reader, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	atr, err := r.ATR()
	if err != nil || !bytes.Equal(atr, card.ATR) {
		t.Fatalf("ATR %x %v, want %x", atr, err, card.ATR)
	}
	pub, _ := sm2.NewPublicKey(pubBytes)
	ch, err := card.OpenChannel(r, card.HostKeys{Host: host, SMKey: smKey}, pub)
	if err != nil {
		t.Fatal(err)
	}
	pin, _ := card.PINBlock("2580")
	if _, err := ch.Transmit(&apdu.Command{INS: 0x20, P2: 0x81, Data: pin}); err != nil {
		t.Fatal(err)
	}
	msg := []byte("pay 100.00 CNY")
	resp, err := ch.Transmit(&apdu.Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: append([]byte{0}, msg...), Ne: 256})
	if err != nil {
		t.Fatal(err)
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, resp.Data) {
		t.Fatal("signature through PC/SC does not verify")
	}
	// A plain command that needs the PIN is refused, through the reader too.
	if _, err := card.Send(r, &apdu.Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: []byte{0, 1}, Ne: 256}); err != apdu.SWSecurityNotSatisfied {
		t.Fatalf("plain SIGN: %v", err)
	}
}
