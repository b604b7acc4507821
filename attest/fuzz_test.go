package attest

import (
	"bytes"
	"testing"

	"github.com/google/go-tpm/tpm2"

	"trustbank/internal/fuzzcorpus"
)

// FuzzCredential: the device's decoder of GU's credential never panics,
// and whatever it accepts re-encodes to exactly the input.
func FuzzCredential(f *testing.F) {
	c := credential{kind: EKECCP256, idObject: bytes.Repeat([]byte{7}, 68), encSecret: bytes.Repeat([]byte{9}, 68)}
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(c.marshal())...)
	f.Fuzz(func(t *testing.T, b []byte) {
		var c credential
		if c.unmarshal(b) != nil {
			return
		}
		if !bytes.Equal(c.marshal(), b) {
			t.Fatal("accepted credential does not re-encode to itself")
		}
	})
}

// FuzzAIKName: GU's decoder of a device's AIK public area never panics,
// and what it accepts is a canonical TPMT_PUBLIC with a SHA-256 Name.
func FuzzAIKName(f *testing.F) {
	seed := tpm2.Marshal(aikTemplateWithPoint())
	if _, err := AIKName(seed); err != nil {
		f.Fatalf("seed AIK refused: %v", err)
	}
	fuzzcorpus.Seed(f, fuzzcorpus.Variants(seed)...)
	f.Fuzz(func(t *testing.T, b []byte) {
		name, err := AIKName(b)
		if err != nil {
			return
		}
		pub, err := tpm2.Unmarshal[tpm2.TPMTPublic](b)
		if err != nil || !bytes.Equal(tpm2.Marshal(pub), b) || len(name) != 34 {
			t.Fatal("accepted AIK is not canonical or its Name is not SHA-256")
		}
	})
}

// aikTemplateWithPoint is the AIK template with a point on P-256 (the
// generator), so that it passes AIKName.
func aikTemplateWithPoint() tpm2.TPMTPublic {
	pub := aikTemplate()
	gx := []byte{0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
		0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96}
	gy := []byte{0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
		0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5}
	pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: gx}, Y: tpm2.TPM2BECCParameter{Buffer: gy}})
	return pub
}
