package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"flag"
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
// not being served (in process, through its state file) or, with
// --reader, on the card in a PC/SC reader (a served one, or a chip).
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
	rootPath := fs.String("root", "", "the CA root certificate (PEM or DER) the card checks certificates against; if empty, the first enrollment sets it")
	if err := parse(fs, args); err != nil {
		return err
	}
	var rootKey []byte
	if *rootPath != "" {
		root, err := readCert(*rootPath)
		if err != nil {
			return err
		}
		pub, ok := root.PublicKey.(*ecdsa.PublicKey)
		if !ok || !sm2.IsSM2PublicKey(pub) {
			return fmt.Errorf("%w: %s has no SM2 key", errUsage, *rootPath)
		}
		rootKey = sm2PublicBytes(pub)
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
	hf.CardPublic, err = card.Personalise(card.FileStore{Path: *state},
		card.Personalisation{PIN: []byte(*pin), PUK: []byte(*puk), HostKey: sm2PublicBytes(&host.PublicKey), SMKey: hf.SMKey, Root: rootKey})
	if err != nil {
		return err
	}
	if err := saveJSON(*hostPath, hf); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "card personalised: %s; host keys in %s\ncard public key %x\n", *state, *hostPath, hf.CardPublic)
	return nil
}

func sm2PublicBytes(p *ecdsa.PublicKey) []byte {
	return append([]byte{4}, append(p.X.FillBytes(make([]byte, 32)), p.Y.FillBytes(make([]byte, 32))...)...)
}

// cardFlags are the flags that say where the card is.
type cardFlags struct{ state, reader *string }

func addCardFlags(fs *flag.FlagSet) cardFlags {
	return cardFlags{fs.String("state", "card.json", "card state file (a card that is not being served)"),
		fs.String("reader", "", "use the card in the PC/SC reader whose name starts with this instead of --state")}
}

// transport opens the card: in process over its state file, or through PC/SC.
func (c cardFlags) transport() (card.Transport, io.Closer, error) {
	f := &mobileFile{Card: *c.state, Reader: *c.reader}
	return f.transport()
}

// openChannel opens a secure channel to the card with the host's keys.
// The card's key is not pinned (enrollment replaces it): the channel key,
// which only the card and the host hold, authenticates every response.
func openChannel(t card.Transport, hostPath string) (*card.Channel, error) {
	var hf hostFile
	if err := loadJSON(hostPath, &hf); err != nil {
		return nil, err
	}
	host, err := sm2.NewPrivateKey(hf.HostKey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", hostPath, err)
	}
	defer host.D.SetInt64(0)
	return card.OpenChannel(t, card.HostKeys{Host: host, SMKey: hf.SMKey}, nil)
}

func cardPIN(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card pin", stderr)
	where := addCardFlags(fs)
	hostPath := fs.String("host", "card-host.json", "the host's keys")
	old := fs.String("old", "", "the current PIN")
	newPIN := fs.String("new", "", "the new PIN, 4–8 digits")
	if err := parse(fs, args); err != nil {
		return err
	}
	return cardChange(stdout, where, *hostPath, false, *old, *newPIN, "PIN changed")
}

func cardUnblock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("card unblock", stderr)
	where := addCardFlags(fs)
	hostPath := fs.String("host", "card-host.json", "the host's keys")
	puk := fs.String("puk", "", "the PUK")
	newPIN := fs.String("new", "", "the new PIN, 4–8 digits")
	if err := parse(fs, args); err != nil {
		return err
	}
	return cardChange(stdout, where, *hostPath, true, *puk, *newPIN, "PIN unblocked and set")
}

// cardChange runs CHANGE REFERENCE DATA or RESET RETRY COUNTER.
func cardChange(stdout io.Writer, where cardFlags, hostPath string, unblock bool, old, newPIN, done string) error {
	t, closer, err := where.transport()
	if err != nil {
		return err
	}
	defer closeQuietly(closer)
	ch, err := openChannel(t, hostPath)
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
	where := addCardFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	t, closer, err := where.transport()
	if err != nil {
		return err
	}
	defer closeQuietly(closer)
	if err := card.Select(t); err != nil {
		return err
	}
	st, err := card.ReadStatus(t)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "serial %x\nPIN tries left %d of %d\nPUK tries left %d of %d\nkey pair %v\npending key pair %v\nroot key %v\ncertificate store %d of %d bytes\nsecurity state %v (a fresh selection)\n",
		st.Serial, st.PINTries, card.PINTries, st.PUKTries, card.PUKTries, st.HasKey, st.Pending, st.HasRoot, st.Used, card.StoreLimit, st.Security)
	return nil
}
