package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/atomicfile"
	"trustbank/internal/sqldb"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// runCA is the certificate authority's operator:
//
//	ca init    make the root and issuing CA in a CA directory (keys sealed)
//	ca issue   a PKCS#10 request (PEM or DER) and the bank's identity → P7
//	ca revoke  revoke a certificate by serial (hex) with an RFC 5280 reason
//	ca crl     write the current CRL, signed by the issuing CA
//
// A CA directory holds ca.json, root.pem, issuing.pem, root.key and
// issuing.key (sealed under the master key, package ca's MasterKey) and
// ca.db (SQLite) unless ca.json names a PostgreSQL DSN. The master key is
// a file of 64 hex digits kept outside the directory (--master-key).
func runCA(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "ca", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"init": caInit, "issue": caIssue, "revoke": caRevoke, "crl": caCRL,
	})
}

type caFile struct {
	Organization string `json:"organization"`
	CRLURL       string `json:"crl_url"`
	DSN          string `json:"dsn,omitempty"`
}

func readMasterKey(path string, create bool) (*ca.MasterKey, error) {
	var m ca.MasterKey
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		rand.Read(m[:])
		return &m, atomicfile.Write(path, []byte(hex.EncodeToString(m[:])+"\n"))
	}
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != len(m) {
		return nil, fmt.Errorf("master key %s: want 64 hex digits", path)
	}
	copy(m[:], k)
	return &m, nil
}

func caInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ca init", stderr)
	dir := fs.String("dir", "", "CA directory (created)")
	master := fs.String("master-key", "", "master key file (created if missing; keep it outside --dir)")
	f := caFile{}
	fs.StringVar(&f.Organization, "org", "Trustbank", "organization")
	fs.StringVar(&f.CRLURL, "crl-url", "http://ca.trustbank.example/issuing.crl", "CRL distribution point")
	fs.StringVar(&f.DSN, "dsn", "", "PostgreSQL DSN (default: SQLite ca.db in --dir)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || *master == "" {
		return fmt.Errorf("%w: ca init needs --dir and --master-key", errUsage)
	}
	if _, err := os.Stat(filepath.Join(*dir, "ca.json")); err == nil {
		return fmt.Errorf("%s already holds a CA", *dir)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	m, err := readMasterKey(*master, true)
	if err != nil {
		return err
	}
	h, err := ca.NewHierarchy(f.Organization, time.Now())
	if err != nil {
		return err
	}
	defer h.Zeroize()
	for _, k := range []struct {
		role string
		key  *sm2.PrivateKey
	}{{"root", h.RootKey}, {"issuing", h.IssuingKey}} {
		sealed, err := m.SealKey(k.role, k.key)
		if err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(*dir, k.role+".key"), sealed); err != nil {
			return err
		}
	}
	for name, c := range map[string]*smx509.Certificate{"root.pem": h.Root, "issuing.pem": h.Issuing} {
		if err := atomicfile.Write(filepath.Join(*dir, name), certPEM(c)); err != nil {
			return err
		}
	}
	db, err := openCADB(ctx, *dir, f.DSN)
	if err != nil {
		return err
	}
	db.Close()
	fmt.Fprintf(stderr, "CA initialised in %s: root %s, issuing CA %s\n", *dir, h.Root.Subject, h.Issuing.Subject)
	return atomicfile.WriteJSON(filepath.Join(*dir, "ca.json"), f)
}

