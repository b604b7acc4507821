package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/shield/ca"
	"trustbank/shield/card"
	"trustbank/shield/card/pcsctest"
	"trustbank/shield/middleware"
)

// initCard personalises a card state file with the CLI and returns its
// path and the host's keys.
func initCard(t *testing.T) (state string, host card.HostKeys, pub []byte) {
	t.Helper()
	dir := t.TempDir()
	state, hostPath := filepath.Join(dir, "card.json"), filepath.Join(dir, "host.json")
	if out, _, err := runCLI(t, "card", "init", "--state", state, "--host", hostPath, "--pin", "123456", "--puk", "11223344"); err != nil {
		t.Fatalf("card init: %v\n%s", err, out)
	}
	var hf hostFile
	must(t, loadJSON(hostPath, &hf))
	k, err := sm2.NewPrivateKey(hf.HostKey)
	must(t, err)
	return state, card.HostKeys{Host: k, SMKey: hf.SMKey}, hf.CardPublic
}

// fakeVPCD plays the vpcd driver's side of one card connection.
type fakeVPCD struct{ conn net.Conn }

func (v fakeVPCD) frame(p []byte) ([]byte, error) {
	if _, err := v.conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(p))), p...)); err != nil {
		return nil, err
	}
	var n [2]byte
	if _, err := io.ReadFull(v.conn, n[:]); err != nil {
		return nil, err
	}
	out := make([]byte, binary.BigEndian.Uint16(n[:]))
	_, err := io.ReadFull(v.conn, out)
	return out, err
}

// Transmit makes the driver's connection a card.Transport.
func (v fakeVPCD) Transmit(apdu []byte) ([]byte, error) { return v.frame(apdu) }

// serveCard runs `trustbank card serve` as a child connected to a fake
// vpcd of the test's; pause sets the test hook that stops the card after
// a try counter is decremented. It returns the driver's side, the child
// and its stdout lines.
func serveCard(t *testing.T, state string, pause bool) (fakeVPCD, *exec.Cmd, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	cmd := exec.Command(os.Args[0], "card", "serve", "--state", state, "--vpcd", ln.Addr().String())
	cmd.Env = append(os.Environ(), "TRUSTBANK_RUN_MAIN=1")
	if pause {
		cmd.Env = append(cmd.Env, pauseEnv+"=1")
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(20 * time.Second))
	conn, err := ln.Accept()
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	v := fakeVPCD{conn}
	if _, err := v.conn.Write([]byte{0, 1, 1}); err != nil { // power on
		t.Fatal(err)
	}
	atr, err := v.frame([]byte{4})
	if err != nil || string(atr) != string(card.ATR) {
		t.Fatalf("ATR %x %v", atr, err)
	}
	return v, cmd, lines
}

func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("card exited before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q from the card", want)
		}
	}
}

func pinTries(t *testing.T, state string) string {
	t.Helper()
	out, _, err := runCLI(t, "card", "status", "--state", state)
	must(t, err)
	return regexp.MustCompile(`PIN tries left \d+`).FindString(out)
}

// kill -9 of the card between the durable decrement of the PIN try
// counter and the comparison: the try is spent even when the PIN was
// right (no free try from tearing), and a lockout survives restart.
func TestCardPINTearingKill9(t *testing.T) {
	state, hk, _ := initCard(t)
	for i, pin := range []string{"000000", "123456"} { // a wrong PIN, then the right one
		v, cmd, lines := serveCard(t, state, true)
		ch, err := card.OpenChannel(v, hk, nil)
		must(t, err)
		done := make(chan error, 1)
		go func() { done <- ch.VerifyPIN(pin) }()
		waitLine(t, lines, "try counter decremented")
		must(t, cmd.Process.Signal(os.Kill))
		cmd.Wait()
		if err := <-done; err == nil {
			t.Fatal("VERIFY answered although the card was killed")
		}
		if got, want := pinTries(t, state), "PIN tries left "+string(rune('5'-i)); got != want {
			t.Fatalf("after kill %d: %q, want %q", i+1, got, want)
		}
	}
	// Four more wrong PINs lock the card; the lock survives a kill -9 and restart.
	v, cmd, _ := serveCard(t, state, false)
	ch, err := card.OpenChannel(v, hk, nil)
	must(t, err)
	for range 4 {
		ch.VerifyPIN("999999")
	}
	if err := ch.VerifyPIN("123456"); !errors.Is(err, card.ErrPINBlocked) {
		t.Fatalf("after 6 failures: %v", err)
	}
	must(t, cmd.Process.Signal(os.Kill))
	cmd.Wait()
	v, _, _ = serveCard(t, state, false)
	ch, err = card.OpenChannel(v, hk, nil)
	must(t, err)
	if err := ch.VerifyPIN("123456"); !errors.Is(err, card.ErrPINBlocked) {
		t.Fatalf("after restart: %v", err)
	}
	if got := pinTries(t, state); got != "PIN tries left 0" {
		t.Fatal(got)
	}
	// The PUK unblocks it, through the CLI.
	hostPath := filepath.Join(filepath.Dir(state), "host.json")
	if _, _, err := runCLI(t, "card", "unblock", "--state", state, "--host", hostPath, "--puk", "11223344", "--new", "2468"); err != nil {
		t.Fatal(err)
	}
	if got := pinTries(t, state); got != "PIN tries left 6" {
		t.Fatal(got)
	}
	out, _, err := runCLI(t, "card", "pin", "--state", state, "--host", hostPath, "--old", "2468", "--new", "1357")
	if err != nil || !strings.Contains(out, "PIN changed") {
		t.Fatalf("card pin: %v %s", err, out)
	}
	if _, _, err := runCLI(t, "card", "pin", "--state", state, "--host", hostPath, "--old", "2468", "--new", "1111"); !errors.Is(err, card.ErrWrongPIN) {
		t.Fatalf("card pin with the old PIN: %v", err)
	}
	var st card.State
	must(t, loadJSON(state, &st))
	out, _, _ = runCLI(t, "card", "status", "--state", state)
	for _, secret := range [][]byte{st.Key, st.PINHash, st.PUKHash, st.SMKey} {
		if strings.Contains(out, hex.EncodeToString(secret)) || strings.Contains(out, base64.StdEncoding.EncodeToString(secret)) {
			t.Fatalf("status shows a secret:\n%s", out)
		}
	}
	if !strings.Contains(out, "PIN tries left 5 of 6") || !strings.Contains(out, "PUK tries left 10 of 10") {
		t.Fatalf("status:\n%s", out)
	}
}

