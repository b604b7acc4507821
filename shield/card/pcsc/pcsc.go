// Package pcsc is the card.Transport over a PC/SC reader (pcsc-lite via
// github.com/ebfe/scard, cgo against libpcsclite): the path a banking app
// takes to a real chip, and to shield/card's virtual one plugged into
// pcscd through vsmartcard's vpcd driver.
package pcsc

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ebfe/scard"

	"trustbank/shield/card"
)

// ErrNoCard is returned when no card is present in the reader in time.
var ErrNoCard = errors.New("pcsc: no card in the reader")

// Reader is a connection to the card in one PC/SC reader.
type Reader struct {
	ctx  *scard.Context
	card *scard.Card
}

var _ card.Transport = (*Reader)(nil)

// Readers lists the reader names pcscd knows.
func Readers() ([]string, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcsc: %w", err)
	}
	defer ctx.Release()
	rs, err := ctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	return rs, err
}

// Connect waits up to wait for a card in the first reader whose name
// starts with prefix and connects to it (shared, T=0 or T=1).
func Connect(prefix string, wait time.Duration) (*Reader, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcsc: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		name, err := find(ctx, prefix)
		if err == nil {
			c, err := ctx.Connect(name, scard.ShareShared, scard.ProtocolAny)
			if err == nil {
				return &Reader{ctx: ctx, card: c}, nil
			}
		}
		if time.Now().After(deadline) {
			ctx.Release()
			return nil, fmt.Errorf("%w: %q: %v", ErrNoCard, prefix, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func find(ctx *scard.Context, prefix string) (string, error) {
	rs, err := ctx.ListReaders()
	if err != nil {
		return "", err
	}
	for _, r := range rs {
		if strings.HasPrefix(r, prefix) {
			return r, nil
		}
	}
	return "", fmt.Errorf("no reader %q among %q", prefix, rs)
}

// Transmit sends one command APDU and returns the response APDU.
func (r *Reader) Transmit(cmd []byte) ([]byte, error) {
	out, err := r.card.Transmit(cmd)
	if err != nil {
		return nil, fmt.Errorf("pcsc: %w", err)
	}
	return out, nil
}

// ATR returns the card's answer to reset as the reader reports it.
func (r *Reader) ATR() ([]byte, error) {
	st, err := r.card.Status()
	if err != nil {
		return nil, fmt.Errorf("pcsc: %w", err)
	}
	return st.Atr, nil
}

// Close disconnects (leaving the card powered) and releases the context.
func (r *Reader) Close() error {
	return errors.Join(r.card.Disconnect(scard.LeaveCard), r.ctx.Release())
}