func certPEM(c *smx509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func openCADB(ctx context.Context, dir, dsn string) (*sqldb.DB, error) {
	return sqldb.Open(ctx, filepath.Join(dir, "ca.db"), dsn)
}

// openCA opens the authority of a CA directory; close the returned DB.
func openCA(ctx context.Context, dir, master string) (*ca.Authority, *sqldb.DB, error) {
	var f caFile
	if err := loadJSON(filepath.Join(dir, "ca.json"), &f); err != nil {
		return nil, nil, fmt.Errorf("not a CA directory: %w", err)
	}
	m, err := readMasterKey(master, false)
	if err != nil {
		return nil, nil, err
	}
	defer m.Zeroize()
	root, err := readCert(filepath.Join(dir, "root.pem"))
	if err != nil {
		return nil, nil, err
	}
	issuing, err := readCert(filepath.Join(dir, "issuing.pem"))
	if err != nil {
		return nil, nil, err
	}
	sealed, err := os.ReadFile(filepath.Join(dir, "issuing.key"))
	if err != nil {
		return nil, nil, err
	}
	key, err := m.OpenKey("issuing", sealed)
	if err != nil {
		return nil, nil, err
	}
	db, err := openCADB(ctx, dir, f.DSN)
	if err != nil {
		return nil, nil, err
	}
	st, err := ca.NewSQLStore(ctx, db)
	if err == nil {
		var a *ca.Authority
		if a, err = ca.New(ca.Config{Organization: f.Organization, CRLURL: f.CRLURL}, root, issuing, key, st); err == nil {
			return a, db, nil
		}
	}
	db.Close()
	return nil, nil, err
}

func readCert(path string) (*smx509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return smx509.ParseCertificate(blk.Bytes)
}

// writeDER writes der to path, as PEM of type typ if asPEM.
func writeDER(path string, der []byte, typ string, asPEM bool) error {
	if asPEM {
		der = pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	}
	return atomicfile.Write(path, der)
}

func caIssue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ca issue", stderr)
	dir, master := fs.String("dir", "", "CA directory"), fs.String("master-key", "", "master key file")
	csrPath, out := fs.String("csr", "", "PKCS#10 request, PEM or DER"), fs.String("out", "", "P7 output file")
	uid := fs.String("uid", ca.DefaultUID, "SM2 user ID the request is signed under")
	var id cert.Identity
	fs.StringVar(&id.Name, "name", "", "holder's name")
	fs.StringVar(&id.IDCard, "id-card", "", "holder's resident ID number")
	fs.StringVar(&id.Account, "account", "", "holder's bank account number")
	enc := fs.Bool("encipherment", false, "allow the key to decrypt too")
	asPEM := fs.Bool("pem", false, "write the P7 as PEM instead of DER")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *csrPath == "" || *out == "" {
		return fmt.Errorf("%w: ca issue needs --csr and --out", errUsage)
	}
	req, err := os.ReadFile(*csrPath)
	if err != nil {
		return err
	}
	a, db, err := openCA(ctx, *dir, *master)
	if err != nil {
		return err
	}
	defer db.Close()
	is, err := a.Issue(ctx, ca.IssueRequest{CSR: req, UID: []byte(*uid), Identity: id, Encipherment: *enc})
	if err != nil {
		return err
	}
	if err := writeDER(*out, is.Bundle, "PKCS7", *asPEM); err != nil {
		return err
	}
	fmt.Fprintln(stdout, is.Certificate.SerialNumber.Text(16))
	return nil
}

func caRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ca revoke", stderr)
	dir, master := fs.String("dir", "", "CA directory"), fs.String("master-key", "", "master key file")
	serialHex := fs.String("serial", "", "serial number, hex")
	reasonName := fs.String("reason", "unspecified", "RFC 5280 reason: keyCompromise, superseded, cessationOfOperation, …")
	if err := parse(fs, args); err != nil {
		return err
	}
	serial, reason, err := parseRevocation(*serialHex, *reasonName)
	if err != nil {
		return err
	}
	a, db, err := openCA(ctx, *dir, *master)
	if err != nil {
		return err
	}
	defer db.Close()
	return a.Revoke(ctx, serial, reason)
}

// parseRevocation reads the --serial (hex) and --reason (RFC 5280 name)
// of a revocation, offline (ca revoke) or online (mobile admin revoke).
func parseRevocation(serialHex, reasonName string) (*big.Int, ca.Reason, error) {
	serial, ok := new(big.Int).SetString(serialHex, 16)
	if !ok || serial.Sign() <= 0 {
		return nil, 0, fmt.Errorf("%w: --serial %q is not a positive hex number", errUsage, serialHex)
	}
	reason, err := ca.ParseReason(reasonName)
	return serial, reason, err
}

func caCRL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ca crl", stderr)
	dir, master := fs.String("dir", "", "CA directory"), fs.String("master-key", "", "master key file")
	out := fs.String("out", "", "CRL output file")
	asPEM := fs.Bool("pem", false, "write the CRL as PEM instead of DER")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: ca crl needs --out", errUsage)
	}
	a, db, err := openCA(ctx, *dir, *master)
	if err != nil {
		return err
	}
	defer db.Close()
	crl, err := a.CRL(ctx)
	if err != nil {
		return err
	}
	return writeDER(*out, crl, "X509 CRL", *asPEM)
}
