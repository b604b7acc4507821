package attest

import (
	"fmt"

	"trustbank/internal/wire"
)

// EKType names the TCG default EK template a credential is made for.
type EKType uint8

// EK templates (TCG EK Credential Profile, low range).
const (
	EKRSA2048 EKType = 1 // template L-1, certificate at NV index 0x01c00002
	EKECCP256 EKType = 2 // template L-2, certificate at NV index 0x01c0000a
)

// credential is what the registry sends the device to activate: which EK
// template it is encrypted to, the TPM2B_ID_OBJECT's contents (HMAC and
// encrypted secret) and the encrypted seed.
type credential struct {
	kind      EKType
	idObject  []byte
	encSecret []byte
}

const maxCredentialPart = 1024

func (c *credential) marshal() []byte {
	var w wire.Writer
	w.U8(uint8(c.kind))
	w.Bytes16(c.idObject)
	w.Bytes16(c.encSecret)
	return w.B
}

func (c *credential) unmarshal(b []byte) error {
	r := wire.NewReader(b)
	c.kind = EKType(r.U8("EK type"))
	c.idObject = r.Bytes16(maxCredentialPart, "credential")
	c.encSecret = r.Bytes16(maxCredentialPart, "encrypted seed")
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	if c.kind != EKRSA2048 && c.kind != EKECCP256 {
		return fmt.Errorf("%w: credential for EK type %d", ErrEvidence, c.kind)
	}
	return nil
}
