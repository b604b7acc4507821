package attesttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"time"
)

// CA is a stand-in TPM manufacturer for TPMs that have no EK certificate
// (the go-tpm-tools simulator): a self-signed ECDSA root that certifies EK
// public keys the way a manufacturer's EK certificates do (TCG EK
// certificate extended key usage, critical subjectAltName naming the TPM).
type CA struct {
	key    *ecdsa.PrivateKey
	cert   *x509.Certificate
	serial int64
}

// NewCA makes a CA named name.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{key: key, cert: cert, serial: 1}, nil
}

// PEM returns the CA's certificate, as a node's EK trust file holds it.
func (c *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
}

var (
	oidEKCertificate = asn1.ObjectIdentifier{2, 23, 133, 8, 1}
	oidTPMVendor     = asn1.ObjectIdentifier{2, 23, 133, 2, 1}
	oidTPMModel      = asn1.ObjectIdentifier{2, 23, 133, 2, 2}
	oidTPMVersion    = asn1.ObjectIdentifier{2, 23, 133, 2, 3}
	oidSAN           = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// IssueEK certifies ek as a TPM's endorsement key and returns the
// certificate (DER).
func (c *CA) IssueEK(ek crypto.PublicKey) ([]byte, error) {
	san, err := tpmSAN()
	if err != nil {
		return nil, err
	}
	c.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(c.serial),
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:           x509.KeyUsageKeyEncipherment,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidEKCertificate},
		ExtraExtensions:    []pkix.Extension{{Id: oidSAN, Critical: true, Value: san}},
	}
	return x509.CreateCertificate(rand.Reader, tmpl, c.cert, ek, c.key)
}

// tpmSAN is a subjectAltName holding a directoryName with the TPM's
// manufacturer, model and version (TCG EK Credential Profile §3.2.9).
func tpmSAN() ([]byte, error) {
	rdn := pkix.RDNSequence{
		{{Type: oidTPMVendor, Value: "id:54455354"}},
		{{Type: oidTPMModel, Value: "simulator"}},
		{{Type: oidTPMVersion, Value: "id:00000001"}},
	}
	dn, err := asn1.Marshal(rdn)
	if err != nil {
		return nil, err
	}
	// GeneralNames ::= SEQUENCE OF GeneralName; directoryName is [4] EXPLICIT Name.
	gn, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: dn})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: gn})
}
