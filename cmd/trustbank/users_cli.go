package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"trustbank/ecash/ecashhttp"
)

// runUsers: the operator's user-registry commands. revoke removes a user
// from the user group (the group moves to a new epoch; wallets catch up on
// their next run); updates lists the published revocation updates.
func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "users", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"revoke": usersRevoke, "updates": usersUpdates,
	})
}

func usersRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("users revoke", stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "trustbank server")
	user := fs.String("user", "", "the identity to revoke")
	token := fs.String("admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the operator's admin token")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("%w: --user is required", errUsage)
	}
	c := &ecashhttp.Client{Base: *server, AdminToken: *token}
	rev, err := c.RevokeUser(ctx, *user)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s: the user group is now at epoch %d; coins escrow that epoch from now on\n", *user, rev.Epoch)
	return nil
}

func usersUpdates(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("users updates", stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "trustbank server")
	after := fs.Uint64("after", 0, "list the updates after this user epoch")
	if err := parse(fs, args); err != nil {
		return err
	}
	revs, err := (&ecashhttp.Client{Base: *server}).Updates(ctx, *after)
	if err != nil {
		return err
	}
	for _, rev := range revs {
		enc, _ := rev.MarshalBinary()
		fmt.Fprintf(stdout, "epoch %d: %d-byte update %x…\n", rev.Epoch, len(enc), enc[:8])
	}
	return nil
}
