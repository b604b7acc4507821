package attest

import (
	"fmt"
	"slices"

	"github.com/google/go-tpm/tpm2"

	"trustbank/internal/wire"
)

const maxAttest = 2048

// Quote has the AIK sign the selected PCRs with nonce as qualifying data
// and returns the evidence: the TPMS_ATTEST bytes and the signature.
func (d *Device) Quote(nonce [32]byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rsp, err := tpm2.Quote{
		SignHandle:     tpm2.AuthHandle{Handle: d.aik.Handle, Name: d.aik.Name, Auth: tpm2.PasswordAuth(nil)},
		QualifyingData: tpm2.TPM2BData{Buffer: nonce[:]},
		InScheme:       tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull},
		PCRSelect:      d.sel,
	}.Execute(d.tpm)
	if err != nil {
		return nil, fmt.Errorf("attest: quote: %w", err)
	}
	sig, err := rawECDSA(rsp.Signature)
	if err != nil {
		return nil, err
	}
	var w wire.Writer
	w.Bytes16(rsp.Quoted.Bytes())
	w.Fixed(sig)
	return w.B, nil
}

// Verifier checks platform quotes against an allowlist of golden PCR
// digests (implements ecash.AttestationVerifier).
type Verifier struct {
	sel    tpm2.TPMLPCRSelection
	golden [][]byte
}

// NewVerifier accepts quotes whose PCR digest is one of golden.
func NewVerifier(golden ...[]byte) *Verifier {
	return &Verifier{sel: selection(DefaultPCRs), golden: golden}
}

// VerifyQuote checks evidence made by aik: the AIK is a restricted TPM
// signing key and signed it; it is a TPM-generated quote over the expected
// PCR selection; its qualifying data is nonce; its PCR digest is golden.
func (v *Verifier) VerifyQuote(aik, evidence []byte, nonce [32]byte) error {
	r := wire.NewReader(evidence)
	raw := r.Bytes16(maxAttest, "quote")
	sigb := r.Fixed(64, "quote signature")
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	att, err := checkSigned(aik, raw, ecdsaSignature(sigb))
	if err != nil {
		return err
	}
	if att.Type != tpm2.TPMSTAttestQuote || string(att.ExtraData.Buffer) != string(nonce[:]) {
		return fmt.Errorf("%w: not a quote for this request", ErrEvidence)
	}
	q, err := att.Attested.Quote()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	if string(tpm2.Marshal(&q.PCRSelect)) != string(tpm2.Marshal(&v.sel)) {
		return fmt.Errorf("%w: quote covers other PCRs", ErrEvidence)
	}
	// A quote's PCR digest is SHA-256 over the selected PCR values in order,
	// the same digest Device.PCRDigest returns.
	if !slices.ContainsFunc(v.golden, func(g []byte) bool { return string(g) == string(q.PCRDigest.Buffer) }) {
		return fmt.Errorf("%w: platform state is not on the allowlist", ErrEvidence)
	}
	return nil
}

func ecdsaSignature(rs []byte) tpm2.TPMTSignature {
	return tpm2.TPMTSignature{SigAlg: tpm2.TPMAlgECDSA, Signature: tpm2.NewTPMUSignature(tpm2.TPMAlgECDSA, &tpm2.TPMSSignatureECC{
		Hash: tpm2.TPMAlgSHA256, SignatureR: tpm2.TPM2BECCParameter{Buffer: rs[:32]}, SignatureS: tpm2.TPM2BECCParameter{Buffer: rs[32:]},
	})}
}
