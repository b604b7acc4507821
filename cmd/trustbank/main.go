// Command trustbank runs the trustbank platform: the demo of every
// subsystem, the servers, the role clients and the benchmarks.
//
//	trustbank demo                 the integrated story, step by step
//	trustbank serve                the roles over HTTP+JSON
//	trustbank ledger …             an account holder, operator or auditor of the ledger
//	trustbank ca init|issue|revoke|crl  the SM2 certificate authority (shield/ca)
//	trustbank card …               the virtual secure element (shield/card) and its PC/SC reader
//	trustbank mobile …             the secure-element banking app (shield/bank over shield/middleware)
//	trustbank idp …                the trust identity provider and its example service (seed 004)
//	trustbank trust simulate       the trust model's experiments (docs/trust.md)
//	trustbank invoice …            the buyer's e-invoice app (einvoice)
//	trustbank seller …             a seller's invoicing server (einvoice)
//	trustbank bench <area>         hot paths against their crypto bounds
//	trustbank version
//
// Run `trustbank <command> -h` for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "trustbank:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "trustbank:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// command is one subcommand: its name, a line of help and its entry point.
type command struct {
	name, help string
	run        func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is the static list of subcommands (no hidden registration).
var commands = []command{
	{"demo", "run the integrated trustbank story, printing what each step proves", runDemo},
	{"serve", "run the e-cash module, banks, user registry, the ledger bank, the shield bank and the trust identity provider with a service over HTTP+JSON", runServe},
	{"wallet", "a user's e-cash wallet: wallet init|withdraw|balance|pay|restore", runWallet},
	{"merchant", "a merchant: merchant init|challenge|accept|flush|serve", runMerchant},
	{"users", "the operator's user registry: users revoke|updates", runUsers},
	{"ledger", "the evidence-chain ledger: ledger init|request|pay|submit|notice|receipt|check|recover|audit|qr", runLedger},
	{"ca", "the SM2 certificate authority: ca init|issue|revoke|crl", runCA},
	{"card", "the virtual secure element: card serve|init|pin|unblock|status", runCard},
	{"mobile", "the secure-element banking app: mobile enroll|login|transfer, mobile admin open|code|revoke", runMobile},
	{"invoice", "the buyer's e-invoice app: invoice register|request|verify|export|biometrics", runInvoice},
	{"seller", "a seller's invoicing server: seller init|order|serve", runSeller},
	{"idp", "the trust identity provider: idp register|login|feedback|status|revoke|open", runIDP},
	{"trust", "the trust model (seed 004): trust simulate --scenario 1|2|adversary [--json] [--out DIR]", runTrust},
	{"bench", "measure hot paths against their bare-crypto bounds: bench <area> [--json]", runBench},
	{"version", "print the version", runVersion},
}

// Run runs the trustbank command line with args (without the program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", errUsage)
		}
		return flag.ErrHelp
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: trustbank <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.help)
	}
}

// newFlagSet returns a FlagSet for one subcommand that reports errors
// instead of exiting and prints its usage to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("trustbank "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
