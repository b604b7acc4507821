package ca

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// fixedSerials repeats the same bytes: every serial it yields is the same.
type fixedSerials struct{}

func (fixedSerials) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0x5a
	}
	return len(p), nil
}

// The shared store suite, on SQLite and PostgreSQL: the issuance log,
// serial uniqueness across a restart, revocations and the CRL number.
func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		ctx := context.Background()
		reopen := func() Store {
			st, err := NewSQLStore(ctx, open())
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		st := reopen()
		at := time.UnixMilli(time.Now().UnixMilli())
		one := Record{Serial: big.NewInt(0x1234), Subject: "CN=a", IssuedAt: at, NotAfter: at.Add(time.Hour), DER: []byte{1, 2, 3}}
		if err := st.Record(ctx, one); err != nil {
			t.Fatal(err)
		}
		if err := st.Record(ctx, one); !errors.Is(err, ErrSerialTaken) {
			t.Fatalf("same serial twice: %v", err)
		}
		if _, err := st.Lookup(ctx, big.NewInt(9)); !errors.Is(err, ErrUnknownSerial) {
			t.Fatalf("lookup of an unknown serial: %v", err)
		}
		if err := st.Revoke(ctx, Revocation{Serial: big.NewInt(9), Reason: KeyCompromise, RevokedAt: at}); !errors.Is(err, ErrUnknownSerial) {
			t.Fatalf("revoking an unknown serial: %v", err)
		}
		if err := st.Revoke(ctx, Revocation{Serial: one.Serial, Reason: KeyCompromise, RevokedAt: at}); err != nil {
			t.Fatal(err)
		}
		if n, err := st.NextCRLNumber(ctx); err != nil || n != 1 {
			t.Fatalf("first CRL number %d, %v", n, err)
		}

		st = reopen() // a restart
		if err := st.Record(ctx, one); !errors.Is(err, ErrSerialTaken) {
			t.Fatalf("same serial after a restart: %v", err)
		}
		got, err := st.Lookup(ctx, one.Serial)
		if err != nil || !bytes.Equal(got.DER, one.DER) || got.Subject != one.Subject || !got.IssuedAt.Equal(at) {
			t.Fatalf("lookup after restart: %+v, %v", got, err)
		}
		if err := st.Revoke(ctx, Revocation{Serial: one.Serial, Reason: Superseded, RevokedAt: at}); !errors.Is(err, ErrAlreadyRevoked) {
			t.Fatalf("second revocation after restart: %v", err)
		}
		revs, err := st.Revocations(ctx)
		if err != nil || len(revs) != 1 || revs[0].Serial.Cmp(one.Serial) != 0 || revs[0].Reason != KeyCompromise || !revs[0].RevokedAt.Equal(at) {
			t.Fatalf("revocations after restart: %+v, %v", revs, err)
		}
		if n, err := st.NextCRLNumber(ctx); err != nil || n != 2 {
			t.Fatalf("CRL number after restart %d, %v", n, err)
		}
	})
}

// An authority whose serial source repeats itself cannot issue the same
// serial twice, before or after a restart: the store's constraint refuses.
func TestSerialsUniqueAcrossRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		ctx := context.Background()
		h, err := NewHierarchy("Trustbank Test", t0)
		if err != nil {
			t.Fatal(err)
		}
		authority := func() *Authority {
			st, err := NewSQLStore(ctx, open())
			if err != nil {
				t.Fatal(err)
			}
			a, err := New(Config{Organization: "T", CRLURL: "http://x/crl", Serials: fixedSerials{}}, h.Root, h.Issuing, h.IssuingKey, st)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		req := IssueRequest{CSR: csr(t, cardKey(t)), Identity: alice}
		if _, err := authority().Issue(ctx, req); err != nil {
			t.Fatal(err)
		}
		if _, err := authority().Issue(ctx, req); !errors.Is(err, ErrSerialTaken) {
			t.Fatalf("a repeated serial after a restart: %v", err)
		}
	})
}
