package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/shield/card"
)

// runCard: the virtual secure element of shield/card. serve plugs a card
// state file into pcscd through vpcd; init personalises a state file and
// writes the host's keys; pin, unblock and status work on a card that is
// not being served (in process, through its state file).
func runCard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "card", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"serve": cardServe, "init": cardInit, "pin": cardPIN, "unblock": cardUnblock, "status": cardStatus,
	})
}

// hostFile holds the host's secrets for one card (the middleware's side):
// its SM2 key for EXTERNAL AUTHENTICATE, the SM4 channel key, and the
// card's public key to check INTERNAL AUTHENTICATE.
type hostFile struct {
	HostKey    []byte `json:"host_key"`
	SMKey      []byte `json:"sm_key"`
	CardPublic []byte `json:"card_public"`
}

// pauseEnv is a test hook: when set, the served card stops for good after
// durably decrementing a PIN or PUK try counter, so a test can kill it there.
const pauseEnv = "TRUSTBANK_CARD_TEST_PAUSE_AFTER_DECREMENT"

func cardServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card serve", stderr)
	state := fs.String("state", "card.json", "card state file")
	addr := fs.String("vpcd", card.DefaultVPCD, "the vpcd driver's host:port to connect to")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := card.Open(card.FileStore{Path: *state})
	if err != nil {
		return err
	}
	if os.Getenv(pauseEnv) == "1" {
		c.AfterPINDecrement = func() {
			fmt.Fprintln(stdout, "card: try counter decremented, pausing")
			select {}
		}
	}
	fmt.Fprintf(stdout, "card: serving %s through vpcd at %s\n", *state, *addr)
	for {
		err := card.ServeVPCD(ctx, *addr, c)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			fmt.Fprintf(stderr, "card: vpcd %s: %v; retrying\n", *addr, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func cardInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card init", stderr)
	state := fs.String("state", "card.json", "card state file to create")
	hostPath := fs.String("host", "card-host.json", "file for the host's keys (the middleware's side)")
	pin := fs.String("pin", "", "the holder's PIN, 4–8 digits")
	puk := fs.String("puk", "", "the PUK, 4–8 digits")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(*state); err == nil {
		return fmt.Errorf("%w: %s exists; a card is personalised once", errUsage, *state)
	}
	host, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	hf := hostFile{HostKey: host.D.FillBytes(make([]byte, 32)), SMKey: make([]byte, 16)}
	rand.Read(hf.SMKey)
	hostPub := append([]byte{4}, append(host.X.FillBytes(make([]byte, 32)), host.Y.FillBytes(make([]byte, 32))...)...)
	hf.CardPublic, err = card.Personalise(card.FileStore{Path: *state},
		card.Personalisation{PIN: []byte(*pin), PUK: []byte(*puk), HostKey: hostPub, SMKey: hf.SMKey})
	if err != nil {
		return err
	}
	if err := saveJSON(*hostPath, hf); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "card personalised: %s; host keys in %s\ncard public key %x\n", *state, *hostPath, hf.CardPublic)
	return nil
}

// openChannel opens the card in state (not being served) and a secure
// channel to it with the host's keys.
func openChannel(state, hostPath string) (*card.Channel, error) {
	var hf hostFile
	if err := loadJSON(hostPath, &hf); err != nil {
		return nil, err
	}
	host, err1 := sm2.NewPrivateKey(hf.HostKey)
	pub, err2 := sm2.NewPublicKey(hf.CardPublic)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%s: %w", hostPath, err)
	}
	c, err := card.Open(card.FileStore{Path: state})
	if err != nil {
		return nil, err
	}
	return card.OpenChannel(c, card.HostKeys{Host: host, SMKey: hf.SMKey}, pub)
}

func cardPIN(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card pin", stderr)
	state := fs.String("state", "card.json", "card state file")
	hostPath := fs.String("host", "card-host.json", "the host's keys")
	old := fs.String("old", "", "the current PIN")
	newPIN := fs.String("new", "", "the new PIN, 4–8 digits")
	if err := parse(fs, args); err != nil {
		return err
	}
	return cardChange(stdout, *state, *hostPath, false, *old, *newPIN, "PIN changed")
}

func cardUnblock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card unblock", stderr)
	state := fs.String("state", "card.json", "card state file")
	hostPath := fs.String("host", "card-host.json", "the host's keys")
	puk := fs.String("puk", "", "the PUK")
	newPIN := fs.String("new", "", "the new PIN, 4–8 digits")
	if err := parse(fs, args); err != nil {
		return err
	}
	return cardChange(stdout, *state, *hostPath, true, *puk, *newPIN, "PIN unblocked and set")
}

// cardChange runs CHANGE REFERENCE DATA or RESET RETRY COUNTER.
func cardChange(stdout io.Writer, state, hostPath string, unblock bool, old, newPIN, done string) error {
	ch, err := openChannel(state, hostPath)
	if err != nil {
		return err
	}
	defer ch.Close()
	if unblock {
		err = ch.Unblock(old, newPIN)
	} else {
		err = ch.ChangePIN(old, newPIN)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, done)
	return nil
}

func cardStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card status", stderr)
	state := fs.String("state", "card.json", "card state file")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := card.Open(card.FileStore{Path: *state})
	if err != nil {
		return err
	}
	if err := card.Select(c); err != nil {
		return err
	}
	st, err := card.ReadStatus(c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serial %x\nPIN tries left %d of %d\nPUK tries left %d of %d\nkey pair %v\ncertificate store %d of %d bytes\nsecurity state %v (a fresh power-up)\n",
		st.Serial, st.PINTries, card.PINTries, st.PUKTries, card.PUKTries, st.HasKey, st.Used, card.StoreLimit, st.Security)
	return nil
}
