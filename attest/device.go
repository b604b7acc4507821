package attest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// Errors.
var (
	ErrUnknownKey = errors.New("attest: coin key not held by this device")
	ErrPolicy     = errors.New("attest: TPM refused: platform state differs from the key's policy")
	ErrEvidence   = errors.New("attest: evidence does not verify")
)

// DefaultPCRs are the PCRs a quote and a coin-key policy cover.
var DefaultPCRs = []uint{0, 1, 2, 3, 4, 5, 6, 7}

// Device is a TPM acting as the wallet's trusted platform. It serialises
// TPM commands; it is safe for concurrent use.
type Device struct {
	mu   sync.Mutex
	tpm  transport.TPMCloser
	sel  tpm2.TPMLPCRSelection
	srk  tpm2.NamedHandle
	aik  tpm2.NamedHandle
	aikP tpm2.TPM2BPublic
	keys map[string]*coinKey // by public point
}

type coinKey struct {
	priv tpm2.TPM2BPrivate
	pub  tpm2.TPM2BPublic
	pcr  []byte // the PCR digest the policy requires
}

// Open takes ownership of an open TPM connection and creates the SRK and
// the AIK (primaries: the same TPM gives the same keys every time).
func Open(t transport.TPMCloser) (*Device, error) {
	d := &Device{tpm: t, keys: map[string]*coinKey{}, sel: selection(DefaultPCRs)}
	srk, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHOwner, InPublic: tpm2.New2B(tpm2.ECCSRKTemplate)}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("attest: creating SRK: %w", err)
	}
	d.srk = tpm2.NamedHandle{Handle: srk.ObjectHandle, Name: srk.Name}
	aik, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHOwner, InPublic: tpm2.New2B(aikTemplate())}.Execute(t)
	if err != nil {
		d.flush(d.srk.Handle)
		return nil, fmt.Errorf("attest: creating AIK: %w", err)
	}
	d.aik, d.aikP = tpm2.NamedHandle{Handle: aik.ObjectHandle, Name: aik.Name}, aik.OutPublic
	return d, nil
}

func selection(pcrs []uint) tpm2.TPMLPCRSelection {
	return tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
		{Hash: tpm2.TPMAlgSHA256, PCRSelect: tpm2.PCClientCompatible.PCRs(pcrs...)},
	}}
}

func eccScheme(restricted bool) tpm2.TPMUPublicParms {
	return tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
		CurveID: tpm2.TPMECCNistP256,
		Scheme: tpm2.TPMTECCScheme{
			Scheme:  tpm2.TPMAlgECDSA,
			Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256}),
		},
	})
}

// aikTemplate is a restricted ECDSA P-256 signing key: it signs only
// TPM-generated structures (quotes, certifications), never outside data.
func aikTemplate() tpm2.TPMTPublic {
	return tpm2.TPMTPublic{
		Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true,
			UserWithAuth: true, Restricted: true, SignEncrypt: true, NoDA: true},
		Parameters: eccScheme(true),
	}
}

// coinTemplate is an unrestricted ECDSA P-256 signing key usable only
// through its policy (userWithAuth clear).
func coinTemplate(policy []byte) tpm2.TPMTPublic {
	return tpm2.TPMTPublic{
		Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true,
			SignEncrypt: true, NoDA: true},
		AuthPolicy: tpm2.TPM2BDigest{Buffer: policy},
		Parameters: eccScheme(false),
	}
}

func (d *Device) flush(h tpm2.TPMHandle) { tpm2.FlushContext{FlushHandle: h}.Execute(d.tpm) }

// AIK returns the encoded public area of the device's attestation key, as
// the user registry records it.
func (d *Device) AIK() []byte { return d.aikP.Bytes() }

// PCRDigest returns the SHA-256 digest of the selected PCRs' current values:
// the golden value to put on a Verifier's allowlist at enrolment.
func (d *Device) PCRDigest() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pcrDigest()
}

func (d *Device) pcrDigest() ([]byte, error) {
	h := sha256.New()
	for _, sel := range selectionsOneByOne(d.sel) {
		rsp, err := tpm2.PCRRead{PCRSelectionIn: sel}.Execute(d.tpm)
		if err != nil {
			return nil, fmt.Errorf("attest: reading PCRs: %w", err)
		}
		for _, v := range rsp.PCRValues.Digests {
			h.Write(v.Buffer)
		}
	}
	return h.Sum(nil), nil
}

// selectionsOneByOne splits a selection into one PCR per read (PCRRead
// returns at most 8 digests, and reading one at a time keeps the order
// explicit).
func selectionsOneByOne(s tpm2.TPMLPCRSelection) []tpm2.TPMLPCRSelection {
	var out []tpm2.TPMLPCRSelection
	for _, pcr := range DefaultPCRs {
		out = append(out, selection([]uint{pcr}))
	}
	return out
}

// ExtendPCR extends PCR i with data: the platform state changes (as after
// booting other software), and keys bound to the old state stop working.
func (d *Device) ExtendPCR(i uint, data []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	sum := sha256.Sum256(data)
	_, err := tpm2.PCRExtend{
		PCRHandle: tpm2.AuthHandle{Handle: tpm2.TPMHandle(i), Auth: tpm2.PasswordAuth(nil)},
		Digests:   tpm2.TPMLDigestValues{Digests: []tpm2.TPMTHA{{HashAlg: tpm2.TPMAlgSHA256, Digest: sum[:]}}},
	}.Execute(d.tpm)
	return err
}

// Close flushes the device's keys and closes the TPM connection.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.flush(d.aik.Handle)
	d.flush(d.srk.Handle)
	return d.tpm.Close()
}
