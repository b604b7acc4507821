package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"trustbank/internal/atomicfile"
	"trustbank/trust"
	"trustbank/trust/trusthttp"
)

// runIDP: the trust identity provider's clients (seed 004). register,
// status, revoke and open are the provider's operator; login is the
// user's client (fetch its key, answer the service's challenge, use a
// feature); feedback is the service's operator rating a session.
func runIDP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "idp", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"register": idpRegister, "login": idpLogin, "feedback": idpFeedback, "status": idpStatus, "revoke": idpRevoke, "open": idpOpen,
	})
}

// idpFlags are the flags every idp subcommand has.
type idpFlags struct {
	server, token, user *string
}

func newIDPFlags(fs *flag.FlagSet) idpFlags {
	return idpFlags{
		server: fs.String("server", "http://127.0.0.1:8080", "trustbank server"),
		token:  fs.String("admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the operator's admin token"),
		user:   fs.String("user", "", "the user id"),
	}
}

func (f idpFlags) provider() *trusthttp.Client {
	return &trusthttp.Client{Base: strings.TrimSuffix(*f.server, "/") + TrustIDPPrefix, AdminToken: *f.token}
}

func (f idpFlags) service() *trusthttp.ServiceClient {
	return &trusthttp.ServiceClient{Base: strings.TrimSuffix(*f.server, "/") + TrustServicePrefix, AdminToken: *f.token}
}

// parseUser parses args and requires --user.
func (f idpFlags) parseUser(fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if *f.user == "" {
		return fmt.Errorf("%w: --user is required", errUsage)
	}
	return nil
}

// clientKey reads the user's client key (a hex Ed25519 seed), making it
// on first use.
func clientKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		rand.Read(seed)
		if err := atomicfile.Write(path, []byte(hex.EncodeToString(seed)+"\n")); err != nil {
			return nil, err
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, err
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a hex Ed25519 seed", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func idpRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp register", stderr)
	f := newIDPFlags(fs)
	keyFile := fs.String("key", "idp-client.key", "the user's client key (made if missing)")
	if err := f.parseUser(fs, args); err != nil {
		return err
	}
	key, err := clientKey(*keyFile)
	if err != nil {
		return err
	}
	e, err := f.provider().Register(ctx, *f.user, key.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	defer e.Zeroize()
	fmt.Fprintf(stdout, "registered %s: tier %s (member key at epoch %d); the client key is %s\n", e.User, e.Tier, e.Key.Epoch, *keyFile)
	return nil
}

func idpLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp login", stderr)
	f := newIDPFlags(fs)
	keyFile := fs.String("key", "idp-client.key", "the user's client key")
	feature := fs.String("feature", "read", "the feature to use once logged in")
	attr := fs.String("attr", "", "an attribute name=value to present (the bad tier's check)")
	out := fs.String("out", "", "write the authentication here (for idp open)")
	if err := f.parseUser(fs, args); err != nil {
		return err
	}
	key, err := clientKey(*keyFile)
	if err != nil {
		return err
	}
	dir := trusthttp.UserDirectory{Client: &trusthttp.Client{Base: f.provider().Base}, Key: key}
	e, err := dir.Enrollment(ctx, *f.user)
	if err != nil {
		return err
	}
	c, err := trust.NewUserClient(ctx, dir, e)
	if err != nil {
		return err
	}
	defer c.Close()
	svc := f.service()
	ch, err := svc.Challenge(ctx)
	if err != nil {
		return err
	}
	a, err := c.Answer(ch, time.Now())
	if err != nil {
		return err
	}
	if *out != "" {
		enc, _ := a.MarshalBinary()
		if err := atomicfile.Write(*out, enc); err != nil {
			return err
		}
	}
	s, err := svc.Authenticate(ctx, a)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "authenticated to %s as tier %s; transaction %x\n", ch.Service, s.Tier, s.Transaction)
	attrs := map[string]string{}
	if name, value, ok := strings.Cut(*attr, "="); ok {
		attrs[name] = value
	}
	g, err := svc.Serve(ctx, s.Transaction, *feature, attrs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "served %s (%d requests left in the session)\n", g.Feature, g.Remaining)
	return nil
}

func idpFeedback(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp feedback", stderr)
	f := newIDPFlags(fs)
	txn := fs.String("txn", "", "the session's transaction id (hex, from idp login)")
	tc := fs.Float64("tc", -1, "the rating T_c in [0, 1]")
	if err := parse(fs, args); err != nil {
		return err
	}
	b, err := hex.DecodeString(*txn)
	if err != nil || len(b) != trust.NonceSize {
		return fmt.Errorf("%w: --txn must be %d bytes of hex", errUsage, trust.NonceSize)
	}
	var t [trust.NonceSize]byte
	copy(t[:], b)
	if err := f.service().Report(ctx, t, *tc); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rated transaction %x… with T_c = %g; the provider counted it\n", t[:8], *tc)
	return nil
}

func idpStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp status", stderr)
	f := newIDPFlags(fs)
	if err := f.parseUser(fs, args); err != nil {
		return err
	}
	st, err := f.provider().Status(ctx, *f.user)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: T = %.4f, tier %s, membership %d, revoked %v\n", st.User, st.T, st.Tier, st.Generation, st.Revoked)
	return nil
}

func idpRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp revoke", stderr)
	f := newIDPFlags(fs)
	if err := f.parseUser(fs, args); err != nil {
		return err
	}
	if err := f.provider().Revoke(ctx, *f.user); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s: its membership is revoked and its signatures are refused\n", *f.user)
	return nil
}

func idpOpen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("idp open", stderr)
	f := newIDPFlags(fs)
	in := fs.String("auth", "", "an authentication file (idp login --out)")
	if err := parse(fs, args); err != nil {
		return err
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		return fmt.Errorf("%w: --auth: %v", errUsage, err)
	}
	var a trust.Authentication
	if err := a.UnmarshalBinary(b); err != nil {
		return err
	}
	user, err := f.provider().Open(ctx, &a)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the authentication (tier %s, at %s) was made by %s\n", a.Tier, a.Time.UTC().Format(time.RFC3339), user)
	return nil
}
