package ca

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca/cert"
)

// Bundles and CRLs the card must refuse, each with its reason.
func TestChainAttacks(t *testing.T) {
	tc := newTestCA(t)
	ctx := context.Background()
	good := tc.issue(t, cardKey(t))
	stranger := newTestCA(t)

	// A leaf signed by the root itself.
	byRoot := tc.authority(t, tc.h.Root, tc.h.RootKey, sqliteStore(t))
	direct, err := byRoot.Issue(ctx, IssueRequest{CSR: csr(t, cardKey(t)), Identity: alice})
	if err != nil {
		t.Fatal(err)
	}
	// An "issuing CA" the root certified without CA basic constraints.
	fakeKey := cardKey(t)
	fake, err := sign(&smx509.Certificate{SerialNumber: tc.h.Issuing.SerialNumber,
		Subject:   pkix.Name{CommonName: "not a CA"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(IssuingValidity), KeyUsage: smx509.KeyUsageCertSign,
		BasicConstraintsValid: true}, tc.h.Root, &fakeKey.PublicKey, tc.h.RootKey)
	if err != nil {
		t.Fatal(err)
	}
	viaFake, err := tc.authority(t, fake, fakeKey, sqliteStore(t)).Issue(ctx, IssueRequest{CSR: csr(t, cardKey(t)), Identity: alice})
	if err != nil {
		t.Fatal(err)
	}
	// A sub-CA under the issuing CA, whose path length is 0.
	subKey := cardKey(t)
	subTmpl := caTemplate(pkix.Name{CommonName: "sub CA"}, t0, IssuingValidity, 0)
	sub, err := sign(subTmpl, tc.h.Issuing, &subKey.PublicKey, tc.h.IssuingKey)
	if err != nil {
		t.Fatal(err)
	}
	viaSub, err := New(Config{Organization: "x", CRLURL: "http://x", Now: func() time.Time { return t0 }}, tc.h.Issuing, sub, subKey, sqliteStore(t))
	if err != nil {
		t.Fatal(err)
	}
	deep, err := viaSub.Issue(ctx, IssueRequest{CSR: csr(t, cardKey(t)), Identity: alice})
	if err != nil {
		t.Fatal(err)
	}
	deepBundle, _ := cert.Bundle(deep.Certificate, sub, tc.h.Issuing)
	leafOnly, _ := cert.Bundle(good.Certificate)
	caFirst, _ := cert.Bundle(tc.h.Issuing, good.Certificate)
	now := t0.Add(time.Hour)
	for name, tt := range map[string]struct {
		root   *smx509.Certificate
		bundle []byte
		at     time.Time
		want   error
	}{
		"fail/wrong root":          {stranger.h.Root, good.Bundle, now, cert.ErrUntrusted},
		"fail/expired":             {tc.h.Root, good.Bundle, t0.Add(DefaultValidity + time.Hour), cert.ErrValidity},
		"fail/not yet valid":       {tc.h.Root, good.Bundle, t0.Add(-time.Hour), cert.ErrValidity},
		"fail/signed by root":      {tc.h.Root, direct.Bundle, now, cert.ErrChain},
		"fail/issuer not a CA":     {tc.h.Root, viaFake.Bundle, now, cert.ErrNotCA},
		"fail/path length":         {tc.h.Root, deepBundle, now, cert.ErrChain},
		"fail/issuing CA missing":  {tc.h.Root, leafOnly, now, cert.ErrUntrusted},
		"fail/CA first":            {tc.h.Root, caFirst, now, cert.ErrBundle},
		"fail/empty":               {tc.h.Root, nil, now, cert.ErrBundle},
		"fail/leaf as pinned root": {good.Certificate, good.Bundle, now, cert.ErrChain},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := cert.Verify(tt.root, tt.bundle, nil, tt.at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

// Every changed byte of a bundle is refused; most by the strict parser,
// the rest by a signature.
func TestTamperedBundle(t *testing.T) {
	tc := newTestCA(t)
	b := tc.issue(t, cardKey(t)).Bundle
	for i := range b {
		bad := append([]byte(nil), b...)
		bad[i] ^= 0x01
		leaf, err := cert.Verify(tc.h.Root, bad, nil, t0.Add(time.Hour))
		if err == nil {
			t.Fatalf("byte %d flipped: accepted %s", i, leaf.Subject)
		}
		if !errors.Is(err, cert.ErrBundle) && !errors.Is(err, cert.ErrUntrusted) && !errors.Is(err, cert.ErrChain) &&
			!errors.Is(err, cert.ErrNotCA) && !errors.Is(err, cert.ErrValidity) && !errors.Is(err, cert.ErrKeyUsage) {
			t.Fatalf("byte %d flipped: unclassified error %v", i, err)
		}
	}
	if _, err := cert.Verify(tc.h.Root, append(b, 0), nil, t0.Add(time.Hour)); !errors.Is(err, cert.ErrBundle) {
		t.Fatalf("trailing byte: %v", err)
	}
}

// Revocation: durable in the store, listed in a CRL the issuing CA signs;
// the card refuses the revoked leaf, a forged, stale or foreign CRL.
func TestRevocation(t *testing.T) {
	tc := newTestCA(t)
	ctx := context.Background()
	revoked, kept := tc.issue(t, cardKey(t)), tc.issue(t, cardKey(t))
	tc.now = t0.Add(time.Hour)
	if err := tc.a.Revoke(ctx, revoked.Certificate.SerialNumber, KeyCompromise); err != nil {
		t.Fatal(err)
	}
	if err := tc.a.Revoke(ctx, revoked.Certificate.SerialNumber, Superseded); !errors.Is(err, ErrAlreadyRevoked) {
		t.Fatalf("second revocation: %v", err)
	}
	if err := tc.a.Revoke(ctx, tc.h.Issuing.SerialNumber, KeyCompromise); !errors.Is(err, ErrUnknownSerial) {
		t.Fatalf("revoking a serial never issued: %v", err)
	}
	if err := tc.a.Revoke(ctx, kept.Certificate.SerialNumber, Reason(7)); !errors.Is(err, ErrReason) {
		t.Fatalf("reason 7: %v", err)
	}
	crl, err := tc.a.CRL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(2 * time.Hour)
	if _, err := cert.Verify(tc.h.Root, revoked.Bundle, crl, at); !errors.Is(err, cert.ErrRevoked) {
		t.Fatalf("revoked leaf: %v", err)
	}
	if _, err := cert.Verify(tc.h.Root, kept.Bundle, crl, at); err != nil {
		t.Fatalf("leaf not revoked: %v", err)
	}
	list, _ := smx509.ParseRevocationList(crl)
	if list.Number.Int64() != 1 || list.RevokedCertificateEntries[0].ReasonCode != int(KeyCompromise) {
		t.Fatalf("CRL number %v, entries %+v", list.Number, list.RevokedCertificateEntries)
	}
	bad := append([]byte(nil), crl...)
	bad[len(bad)-3] ^= 1
	stranger := newTestCA(t)
	foreign, _ := stranger.a.CRL(ctx)
	for name, tt := range map[string]struct {
		crl []byte
		at  time.Time
	}{
		"fail/forged CRL":    {bad, at},
		"fail/stale CRL":     {crl, at.Add(DefaultCRLValidity)},
		"fail/foreign CRL":   {foreign, at},
		"fail/before update": {crl, t0},
	} {
		if _, err := cert.Verify(tc.h.Root, revoked.Bundle, tt.crl, tt.at); !errors.Is(err, cert.ErrCRL) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	next, _ := tc.a.CRL(ctx)
	if l, _ := smx509.ParseRevocationList(next); l.Number.Int64() != 2 {
		t.Fatalf("next CRL number %v", l.Number)
	}
}
