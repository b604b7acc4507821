package invoice

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/httpapi"
)

// MaxJSON bounds a signed invoice's JSON export.
const MaxJSON = 1 << 20

// MaxChain bounds the certificates a signed invoice carries.
const MaxChain = 4

// signedJSON is the export format (package documentation, "JSON").
type signedJSON struct {
	Invoice      Invoice  `json:"invoice"`
	Signature    []byte   `json:"signature"`
	Certificates [][]byte `json:"certificates"`
}

// JSON exports the signed invoice: the invoice's fields, the signature
// and the certificates (DER) in base64. ParseJSON reads it back.
func (sd *Signed) JSON() []byte {
	out := signedJSON{Invoice: sd.Invoice, Signature: sd.Signature}
	if out.Invoice.Items == nil {
		out.Invoice.Items = []Item{}
	}
	for _, c := range sd.Chain {
		out.Certificates = append(out.Certificates, c.Raw)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil { // only strings, integers and byte slices
		panic(err)
	}
	return append(b, '\n')
}

// ParseJSON reads a signed invoice exported by JSON, strictly: one JSON
// object of at most MaxJSON bytes, known fields only, valid invoice
// fields, one to MaxChain SM2 certificates that parse. It does not verify
// anything (Verify does).
func ParseJSON(data []byte) (*Signed, error) {
	if len(data) > MaxJSON {
		return nil, fmt.Errorf("%w: %d bytes of JSON, at most %d", ErrMalformed, len(data), MaxJSON)
	}
	var in signedJSON
	if err := httpapi.DecodeJSON(bytes.NewReader(data), &in, ErrMalformed); err != nil {
		return nil, err
	}
	if err := in.Invoice.Validate(); err != nil {
		return nil, err
	}
	if err := checkSignature(in.Signature); err != nil {
		return nil, err
	}
	chain, err := parseChain(in.Certificates)
	if err != nil {
		return nil, err
	}
	sd := &Signed{Invoice: in.Invoice, Signature: in.Signature, Chain: chain}
	return sd, nil
}

// publicKey returns the certificate's SM2 public key, or nil.
func publicKey(c *smx509.Certificate) *ecdsa.PublicKey {
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return nil
	}
	return pub
}
