package attest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// policyFor is the PolicyPCR digest that binds a key to pcrDigest over the
// device's PCR selection.
func (d *Device) policyFor(pcrDigest []byte) ([]byte, error) {
	calc, err := tpm2.NewPolicyCalculator(tpm2.TPMAlgSHA256)
	if err != nil {
		return nil, err
	}
	if err := (tpm2.PolicyPCR{PcrDigest: tpm2.TPM2BDigest{Buffer: pcrDigest}, Pcrs: d.sel}).Update(calc); err != nil {
		return nil, err
	}
	return calc.Hash().Digest, nil
}

// NewCoinKey creates a coin key in the TPM bound by PolicyPCR to the
// current PCR values, has the AIK certify it, checks the certification,
// and returns the key's public point (65-byte uncompressed P-256).
func (d *Device) NewCoinKey() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	pcr, err := d.pcrDigest()
	if err != nil {
		return nil, err
	}
	policy, err := d.policyFor(pcr)
	if err != nil {
		return nil, err
	}
	rsp, err := tpm2.Create{
		ParentHandle: tpm2.AuthHandle{Handle: d.srk.Handle, Name: d.srk.Name, Auth: tpm2.PasswordAuth(nil)},
		InPublic:     tpm2.New2B(coinTemplate(policy)),
	}.Execute(d.tpm)
	if err != nil {
		return nil, fmt.Errorf("attest: creating coin key: %w", err)
	}
	k := &coinKey{priv: rsp.OutPrivate, pub: rsp.OutPublic, pcr: pcr}
	point, err := eccPoint(rsp.OutPublic)
	if err != nil {
		return nil, err
	}
	if err := d.certify(k, policy); err != nil {
		return nil, err
	}
	d.keys[string(point)] = k
	return point, nil
}

// certify has the AIK certify the loaded coin key and checks the result:
// signed by the AIK, naming this key, whose public area says fixedTPM,
// fixedParent, policy-only use under the intended policy.
func (d *Device) certify(k *coinKey, policy []byte) error {
	return d.withKey(k, func(h tpm2.NamedHandle) error {
		nonce := sha256.Sum256(k.pub.Bytes())
		rsp, err := tpm2.Certify{
			ObjectHandle:   tpm2.AuthHandle{Handle: h.Handle, Name: h.Name, Auth: tpm2.PasswordAuth(nil)}, // ADMIN role: adminWithPolicy is clear, so the (empty) authValue
			SignHandle:     tpm2.AuthHandle{Handle: d.aik.Handle, Name: d.aik.Name, Auth: tpm2.PasswordAuth(nil)},
			QualifyingData: tpm2.TPM2BData{Buffer: nonce[:]},
			InScheme:       tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull},
		}.Execute(d.tpm)
		if err != nil {
			return fmt.Errorf("attest: certifying coin key: %w", err)
		}
		att, err := checkSigned(d.AIK(), rsp.CertifyInfo.Bytes(), rsp.Signature)
		if err != nil {
			return err
		}
		info, err := att.Attested.Certify()
		if err != nil || att.Type != tpm2.TPMSTAttestCertify || string(att.ExtraData.Buffer) != string(nonce[:]) ||
			string(info.Name.Buffer) != string(h.Name.Buffer) {
			return fmt.Errorf("%w: certification does not name the new coin key", ErrEvidence)
		}
		pub, err := k.pub.Contents()
		if err != nil {
			return err
		}
		a := pub.ObjectAttributes
		if !a.FixedTPM || !a.FixedParent || a.UserWithAuth || string(pub.AuthPolicy.Buffer) != string(policy) {
			return fmt.Errorf("%w: coin key is exportable or not bound to the platform state", ErrEvidence)
		}
		return nil
	})
}

// withKey loads k under the SRK, runs fn and flushes it again (the TPM
// holds few objects at once).
func (d *Device) withKey(k *coinKey, fn func(tpm2.NamedHandle) error) error {
	rsp, err := tpm2.Load{
		ParentHandle: tpm2.AuthHandle{Handle: d.srk.Handle, Name: d.srk.Name, Auth: tpm2.PasswordAuth(nil)},
		InPrivate:    k.priv, InPublic: k.pub,
	}.Execute(d.tpm)
	if err != nil {
		return fmt.Errorf("attest: loading coin key: %w", err)
	}
	defer d.flush(rsp.ObjectHandle)
	return fn(tpm2.NamedHandle{Handle: rsp.ObjectHandle, Name: rsp.Name})
}

