package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"trustbank/attest"
	"trustbank/groupsig"
	"trustbank/groupsig/registry"
	"trustbank/internal/node"
	"trustbank/internal/sqldb"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	dataDir := fs.String("data", "", "data directory (default: a temporary directory, removed afterwards)")
	pgDSN := fs.String("pg", "", "PostgreSQL DSN to use instead of SQLite (the demo works in a schema of its own and drops it)")
	tpm := fs.String("tpm", "simulator", "the wallet's TPM: simulator, unix:///path or tcp://host:port (swtpm), or /dev/tpmrm0")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dataDir == "" {
		dir, err := os.MkdirTemp("", "trustbank-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*dataDir = dir
	}
	dev, err := attest.OpenPath(*tpm)
	if err != nil {
		return err
	}
	defer dev.Close()
	golden, err := dev.PCRDigest()
	if err != nil {
		return err
	}
	ca, err := standInManufacturer()
	if err != nil {
		return err
	}
	cfg := node.Config{DataDir: *dataDir, PostgresDSN: *pgDSN, Golden: [][]byte{golden}, RequireTPM: true, EKCA: ca.PEM(), EinvoiceLink: demoTap}
	cfg.Schedule = node.DefaultSchedule()
	cfg.Schedule.Denoms, cfg.Schedule.Lookahead = cfg.Schedule.Denoms[:17], 0
	where := "SQLite " + filepath.Join(*dataDir, "trustbank.db")
	if *pgDSN != "" {
		cfg.PostgresSchema = "demo_" + randHex(6)
		defer dropSchema(*pgDSN, cfg.PostgresSchema)
		where = "PostgreSQL, schema " + cfg.PostgresSchema
	}
	fmt.Fprintf(stdout, "trustbank demo — storage: %s; TPM: %s\n", where, *tpm)
	n, err := node.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	d := &demo{out: stdout, db: n.DB}
	if err := d.groupSignatures(ctx); err != nil {
		return err
	}
	if err := d.ecashStory(ctx, n, dev, ca); err != nil {
		return err
	}
	if err := d.einvoiceStory(ctx, n, *dataDir); err != nil {
		return err
	}
	if err := d.ledgerStory(ctx, n); err != nil {
		return err
	}
	if err := d.shieldStory(ctx, n); err != nil {
		return err
	}
	return d.trustStory(ctx, n)
}

// dropSchema removes the demo's PostgreSQL schema.
func dropSchema(dsn, schema string) {
	db, err := sqldb.OpenPostgres(context.Background(), dsn, "")
	if err != nil {
		return
	}
	defer db.Close()
	db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
}

// demo prints the story step by step.
type demo struct {
	out  io.Writer
	db   *sqldb.DB
	step int
}

func (d *demo) section(title string) { fmt.Fprintf(d.out, "\n== %s\n", title) }

// say prints one step: who did what, and what it proves.
func (d *demo) say(who, what, proves string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "%2d. [%s] %s\n", d.step, who, fmt.Sprintf(what, args...))
	if proves != "" {
		fmt.Fprintf(d.out, "      ✓ %s\n", proves)
	}
}

