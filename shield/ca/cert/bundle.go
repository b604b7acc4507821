package cert

import (
	"bytes"
	"encoding/asn1"
	"fmt"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/smx509"
)

// MaxBundle bounds a bundle's size: a leaf and its issuing CA take about
// 1.5 KB; the card's certificate store holds 50 KB in all.
const MaxBundle = 16 << 10

// maxBundleCerts is how many certificates a bundle may carry.
const maxBundleCerts = 4

// Bundle returns the PKCS#7 certs-only message (a degenerate SignedData:
// no content, no signers, RFC 2315 §9.1 / RFC 5652 §5) carrying certs.
func Bundle(certs ...*smx509.Certificate) ([]byte, error) {
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	return pkcs7.DegenerateCertificate(raw)
}

// ParseBundle reads a certs-only PKCS#7 message. It is strict: the input
// must be exactly the DER that Bundle makes of the certificates it
// carries (no signers, content, CRLs, BER or trailing bytes), so a
// tampered bundle is refused before any certificate is looked at.
func ParseBundle(der []byte) ([]*smx509.Certificate, error) {
	if len(der) == 0 || len(der) > MaxBundle {
		return nil, fmt.Errorf("%w: %d bytes", ErrBundle, len(der))
	}
	var outer struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if rest, err := asn1.Unmarshal(der, &outer); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: not a DER ContentInfo", ErrBundle)
	}
	p7, err := parsePKCS7(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if len(p7.Signers) != 0 || len(p7.Content) != 0 || len(p7.CRLs) != 0 {
		return nil, fmt.Errorf("%w: not a certs-only message", ErrBundle)
	}
	if n := len(p7.Certificates); n == 0 || n > maxBundleCerts {
		return nil, fmt.Errorf("%w: %d certificates", ErrBundle, n)
	}
	again, err := Bundle(p7.Certificates...)
	if err != nil || !bytes.Equal(again, der) {
		return nil, fmt.Errorf("%w: not in canonical DER form", ErrBundle)
	}
	return p7.Certificates, nil
}

// parsePKCS7 is pkcs7.Parse, which panics on some malformed input (gmsm
// v0.44.0's BER reader indexes past the end of a 2-byte message; found by
// FuzzParseBundle, seed f955bac3299a1120): a panic becomes an error.
func parsePKCS7(der []byte) (p7 *pkcs7.PKCS7, err error) {
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("pkcs7 parser panicked: %v", r)
		}
	}()
	return pkcs7.Parse(der)
}
