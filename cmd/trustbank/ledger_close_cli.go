package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// longClient is an operator client for requests that read the whole book.
func longClient(server, token string, wait time.Duration) *ledgerhttp.Client {
	return &ledgerhttp.Client{Base: server, AdminToken: token, HTTP: &http.Client{Timeout: wait}}
}

// ledgerDeepCheck prints the deep check's report, one line per fault.
func ledgerDeepCheck(ctx context.Context, c *ledgerhttp.Client, stdout io.Writer) error {
	rep, err := c.CheckDeep(ctx)
	if err != nil {
		return err
	}
	printDeep(stdout, rep)
	if !rep.OK {
		return fmt.Errorf("%w: deep check found %d faults", ledger.ErrBookBroken, len(rep.Faults)+rep.Dropped)
	}
	return nil
}

func printDeep(w io.Writer, rep ledgerhttp.DeepCheckResponse) {
	if rep.OK {
		fmt.Fprintf(w, "%d entries deep-checked in %.1f s, every entry whole\n", rep.Size, rep.Seconds)
		return
	}
	for _, f := range rep.Faults {
		fmt.Fprintf(w, "entry %d: %s: %s\n", f.Index, f.Check, f.Detail)
	}
	if rep.Dropped > 0 {
		fmt.Fprintf(w, "and %d more faults\n", rep.Dropped)
	}
}

func ledgerClose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger close", stderr)
	server, token := operatorClient(fs)
	bankKey := fs.String("bank-key", "", "the bank's public key (base64) to pin; default: the server's")
	wait := fs.Duration("timeout", 2*time.Hour, "how long to wait for the deep check and the closing")
	if err := parse(fs, args); err != nil {
		return err
	}
	c := longClient(*server, *token, *wait)
	var pinned []byte
	if *bankKey != "" {
		var err error
		if pinned, err = base64Arg("bank-key", *bankKey); err != nil {
			return err
		}
	}
	bank, _, err := c.Verifier(ctx, pinned)
	if err != nil {
		return err
	}
	cl, rep, err := c.CloseDay(ctx, bank)
	if err != nil {
		printDeep(stdout, rep)
		return err
	}
	printDeep(stdout, rep)
	fmt.Fprintf(stdout, "closed at %d entries, root %x (closing checkpoint signed by %s)\n", cl.Size, cl.Root[:], cl.Bank)
	return nil
}