// groupSignatures is the BBS04 story: set up a group with separate issuer
// and opener, join three members, sign, verify, open, revoke one, and show
// that the others go on while the revoked member's new signatures fail.
func (d *demo) groupSignatures(ctx context.Context) error {
	d.section("Group signatures (BBS04 on BLS12-381): package groupsig")
	store, err := registry.NewSQLStore(ctx, d.db)
	if err != nil {
		return err
	}
	ok, err := groupsig.GenerateOpenerKey(rand.Reader)
	if err != nil {
		return err
	}
	ik, err := groupsig.GenerateIssuerKey(rand.Reader, ok.Public)
	if err != nil {
		return err
	}
	name := "customers-" + randHex(4)
	issuer, err := registry.CreateGroup(ctx, store, name, ik)
	if err != nil {
		return err
	}
	opener, err := registry.NewOpener(ctx, store, name, ok, ik)
	if err != nil {
		return err
	}
	pk := issuer.PublicKey()
	d.say("opener", "generated its secret (ξ1, ξ2) and published (h, u, v); it also holds the issuer's γ",
		"with γ one tag per member names signers of every epoch, so a revocation re-tags nobody")
	d.say("issuer", "created group %q: public key %d bytes at epoch %d", "verifiers need only this one key, whatever the group size", name, groupsig.PublicKeySize, pk.Epoch)

	keys := map[string]*groupsig.MemberKey{}
	for _, id := range []string{"alice", "bob", "carol"} {
		mk, err := issuer.Join(ctx, id)
		if err != nil {
			return err
		}
		if err := mk.Check(pk); err != nil {
			return err
		}
		keys[id] = mk
		d.say(id, "joined: received member key (A, x) and checked e(A, w·g2^x) = e(g1, g2)", "the key is genuine; the registry has it for opening")
	}

	msg := []byte("transfer 250.00 CNY to merchant 42")
	sig, err := keys["bob"].Sign(rand.Reader, pk, msg)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := pk.Verify(msg, sig); err != nil {
		return err
	}
	d.say("bob", "signed %q: %d-byte group signature", "", msg, groupsig.SignatureSize)
	d.say("verifier", "verified with the group public key in %v", "some member of the group signed this; the signature does not say who", time.Since(start).Round(time.Microsecond))
	if err := pk.Verify([]byte("transfer 9250.00 CNY to merchant 42"), sig); !errors.Is(err, groupsig.ErrInvalidSignature) {
		return fmt.Errorf("demo: altered message was not rejected: %v", err)
	}
	d.say("verifier", "checked the same signature on an altered amount: %v", "the signature binds the exact message", groupsig.ErrInvalidSignature)
	sig2, err := keys["bob"].Sign(rand.Reader, pk, msg)
	if err != nil {
		return err
	}
	e1, _ := sig.MarshalBinary()
	e2, _ := sig2.MarshalBinary()
	d.say("verifier", "got a second signature by the same member on the same message: first bytes of T1 %x… vs %x…", "two signatures by one member cannot be linked", e1[8:14], e2[8:14])

	m, err := opener.Open(ctx, msg, sig)
	if err != nil {
		return err
	}
	d.say("opener", "opened the signature: signer is %q", "only the opener can trace, and it names the true signer", m.ID)

	rev, err := issuer.Revoke(ctx, "carol")
	if err != nil {
		return err
	}
	pk1, err := pk.Apply(rev)
	if err != nil {
		return err
	}
	d.say("issuer", "revoked carol: published a %d-byte update, group moves to epoch %d", "anyone can check the update against the old key (Apply did)", groupsig.RevocationSize, pk1.Epoch)
	for _, id := range []string{"alice", "bob"} {
		nk, err := keys[id].Update(rev)
		if err != nil {
			return err
		}
		s, err := nk.Sign(rand.Reader, pk1, msg)
		if err != nil {
			return err
		}
		if err := pk1.Verify(msg, s); err != nil {
			return fmt.Errorf("demo: %s after revocation: %w", id, err)
		}
		who, err := opener.Open(ctx, msg, s)
		if err != nil {
			return err
		}
		d.say(id, "updated its key to epoch %d and signed; verifies, opens to %q", "members who stay keep signing", pk1.Epoch, who.ID)
	}
	if _, err := keys["carol"].Update(rev); !errors.Is(err, groupsig.ErrRevoked) {
		return fmt.Errorf("demo: revoked member could update: %v", err)
	}
	forced := &groupsig.MemberKey{Epoch: pk1.Epoch, A: keys["carol"].A, X: keys["carol"].X}
	s, err := forced.Sign(rand.Reader, pk1, msg)
	if err != nil {
		return err
	}
	if err := pk1.Verify(msg, s); !errors.Is(err, groupsig.ErrInvalidSignature) {
		return fmt.Errorf("demo: revoked member's signature was not rejected: %v", err)
	}
	d.say("carol", "tried to update (%v) and to sign with her old key anyway: %v", "a revoked member cannot sign; verification cost did not grow", groupsig.ErrRevoked, groupsig.ErrInvalidSignature)
	m, err = opener.Open(ctx, []byte("transfer 250.00 CNY to merchant 42"), sig)
	if err != nil {
		return err
	}
	d.say("opener", "re-opened bob's signature from epoch 0 after the restart-safe registry moved on: %q", "signatures from earlier epochs stay traceable", m.ID)
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