// SignCoin signs digest with the coin key pub. The TPM signs only inside a
// policy session in which PolicyPCR held, i.e. on this TPM with the PCRs at
// their values when the key was made; otherwise ErrPolicy.
func (d *Device) SignCoin(pub []byte, digest [32]byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k, ok := d.keys[string(pub)]
	if !ok {
		return nil, ErrUnknownKey
	}
	var sig []byte
	err := d.withKey(k, func(h tpm2.NamedHandle) error {
		policy := func(t transport.TPM, s tpm2.TPMISHPolicy, _ tpm2.TPM2BNonce) error {
			_, err := tpm2.PolicyPCR{PolicySession: s, PcrDigest: tpm2.TPM2BDigest{Buffer: k.pcr}, Pcrs: d.sel}.Execute(t)
			return err
		}
		rsp, err := tpm2.Sign{
			KeyHandle: tpm2.AuthHandle{Handle: h.Handle, Name: h.Name, Auth: tpm2.Policy(tpm2.TPMAlgSHA256, 16, policy)},
			Digest:    tpm2.TPM2BDigest{Buffer: digest[:]},
			InScheme: tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgECDSA,
				Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSchemeHash{HashAlg: tpm2.TPMAlgSHA256})},
			Validation: tpm2.TPMTTKHashCheck{Tag: tpm2.TPMSTHashCheck, Hierarchy: tpm2.TPMRHNull},
		}.Execute(d.tpm)
		if err != nil {
			if isPolicyFailure(err) {
				return fmt.Errorf("%w: %v", ErrPolicy, err)
			}
			return fmt.Errorf("attest: signing: %w", err)
		}
		sig, err = rawECDSA(rsp.Signature)
		return err
	})
	return sig, err
}

// isPolicyFailure reports whether the TPM refused a policy: PolicyPCR with
// other PCR values (TPM_RC_VALUE) or a session that does not satisfy the
// key's policy (TPM_RC_POLICY_FAIL).
func isPolicyFailure(err error) bool {
	return errors.Is(err, tpm2.TPMRCValue) || errors.Is(err, tpm2.TPMRCPolicyFail)
}

// eccPoint returns the 65-byte uncompressed point of an ECC public area.
func eccPoint(p tpm2.TPM2BPublic) ([]byte, error) {
	pub, err := p.Contents()
	if err != nil {
		return nil, err
	}
	pt, err := pub.Unique.ECC()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 65)
	out[0] = 4
	new(big.Int).SetBytes(pt.X.Buffer).FillBytes(out[1:33])
	new(big.Int).SetBytes(pt.Y.Buffer).FillBytes(out[33:])
	return out, nil
}

// rawECDSA turns a TPM ECDSA signature into r ‖ s, 32 bytes each.
func rawECDSA(s tpm2.TPMTSignature) ([]byte, error) {
	e, err := s.Signature.ECDSA()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	new(big.Int).SetBytes(e.SignatureR.Buffer).FillBytes(out[:32])
	new(big.Int).SetBytes(e.SignatureS.Buffer).FillBytes(out[32:])
	return out, nil
}

// aikKey parses an encoded AIK public area and checks it is a restricted,
// fixedTPM ECDSA P-256 signing key.
func aikKey(aik []byte) (*ecdsa.PublicKey, error) {
	b := tpm2.BytesAs2B[tpm2.TPMTPublic](aik)
	pub, err := b.Contents()
	if err != nil {
		return nil, fmt.Errorf("%w: AIK public area: %v", ErrEvidence, err)
	}
	a := pub.ObjectAttributes
	if pub.Type != tpm2.TPMAlgECC || !a.Restricted || !a.SignEncrypt || !a.FixedTPM {
		return nil, fmt.Errorf("%w: AIK is not a restricted TPM signing key", ErrEvidence)
	}
	pt, err := pub.Unique.ECC()
	if err != nil {
		return nil, fmt.Errorf("%w: AIK: %v", ErrEvidence, err)
	}
	k := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(pt.X.Buffer), Y: new(big.Int).SetBytes(pt.Y.Buffer)}
	if !k.Curve.IsOnCurve(k.X, k.Y) {
		return nil, fmt.Errorf("%w: AIK point not on P-256", ErrEvidence)
	}
	return k, nil
}

// checkSigned verifies that the AIK signed the attestation structure raw
// and returns it parsed (the parser checks TPM_GENERATED_VALUE).
func checkSigned(aik, raw []byte, sig tpm2.TPMTSignature) (*tpm2.TPMSAttest, error) {
	k, err := aikKey(aik)
	if err != nil {
		return nil, err
	}
	rs, err := rawECDSA(sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvidence, err)
	}
	d := sha256.Sum256(raw)
	if !ecdsa.Verify(k, d[:], new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])) {
		return nil, fmt.Errorf("%w: not signed by this AIK", ErrEvidence)
	}
	att, err := tpm2.Unmarshal[tpm2.TPMSAttest](raw)
	if err != nil {
		return nil, fmt.Errorf("%w: attestation structure: %v", ErrEvidence, err)
	}
	return att, nil
}
