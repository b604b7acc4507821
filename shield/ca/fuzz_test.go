package ca

import (
	"bytes"
	"testing"
	"time"

	"trustbank/internal/fuzzcorpus"
	"trustbank/shield/ca/cert"
)

// P10 intake: never panics; what it accepts is a DER request whose bytes
// are the input's (or the input's PEM contents) and whose signature checks.
func FuzzParseRequest(f *testing.F) {
	k := cardKey(f)
	fuzzcorpus.Seed(f, append(fuzzcorpus.Variants(csr(f, k)), fuzzcorpus.Variants(csrWithUID(f, k, []byte("x")))...)...)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRequest(data, nil)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Raw, data) && !bytes.Contains(data, []byte("-----BEGIN")) {
			t.Fatal("accepted a request that is not its own DER")
		}
		again, err := ParseRequest(r.Raw, nil)
		if err != nil || !again.PublicKey.Equal(r.PublicKey) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// P7 parse: never panics; what it accepts re-encodes to the same bytes.
func FuzzParseBundle(f *testing.F) {
	tc := newTestCA(f)
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(tc.issue(f, cardKey(f)).Bundle)...)
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := cert.ParseBundle(data)
		if err != nil {
			return
		}
		again, err := cert.Bundle(certs...)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatal("accepted a bundle that does not re-encode to itself")
		}
		cert.Verify(tc.h.Root, data, nil, t0.Add(time.Hour))
	})
}

// CRL parse: never panics; what it accepts is signed by the issuing CA,
// current, and its raw bytes are the input.
func FuzzParseCRL(f *testing.F) {
	tc := newTestCA(f)
	crl, err := tc.a.CRL(f.Context())
	if err != nil {
		f.Fatal(err)
	}
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(crl)...)
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := cert.ParseCRL(data, tc.h.Issuing, t0.Add(time.Hour))
		if err != nil {
			return
		}
		if !bytes.Equal(list.Raw, data) {
			t.Fatal("accepted CRL is not its input")
		}
		if list.CheckSignatureFrom(tc.h.Issuing) != nil {
			t.Fatal("accepted a CRL the issuing CA did not sign")
		}
	})
}
