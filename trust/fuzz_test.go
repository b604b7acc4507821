package trust

import (
	"bytes"
	"crypto/rand"
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/fuzzcorpus"
	"trustbank/internal/sqldb"
)

// seeds makes a valid authentication and signed report from a real
// provider and service.
func seeds(f *testing.F) (auth, report []byte) {
	w := newWorld(f, func() *sqldb.DB {
		db, err := sqldb.OpenSQLite(dbtest.SQLitePath(f))
		must(f, err)
		f.Cleanup(func() { db.Close() })
		return db
	})
	sr := w.report(w.user("alice"), 0.5)
	auth, _ = sr.Auth.MarshalBinary()
	report, _ = sr.MarshalBinary()
	return auth, report
}

type codec interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// fuzzCodec: decoding never panics, and whatever decodes re-encodes to
// exactly the input.
func fuzzCodec(f *testing.F, seed []byte, fresh func() codec) {
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(seed)...)
	f.Fuzz(func(t *testing.T, b []byte) {
		v := fresh()
		if v.UnmarshalBinary(b) != nil {
			return
		}
		enc, err := v.MarshalBinary()
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("%x decodes but re-encodes to %x (%v)", b, enc, err)
		}
	})
}

func FuzzAuthentication(f *testing.F) {
	auth, _ := seeds(f)
	fuzzCodec(f, auth, func() codec { return new(Authentication) })
}

func FuzzSignedReport(f *testing.F) {
	_, report := seeds(f)
	fuzzCodec(f, report, func() codec { return new(SignedReport) })
}

func FuzzKeys(f *testing.F) {
	k, err := GenerateKeys(rand.Reader)
	must(f, err)
	b, _ := k.MarshalBinary()
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(b)...)
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKeys(b)
		if err != nil {
			return
		}
		if enc, _ := k.MarshalBinary(); !bytes.Equal(enc, b) {
			t.Fatal("keys decode but re-encode differently")
		}
	})
}
