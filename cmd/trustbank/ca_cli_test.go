package main

import (
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// The CA from the command line: init, issue from a PEM request, the card's
// check of the P7, revoke, and a CRL that makes the card refuse it; the
// sealed keys refuse another master key.
func TestCACLI(t *testing.T) {
	dir := t.TempDir()
	cadir, master := filepath.Join(dir, "ca"), filepath.Join(dir, "master.key")
	mustRun(t, "ca", "init", "--dir", cadir, "--master-key", master, "--org", "Bank A")
	if _, _, err := runCLI(t, "ca", "init", "--dir", cadir, "--master-key", master); err == nil {
		t.Fatal("init over an existing CA")
	}
	k, _ := sm2.GenerateKey(rand.Reader)
	der, err := smx509.CreateCertificateRequest(rand.Reader, &smx509.CertificateRequest{SignatureAlgorithm: smx509.SM2WithSM3}, k)
	if err != nil {
		t.Fatal(err)
	}
	csr := filepath.Join(dir, "req.pem")
	os.WriteFile(csr, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o600)
	p7 := filepath.Join(dir, "cert.p7b")
	issue := []string{"ca", "issue", "--dir", cadir, "--master-key", master, "--csr", csr, "--out", p7,
		"--name", "李四", "--id-card", "11010519491231002X", "--account", "6222020200112233445"}
	serial := mustRun(t, issue...)
	bundle, _ := os.ReadFile(p7)
	rootPEM, _ := os.ReadFile(filepath.Join(cadir, "root.pem"))
	b, _ := pem.Decode(rootPEM)
	root, err := smx509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := cert.Verify(root, bundle, nil, time.Now())
	if err != nil || leaf.SerialNumber.Text(16) != serial {
		t.Fatalf("card check of the CLI's P7: %v (serial %s)", err, serial)
	}

	other := filepath.Join(dir, "other.key")
	mustRun(t, "ca", "init", "--dir", filepath.Join(dir, "ca2"), "--master-key", other)
	if _, _, err := runCLI(t, append(issue[:4:4], append([]string{"--master-key", other}, issue[6:]...)...)...); !errors.Is(err, ca.ErrSealed) {
		t.Fatalf("issuing with another master key: %v", err)
	}
	if _, _, err := runCLI(t, "ca", "revoke", "--dir", cadir, "--master-key", master, "--serial", serial, "--reason", "stolen"); !errors.Is(err, ca.ErrReason) {
		t.Fatalf("unknown reason: %v", err)
	}
	mustRun(t, "ca", "revoke", "--dir", cadir, "--master-key", master, "--serial", serial, "--reason", "keyCompromise")
	if _, _, err := runCLI(t, "ca", "revoke", "--dir", cadir, "--master-key", master, "--serial", serial); !errors.Is(err, ca.ErrAlreadyRevoked) {
		t.Fatalf("second revocation: %v", err)
	}
	crlPath := filepath.Join(dir, "issuing.crl")
	mustRun(t, "ca", "crl", "--dir", cadir, "--master-key", master, "--out", crlPath)
	crl, _ := os.ReadFile(crlPath)
	if _, err := cert.Verify(root, bundle, crl, time.Now()); !errors.Is(err, cert.ErrRevoked) {
		t.Fatalf("card check against the CLI's CRL: %v", err)
	}
	mustRun(t, "ca", "crl", "--dir", cadir, "--master-key", master, "--out", crlPath, "--pem")
	if b, _ := os.ReadFile(crlPath); len(b) == 0 || b[0] != '-' {
		t.Fatal("crl --pem did not write PEM")
	}
}
