package attest

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"

	"github.com/google/go-tpm/tpm2"
)

// ActivateExternal is an attacker's try: load a software key into the TPM
// from outside (its private part too, if priv is not nil) and have the
// TPM activate blob for it with the TPM's own EK.
func (d *Device) ActivateExternal(aik []byte, priv *ecdsa.PrivateKey, blob []byte) ([]byte, error) {
	var c credential
	if err := c.unmarshal(blob); err != nil {
		return nil, err
	}
	pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](aik)
	if err != nil {
		return nil, err
	}
	load := tpm2.LoadExternal{InPublic: tpm2.New2B(*pub), Hierarchy: tpm2.TPMRHNull}
	if priv != nil {
		load.InPrivate = tpm2.New2B(tpm2.TPMTSensitive{SensitiveType: tpm2.TPMAlgECC,
			Sensitive: tpm2.NewTPMUSensitiveComposite(tpm2.TPMAlgECC, &tpm2.TPM2BECCParameter{Buffer: priv.D.FillBytes(make([]byte, 32))})})
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// The simulator holds three objects: make room for the EK and the
	// outside key by flushing the SRK (a primary: recreated the same).
	d.flush(d.srk.Handle)
	defer func() {
		srk, _ := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHOwner, InPublic: tpm2.New2B(tpm2.ECCSRKTemplate)}.Execute(d.tpm)
		d.srk = tpm2.NamedHandle{Handle: srk.ObjectHandle, Name: srk.Name}
	}()
	obj, err := load.Execute(d.tpm)
	if err != nil {
		return nil, err
	}
	defer d.flush(obj.ObjectHandle)
	var secret []byte
	err = d.withEK(c.kind, func(ek tpm2.NamedHandle, _ *tpm2.TPMTPublic) error {
		rsp, err := tpm2.ActivateCredential{
			ActivateHandle: tpm2.AuthHandle{Handle: obj.ObjectHandle, Name: obj.Name, Auth: tpm2.PasswordAuth(nil)},
			KeyHandle:      tpm2.AuthHandle{Handle: ek.Handle, Name: ek.Name, Auth: tpm2.Policy(tpm2.TPMAlgSHA256, 16, ekPolicy)},
			CredentialBlob: tpm2.TPM2BIDObject{Buffer: c.idObject},
			Secret:         tpm2.TPM2BEncryptedSecret{Buffer: c.encSecret},
		}.Execute(d.tpm)
		if err == nil {
			secret = rsp.CertInfo.Buffer
		}
		return err
	})
	return secret, err
}

// MakeCredentialUnchecked makes a credential without the registry's checks
// of the EK certificate's chain and the AIK's attributes.
func MakeCredentialUnchecked(ekCert, aik, secret []byte) ([]byte, error) {
	c, err := x509.ParseCertificate(ekCert)
	if err != nil {
		return nil, err
	}
	pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](aik)
	if err != nil {
		return nil, err
	}
	name, err := tpm2.ObjectName(pub)
	if err != nil {
		return nil, err
	}
	return makeCredential(c, name.Buffer, secret)
}

// FirstCertificate returns the DER of the first certificate in p.
func FirstCertificate(p []byte) ([]byte, error) {
	b, _ := pem.Decode(p)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	return b.Bytes, nil
}
