package main

import (
	"context"
	"fmt"
	"io"

	"trustbank/shield/bank/bankhttp"
	"trustbank/shield/ca"
)

// mobileAdminRevoke: the operator revokes a certificate at the online CA
// of a running server — the one bound to --account, or --serial (hex) —
// with an RFC 5280 reason. (`trustbank ca revoke` is the same for an
// offline CA directory.)
func mobileAdminRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := adminFlags("mobile admin revoke", stderr)
	serialHex := a.fs.String("serial", "", "serial number (hex) instead of --account")
	reasonName := a.fs.String("reason", "unspecified", "RFC 5280 reason: keyCompromise, superseded, cessationOfOperation, …")
	if err := parse(a.fs, args); err != nil {
		return err
	}
	if (*serialHex == "") == (a.account == "") {
		return fmt.Errorf("%w: mobile admin revoke needs exactly one of --account and --serial", errUsage)
	}
	r, err := revokeOnline(ctx, a, *serialHex, *reasonName)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked certificate %s (%s)\n", r.Serial, r.Reason)
	return nil
}

// revokeOnline revokes the certificate of a.account, or with serialHex.
func revokeOnline(ctx context.Context, a *flagSetClient, serialHex, reasonName string) (*bankhttp.RevokeResponse, error) {
	if a.account == "" {
		serial, reason, err := parseRevocation(serialHex, reasonName)
		if err != nil {
			return nil, err
		}
		return a.c.RevokeCertificate(ctx, serial, reason)
	}
	reason, err := ca.ParseReason(reasonName)
	if err != nil {
		return nil, err
	}
	return a.c.RevokeAccount(ctx, a.account, reason)
}
