package main

import (
	"context"
	"fmt"
	"io"
)

// runTrust dispatches `trustbank trust <subcommand>`: the trust model's
// tools (seed 004, docs/trust.md).
func runTrust(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: trustbank trust simulate [flags]")
		return fmt.Errorf("%w: trust needs a subcommand (simulate)", errUsage)
	}
	switch args[0] {
	case "simulate":
		return runTrustSimulate(ctx, args[1:], stdout, stderr)
	default:
		return fmt.Errorf("%w: unknown trust subcommand %q (simulate)", errUsage, args[0])
	}
}
