package invoice

import (
	"bytes"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/fuzzcorpus"
)

// ParseJSON never panics; what it accepts exports to JSON that parses
// back to the same export.
func FuzzParseJSON(f *testing.F) {
	fx := newFixture(f)
	sd := fx.sign(f, sample())
	fuzzcorpus.Seed(f, append(fuzzcorpus.Variants(sd.JSON()), [][]byte{[]byte(`{"invoice":null}`)}, [][]byte{[]byte(`[]`)})...)
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := ParseJSON(data)
		if err != nil {
			return
		}
		out := sd.JSON()
		again, err := ParseJSON(out)
		if err != nil {
			t.Fatalf("export of an accepted invoice does not parse: %v", err)
		}
		if !bytes.Equal(again.JSON(), out) {
			t.Fatal("JSON round trip changed the export")
		}
	})
}

// ParseBinary and ParseChainDER never panic; what they accept exports
// back to the same bytes.
func FuzzParseBinary(f *testing.F) {
	fx := newFixture(f)
	sd := fx.sign(f, sample())
	bin, err := sd.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	fuzzcorpus.Seed(f, append(fuzzcorpus.Variants(bin), fuzzcorpus.Variants(sd.ChainDER())...)...)
	f.Fuzz(func(t *testing.T, data []byte) {
		if chain, err := ParseChainDER(data); err == nil {
			if !bytes.Equal((&Signed{Chain: chain}).ChainDER(), data) {
				t.Fatal("chain round trip changed the encoding")
			}
		}
		sd, err := ParseBinary(data)
		if err != nil {
			return
		}
		out, err := sd.MarshalBinary()
		if err != nil {
			t.Fatalf("an accepted invoice does not export: %v", err)
		}
		if !bytes.Equal(out, data) {
			t.Fatal("binary round trip changed the export")
		}
	})
}

// Verify never panics, and what it accepts under a root is an invoice
// whose stated amounts are right and which the root's chain signed. The
// root is part of the input, so the seeds stay valid across runs.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	sd := fx.sign(f, sample())
	var seeds [][][]byte
	for _, v := range fuzzcorpus.Variants(sd.JSON()) {
		seeds = append(seeds, [][]byte{v[0], fx.root().Raw})
	}
	fuzzcorpus.Seed(f, seeds...)
	f.Fuzz(func(t *testing.T, data, rootDER []byte) {
		root, err := smx509.ParseCertificate(rootDER)
		if err != nil {
			return
		}
		sd, err := Verify(data, root)
		if err != nil {
			return
		}
		if err := sd.Invoice.Check(); err != nil {
			t.Fatalf("verified an invoice whose amounts are wrong: %v", err)
		}
		if err := sd.Verify(root); err != nil {
			t.Fatalf("verified once, not twice: %v", err)
		}
	})
}

// UnmarshalBinary never panics; what it accepts re-encodes to the input.
func FuzzUnmarshalBinary(f *testing.F) {
	inv := sample()
	if err := inv.Compute(); err != nil {
		f.Fatal(err)
	}
	enc, err := inv.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(enc)...)
	f.Fuzz(func(t *testing.T, data []byte) {
		var inv Invoice
		if err := inv.UnmarshalBinary(data); err != nil {
			return
		}
		out, err := inv.MarshalBinary()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("accepted a non-canonical encoding (%v)", err)
		}
	})
}

// ParseQR never panics; what it accepts prints back as the input.
func FuzzParseQR(f *testing.F) {
	fx := newFixture(f)
	q, err := fx.sign(f, sample()).QRData()
	if err != nil {
		f.Fatal(err)
	}
	fuzzcorpus.Seed(f, fuzzcorpus.Variants([]byte(q.String()))...)
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ParseQR(string(data))
		if err != nil {
			return
		}
		if q.String() != string(data) {
			t.Fatalf("ParseQR accepted %q, which prints as %q", data, q)
		}
	})
}
