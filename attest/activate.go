package attest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// ErrNoEKCertificate is returned when the TPM holds no EK certificate at
// the TCG's NV indices (a simulator, or a TPM without manufacturer
// certificates): the device then cannot enrol an AIK.
var ErrNoEKCertificate = errors.New("attest: the TPM holds no EK certificate")

// NV indices of the manufacturer's EK certificates (TCG EK Credential
// Profile 2.0, §2.2.1.4).
const (
	nvEKCertRSA2048 tpm2.TPMHandle = 0x01c00002
	nvEKCertECCP256 tpm2.TPMHandle = 0x01c0000a
)

const nvChunk = 512 // below every TPM's MAX_NV_BUFFER_SIZE

// EKCertificate returns the manufacturer's EK certificate (DER) stored in
// the TPM, the RSA 2048 one if present, else the ECC P-256 one.
func (d *Device) EKCertificate() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, idx := range []tpm2.TPMHandle{nvEKCertRSA2048, nvEKCertECCP256} {
		der, err := d.readNV(idx)
		if errors.Is(err, tpm2.TPMRCHandle) {
			continue // no such index
		}
		return der, err
	}
	return nil, ErrNoEKCertificate
}

// readNV reads a whole NV index with owner authorisation (empty, as for
// the primaries).
func (d *Device) readNV(idx tpm2.TPMHandle) ([]byte, error) {
	pub, err := tpm2.NVReadPublic{NVIndex: idx}.Execute(d.tpm)
	if err != nil {
		return nil, err
	}
	nv, err := pub.NVPublic.Contents()
	if err != nil {
		return nil, err
	}
	var out []byte
	for off := 0; off < int(nv.DataSize); off += nvChunk {
		rsp, err := tpm2.NVRead{
			AuthHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
			NVIndex:    tpm2.NamedHandle{Handle: idx, Name: pub.NVName},
			Size:       uint16(min(nvChunk, int(nv.DataSize)-off)),
			Offset:     uint16(off),
		}.Execute(d.tpm)
		if err != nil {
			return nil, fmt.Errorf("attest: reading EK certificate: %w", err)
		}
		out = append(out, rsp.Data.Buffer...)
	}
	return out, nil
}

// EndorsementKey returns the public key of the TPM's EK of type t (the
// TCG default template: the same key every time, from the endorsement
// seed). A test CA certifies it for a TPM without an EK certificate.
func (d *Device) EndorsementKey(t EKType) (crypto.PublicKey, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var pub crypto.PublicKey
	err := d.withEK(t, func(_ tpm2.NamedHandle, p *tpm2.TPMTPublic) error {
		var err error
		pub, err = publicKey(p)
		return err
	})
	return pub, err
}

// ActivateCredential recovers the secret of a credential made by
// Endorser.MakeCredential for this TPM's EK and AIK (TPM2_ActivateCredential).
// The TPM refuses, and so does this method, if the credential was made for
// another EK or names another key than this device's AIK.
func (d *Device) ActivateCredential(blob []byte) ([]byte, error) {
	var c credential
	if err := c.unmarshal(blob); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var secret []byte
	err := d.withEK(c.kind, func(ek tpm2.NamedHandle, _ *tpm2.TPMTPublic) error {
		rsp, err := tpm2.ActivateCredential{
			ActivateHandle: tpm2.AuthHandle{Handle: d.aik.Handle, Name: d.aik.Name, Auth: tpm2.PasswordAuth(nil)},
			KeyHandle:      tpm2.AuthHandle{Handle: ek.Handle, Name: ek.Name, Auth: tpm2.Policy(tpm2.TPMAlgSHA256, 16, ekPolicy)},
			CredentialBlob: tpm2.TPM2BIDObject{Buffer: c.idObject},
			Secret:         tpm2.TPM2BEncryptedSecret{Buffer: c.encSecret},
		}.Execute(d.tpm)
		if err != nil {
			return fmt.Errorf("%w: the TPM cannot activate the credential: %v", ErrEvidence, err)
		}
		secret = rsp.CertInfo.Buffer
		return nil
	})
	return secret, err
}

// ekPolicy satisfies the default EK's policy: PolicySecret(TPM_RH_ENDORSEMENT)
// with the (empty) endorsement authorisation.
func ekPolicy(t transport.TPM, s tpm2.TPMISHPolicy, nonce tpm2.TPM2BNonce) error {
	_, err := tpm2.PolicySecret{
		AuthHandle:    tpm2.AuthHandle{Handle: tpm2.TPMRHEndorsement, Auth: tpm2.PasswordAuth(nil)},
		PolicySession: s, NonceTPM: nonce,
	}.Execute(t)
	return err
}

// withEK creates the EK of type t, runs fn and flushes it.
func (d *Device) withEK(t EKType, fn func(tpm2.NamedHandle, *tpm2.TPMTPublic) error) error {
	tmpl := tpm2.RSAEKTemplate
	if t == EKECCP256 {
		tmpl = tpm2.ECCEKTemplate
	}
	rsp, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHEndorsement, InPublic: tpm2.New2B(tmpl)}.Execute(d.tpm)
	if err != nil {
		return fmt.Errorf("attest: creating EK: %w", err)
	}
	defer d.flush(rsp.ObjectHandle)
	pub, err := rsp.OutPublic.Contents()
	if err != nil {
		return err
	}
	return fn(tpm2.NamedHandle{Handle: rsp.ObjectHandle, Name: rsp.Name}, pub)
}

// publicKey converts an RSA or ECC P-256 public area to a Go public key.
func publicKey(p *tpm2.TPMTPublic) (crypto.PublicKey, error) {
	if p.Type == tpm2.TPMAlgRSA {
		n, err := p.Unique.RSA()
		if err != nil {
			return nil, err
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n.Buffer), E: 65537}, nil
	}
	pt, err := p.Unique.ECC()
	if err != nil {
		return nil, err
	}
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(pt.X.Buffer), Y: new(big.Int).SetBytes(pt.Y.Buffer)}, nil
}
