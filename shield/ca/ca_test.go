package ca

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca/cert"
)

// The paper's steps 3–8: the card's request, the CA's P7, the card's check
// and the identity read back from the stored certificate.
func TestIssueAndVerify(t *testing.T) {
	tc := newTestCA(t)
	is := tc.issue(t, cardKey(t))
	leaf, err := cert.Verify(tc.h.Root, is.Bundle, nil, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	id, err := cert.IdentityOf(leaf)
	if err != nil || id != alice {
		t.Fatalf("identity %+v, %v", id, err)
	}
	if leaf.KeyUsage != smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment || leaf.IsCA {
		t.Fatalf("leaf key usage %b, CA %v", leaf.KeyUsage, leaf.IsCA)
	}
	if len(leaf.CRLDistributionPoints) != 1 || leaf.SerialNumber.BitLen() != 127 {
		t.Fatalf("CRL DP %v, serial of %d bits", leaf.CRLDistributionPoints, leaf.SerialNumber.BitLen())
	}
	if len(leaf.AuthorityKeyId) == 0 || len(tc.h.Issuing.SubjectKeyId) == 0 || len(tc.h.Root.SubjectKeyId) == 0 {
		t.Fatal("key identifiers missing")
	}
	if !tc.h.Issuing.IsCA || !tc.h.Issuing.MaxPathLenZero || tc.h.Root.MaxPathLen != 1 {
		t.Fatal("CA path lengths are not root 1, issuing 0")
	}
	rec, err := tc.a.store.Lookup(context.Background(), leaf.SerialNumber)
	if err != nil || !bytes.Equal(rec.DER, leaf.Raw) {
		t.Fatalf("issuance log: %v", err)
	}
	// A PEM request and Encipherment are accepted too.
	pemCSR := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr(t, cardKey(t))})
	enc, err := tc.a.Issue(context.Background(), IssueRequest{CSR: pemCSR, Identity: alice, Encipherment: true})
	if err != nil || enc.Certificate.KeyUsage&smx509.KeyUsageKeyEncipherment == 0 {
		t.Fatalf("PEM request with encipherment: %v", err)
	}
}

// Requests that must be refused before anything is signed.
func TestRequestAttacks(t *testing.T) {
	tc := newTestCA(t)
	k := cardKey(t)
	good := csr(t, k)
	forged := bytes.Clone(good)
	forged[len(forged)-5] ^= 1
	other := csr(t, cardKey(t))
	swapped := append(bytes.Clone(good[:len(good)-75]), other[len(other)-75:]...)
	for name, tt := range map[string]struct {
		req  IssueRequest
		want error
	}{
		"fail/forged signature":   {IssueRequest{CSR: forged, Identity: alice}, nil},
		"fail/another key's sig":  {IssueRequest{CSR: swapped, Identity: alice}, nil},
		"fail/wrong user ID":      {IssueRequest{CSR: csrWithUID(t, k, []byte("alice@card")), Identity: alice}, ErrRequestSig},
		"fail/expected other UID": {IssueRequest{CSR: good, UID: []byte("alice@card"), Identity: alice}, ErrRequestSig},
		"fail/not a request":      {IssueRequest{CSR: []byte("hello"), Identity: alice}, ErrRequest},
		"fail/trailing bytes":     {IssueRequest{CSR: append(bytes.Clone(good), 0), Identity: alice}, ErrRequest},
		"fail/bad ID checksum":    {IssueRequest{CSR: good, Identity: cert.Identity{Name: "x", IDCard: "110105194912310021", Account: "62220202"}}, cert.ErrIdentity},
		"fail/no name":            {IssueRequest{CSR: good, Identity: cert.Identity{IDCard: alice.IDCard, Account: alice.Account}}, cert.ErrIdentity},
		"fail/account letters":    {IssueRequest{CSR: good, Identity: cert.Identity{Name: "x", IDCard: alice.IDCard, Account: "6222abc0200"}}, cert.ErrIdentity},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.a.Issue(context.Background(), tt.req)
			if err == nil {
				t.Fatal("issued")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.want == nil && !errors.Is(err, ErrRequest) && !errors.Is(err, ErrRequestSig) {
				t.Fatalf("got %v", err)
			}
		})
	}
	// The same request under the agreed ID is fine.
	if _, err := tc.a.Issue(context.Background(), IssueRequest{CSR: csrWithUID(t, k, []byte("alice@card")), UID: []byte("alice@card"), Identity: alice}); err != nil {
		t.Fatal(err)
	}
}
