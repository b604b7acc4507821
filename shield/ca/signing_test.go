package ca

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca/cert"
)

var invoiceOrg = cert.Organization{Name: "Trustbank e-invoice service", TaxID: "91110108551385082Q"}

// A document-signing certificate names the organization by its credit
// code, allows signing and non-repudiation for documents only, is in the
// issuance log, and chains to the root; a bad credit code or request is
// refused.
func TestIssueSigning(t *testing.T) {
	tc := newTestCA(t)
	ctx := context.Background()
	is, err := tc.a.IssueSigning(ctx, SigningRequest{CSR: csr(t, cardKey(t)), Organization: invoiceOrg})
	if err != nil {
		t.Fatal(err)
	}
	c := is.Certificate
	if got, err := cert.OrganizationOf(c); err != nil || got != invoiceOrg {
		t.Fatalf("organization %+v, %v", got, err)
	}
	if c.IsCA || c.KeyUsage != smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment ||
		len(c.ExtKeyUsage) != 0 || !slices.ContainsFunc(c.UnknownExtKeyUsage, cert.OIDDocumentSigning.Equal) {
		t.Fatalf("profile: CA %v, key usage %b, EKU %v %v", c.IsCA, c.KeyUsage, c.ExtKeyUsage, c.UnknownExtKeyUsage)
	}
	if _, err := tc.a.store.Lookup(ctx, c.SerialNumber); err != nil {
		t.Fatalf("not in the issuance log: %v", err)
	}
	roots, inter := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(tc.h.Root)
	inter.AddCert(tc.h.Issuing)
	if _, err := c.Verify(smx509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: t0,
		KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}}); err != nil {
		t.Fatal(err)
	}
	// The card-side check wants a clientAuth certificate: a document
	// signing one cannot log in.
	if _, err := cert.Verify(tc.h.Root, is.Bundle, nil, t0); !errors.Is(err, cert.ErrKeyUsage) {
		t.Fatalf("document-signing certificate passed the login check: %v", err)
	}
	bad := invoiceOrg
	bad.TaxID = "91110108551385082R"
	if _, err := tc.a.IssueSigning(ctx, SigningRequest{CSR: csr(t, cardKey(t)), Organization: bad}); !errors.Is(err, cert.ErrIdentity) {
		t.Fatalf("bad credit code: %v", err)
	}
	if _, err := tc.a.IssueSigning(ctx, SigningRequest{CSR: csrWithUID(t, cardKey(t), []byte("x")), Organization: invoiceOrg}); !errors.Is(err, ErrRequestSig) {
		t.Fatalf("request under another ID: %v", err)
	}
}

func TestValidCreditCode(t *testing.T) {
	for s, want := range map[string]bool{
		"91350100M000100Y43": true, "911100007109250324": true, "91110108551385082Q": true,
		"91440300708461136T": true, "91440300708461136U": false, "9144030070846113T": false,
		"91440300708461I36T": false, "914403007084611360": false, "": false,
	} {
		if cert.ValidCreditCode(s) != want {
			t.Errorf("ValidCreditCode(%q) = %v", s, !want)
		}
	}
}
