package attest

import (
	"fmt"

	"github.com/google/go-tpm/tpm2"

	"trustbank/internal/wire"
)

const maxBlob = 1024

// ExportKey returns coin key pub as a blob the wallet can store: the key's
// public area, its private area wrapped by this TPM's SRK, and the PCR
// digest of its policy. The blob is useless on any other TPM.
func (d *Device) ExportKey(pub []byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.keys[string(pub)]
	if !ok {
		return nil, ErrUnknownKey
	}
	var w wire.Writer
	w.Bytes16(tpm2.Marshal(k.priv))
	w.Bytes16(tpm2.Marshal(k.pub))
	w.Bytes16(k.pcr)
	return w.B, nil
}

// ImportKey loads a blob made by ExportKey on this TPM and returns the
// key's public point. On another TPM the load fails: the private area is
// bound to the SRK that wrapped it.
func (d *Device) ImportKey(blob []byte) ([]byte, error) {
	r := wire.NewReader(blob)
	privB, pubB, pcr := r.Bytes16(maxBlob, "private"), r.Bytes16(maxBlob, "public"), r.Bytes16(64, "pcr digest")
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: key blob: %v", ErrEvidence, err)
	}
	priv, err := tpm2.Unmarshal[tpm2.TPM2BPrivate](privB)
	if err != nil {
		return nil, fmt.Errorf("%w: key blob: %v", ErrEvidence, err)
	}
	pub, err := tpm2.Unmarshal[tpm2.TPM2BPublic](pubB)
	if err != nil {
		return nil, fmt.Errorf("%w: key blob: %v", ErrEvidence, err)
	}
	k := &coinKey{priv: *priv, pub: *pub, pcr: pcr}
	point, err := eccPoint(k.pub)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.withKey(k, func(tpm2.NamedHandle) error { return nil }); err != nil {
		return nil, fmt.Errorf("%w: this TPM cannot load the key: %v", ErrUnknownKey, err)
	}
	d.keys[string(point)] = k
	return point, nil
}
