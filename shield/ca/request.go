package ca

import (
	"crypto/ecdsa"
	"encoding/pem"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// DefaultUID is the SM2 user ID of GM/T 0009 that certificates and
// requests are signed under unless the parties agree on another.
const DefaultUID = "1234567812345678"

// MaxRequest bounds a PKCS#10 request's size.
const MaxRequest = 8 << 10

// Request is a PKCS#10 certification request (RFC 2986) whose SM2
// signature has been checked: the requester holds the key's private half.
type Request struct {
	// PublicKey is the SM2 key to certify.
	PublicKey *ecdsa.PublicKey
	// Raw is the request's DER.
	Raw []byte
	// CSR is the parsed request; its subject is informational only (the
	// identity in the certificate comes from the bank, see IssueRequest).
	CSR *smx509.CertificateRequest
}

// ParseRequest reads a PKCS#10 request, PEM ("CERTIFICATE REQUEST") or
// DER, and checks that it is SM2-with-SM3 over an SM2 key and that its
// signature verifies under uid (nil: DefaultUID). A request signed under
// another user ID is refused like a forged one: the card and the CA must
// agree on the ID, as the ID is hashed into every signature (Z_A).
func ParseRequest(data, uid []byte) (*Request, error) {
	if len(data) == 0 || len(data) > MaxRequest {
		return nil, fmt.Errorf("%w: %d bytes", ErrRequest, len(data))
	}
	der := data
	if b, rest := pem.Decode(data); b != nil {
		if b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fmt.Errorf("%w: PEM block %q", ErrRequest, b.Type)
		}
		if len(b.Headers) != 0 || len(trimSpace(rest)) != 0 {
			return nil, fmt.Errorf("%w: PEM headers or trailing data", ErrRequest)
		}
		der = b.Bytes
	}
	csr, err := smx509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRequest, err)
	}
	pub, ok := csr.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) || csr.SignatureAlgorithm != smx509.SM2WithSM3 {
		return nil, fmt.Errorf("%w: not an SM2-with-SM3 request over an SM2 key", ErrRequest)
	}
	if uid == nil {
		uid = []byte(DefaultUID)
	}
	if !sm2.VerifyASN1WithSM2(pub, uid, csr.RawTBSCertificateRequest, csr.Signature) {
		return nil, ErrRequestSig
	}
	return &Request{PublicKey: pub, Raw: csr.Raw, CSR: csr}, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