// The card served into pcscd through vsmartcard-vpcd, seen by standard
// tools: pcsc_scan shows its ATR, opensc-tool lists the reader with a card
// and gets 9000 for SELECT and GET CHALLENGE.
func TestCardWithStandardTools(t *testing.T) {
	slot := pcsctest.VPCD(t, 0)
	opensc := pcsctest.Tool(t, "opensc-tool", "opensc")
	scan := pcsctest.Tool(t, "pcsc_scan", "pcsc-tools")
	state, _, _ := initCard(t)
	cmd := exec.Command(os.Args[0], "card", "serve", "--state", state, "--vpcd", slot.Addr)
	cmd.Env = append(os.Environ(), "TRUSTBANK_RUN_MAIN=1")
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	reader := ""
	for reader == "" {
		out, _ := exec.CommandContext(ctx, opensc, "-l").CombinedOutput()
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[1] == "Yes" && strings.HasSuffix(l, slot.Reader) {
				reader = f[0]
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("opensc-tool -l never lists a card in %q:\n%s", slot.Reader, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, _ := exec.CommandContext(ctx, scan, "-n", "-t", "1").CombinedOutput()
	if !strings.Contains(string(out), "ATR: 3B 8A 80 01 54 42 53 48 49 45 4C 44 30 31 03") {
		t.Fatalf("pcsc_scan does not show the card's ATR:\n%s", out)
	}
	out, err := exec.CommandContext(ctx, opensc, "-r", reader,
		"-s", "00 A4 04 00 0A F0 54 42 53 48 49 45 4C 44 01", "-s", "00 84 00 00 10").CombinedOutput()
	if err != nil || strings.Count(string(out), "Received (SW1=0x90, SW2=0x00)") != 2 {
		t.Fatalf("opensc-tool: %v\n%s", err, out)
	}
	// A command that needs authentication gets 6982 through the same path.
	out, _ = exec.CommandContext(ctx, opensc, "-r", reader,
		"-s", "00 A4 04 00 0A F0 54 42 53 48 49 45 4C 44 01", "-s", "00 20 00 81 08 31 32 33 34 35 36 FF FF").CombinedOutput()
	if !strings.Contains(string(out), "SW1=0x69, SW2=0x82") {
		t.Fatalf("plain VERIFY through opensc-tool:\n%s", out)
	}
}

// kill -9 of the card after GENERATE made a re-enrollment's key and before
// a certificate for it arrived: the restarted card authenticates and signs
// with its enrolled key; the pending key survived.
func TestCardGenerateKill9KeepsKey(t *testing.T) {
	state, hk, pub := initCard(t)
	cardPub, err := sm2.NewPublicKey(pub)
	must(t, err)
	h, err := ca.NewHierarchy("Kill Test", time.Now())
	must(t, err)
	v, cmd, _ := serveCard(t, state, false)
	sb, err := middleware.Provision(v, hk, cardPub, h.Root, "123456", middleware.DefaultDispersal)
	must(t, err)
	mw, err := middleware.Open(middleware.Config{Transport: v, Sandbox: sb, Root: h.Root})
	must(t, err)
	must(t, mw.VerifyPIN([]byte("123456")))
	if _, err := mw.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	must(t, cmd.Process.Signal(os.Kill))
	cmd.Wait()
	mw.Close()
	v, _, _ = serveCard(t, state, false)
	mw, err = middleware.Open(middleware.Config{Transport: v, Sandbox: sb, Root: h.Root})
	must(t, err)
	defer mw.Close()
	if !mw.PublicKey().Equal(cardPub) {
		t.Fatal("after kill -9 the card's active key changed")
	}
	must(t, mw.VerifyPIN([]byte("123456")))
	msg := []byte("transfer 100 to bob")
	sig, err := mw.Sign(msg)
	must(t, err)
	if !sm2.VerifyASN1WithSM2(cardPub, nil, msg, sig) {
		t.Fatal("after kill -9 the card does not sign with its enrolled key")
	}
	if out, _, _ := runCLI(t, "card", "status", "--state", state); !strings.Contains(out, "key pair true\npending key pair true\nroot key true") {
		t.Fatalf("status: %s", out)
	}
}
