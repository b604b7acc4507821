package ca

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/shield/ca/cert"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

var alice = cert.Identity{Name: "张三", IDCard: "11010519491231002X", Account: "6222020200112233445"}

// testCA is a hierarchy, its authority on a fresh SQLite store, and a
// settable clock.
type testCA struct {
	h   *Hierarchy
	a   *Authority
	now time.Time
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	h, err := NewHierarchy("Trustbank Test", t0)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCA{h: h, now: t0}
	tc.a = tc.authority(t, h.Issuing, h.IssuingKey, sqliteStore(t))
	return tc
}

func (tc *testCA) authority(t testing.TB, issuing *smx509.Certificate, key *sm2.PrivateKey, st Store) *Authority {
	t.Helper()
	a, err := New(Config{Organization: "Trustbank Test", CRLURL: "http://ca.trustbank.test/issuing.crl",
		Now: func() time.Time { return tc.now }}, tc.h.Root, issuing, key, st)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sqliteStore(t testing.TB) Store {
	t.Helper()
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := NewSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func cardKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// csr makes a PKCS#10 request signed under the default user ID.
func csr(t testing.TB, k *sm2.PrivateKey) []byte {
	t.Helper()
	der, err := smx509.CreateCertificateRequest(rand.Reader, &smx509.CertificateRequest{
		Subject: pkix.Name{CommonName: "card"}, SignatureAlgorithm: smx509.SM2WithSM3}, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// csrWithUID re-signs a request under another SM2 user ID (smx509 only
// signs under the default one).
func csrWithUID(t testing.TB, k *sm2.PrivateKey, uid []byte) []byte {
	t.Helper()
	var req struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
		Sig asn1.BitString
	}
	if _, err := asn1.Unmarshal(csr(t, k), &req); err != nil {
		t.Fatal(err)
	}
	sig, err := k.Sign(rand.Reader, req.TBS.FullBytes, sm2.NewSM2SignerOption(true, uid))
	if err != nil {
		t.Fatal(err)
	}
	req.Sig = asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}
	der, err := asn1.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (tc *testCA) issue(t testing.TB, k *sm2.PrivateKey) *Issued {
	t.Helper()
	is, err := tc.a.Issue(context.Background(), IssueRequest{CSR: csr(t, k), Identity: alice})
	if err != nil {
		t.Fatal(err)
	}
	return is
}
