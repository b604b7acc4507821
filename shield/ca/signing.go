package ca

import (
	"context"
	"encoding/asn1"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca/cert"
)

// SigningRequest asks for a document-signing certificate for an
// organization: the e-invoice system's invoice-signing key (package
// einvoice/invoice). The organization comes from the operator who
// authenticated the requester, like IssueRequest's identity.
type SigningRequest struct {
	// CSR is the PKCS#10 request, PEM or DER, signed under UID.
	CSR []byte
	// UID is the SM2 user ID of the request; nil means DefaultUID.
	UID []byte
	// Organization goes into the subject (see cert.Organization).
	Organization cert.Organization
}

// IssueSigning certifies the request's key for signing documents on
// behalf of an organization and records the certificate like Issue.
//
//	subject   C=CN, O=<name>, CN=<name>, organizationIdentifier=VATCN-<credit code>
//	          validity, serial, CRL distribution point: as end-entity certificates
//	basicConstraints critical CA:FALSE
//	keyUsage critical digitalSignature, nonRepudiation
//	extKeyUsage id-kp-documentSigning (RFC 9336)
func (a *Authority) IssueSigning(ctx context.Context, req SigningRequest) (*Issued, error) {
	r, err := ParseRequest(req.CSR, req.UID)
	if err != nil {
		return nil, err
	}
	if err := req.Organization.Validate(); err != nil {
		return nil, err
	}
	now, notAfter := a.validity()
	tmpl := &smx509.Certificate{
		Subject:   req.Organization.Subject(),
		NotBefore: now.Add(-clockSkew), NotAfter: notAfter,
		BasicConstraintsValid: true, IsCA: false,
		KeyUsage:              smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{cert.OIDDocumentSigning},
		CRLDistributionPoints: []string{a.cfg.CRLURL},
	}
	return a.issue(ctx, tmpl, r.PublicKey)
}
