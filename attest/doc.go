// Package attest binds e-cash coins to a device's TPM 2.0 and lets a bank
// check the device's platform state (seed 000's "platform binding").
//
// The device side (Device) runs on the TPM through google/go-tpm's tpm2
// direct API: the go-tpm-tools simulator is the embedded default, swtpm
// over TCP gives further independent TPMs (tests with an owner and a
// thief), and /dev/tpmrm0 selects a real TPM.
//
//	Device (TPM)                                         Bank (Verifier)
//	SRK, AIK ← CreatePrimary (owner hierarchy, ECC P-256)
//	AIK public ──────── enrolled with the user registry GU at sign-up
//	   (see "AIK enrolment" below: bound to the TPM's EK first)
//	coin key K ← Create under SRK: ECDSA P-256, fixedTPM, fixedParent,
//	   userWithAuth clear, authPolicy = PolicyPCR(golden PCRs)
//	Certify(K by AIK) → checked by the device itself (K is TPM-resident,
//	   non-exportable, policy as intended)
//	Quote(PCRs; extraData = H(withdraw request)) ─────▶ VerifyQuote: AIK
//	                                                      signature, magic,
//	                                                      type, extraData,
//	                                                      PCR digest ∈ allowlist
//	Sign(K, digest) — only inside a policy session that satisfied PolicyPCR,
//	   so only on this TPM and only while the PCRs hold the golden values
//
// Why the bank sees a quote and not the coin key's certification: see
// package ecash (the bank must not learn K, which is shown at payment).
//
// Selected PCRs: SHA-256 bank, PCRs 0–7 (the PC Client boot chain). The
// golden values are the device's at enrolment; a Verifier accepts the
// digests it is given.
//
// # AIK enrolment (TPM 2.0 Part 1 §24, "Credential Protection")
//
//	Device (TPM)                                  GU (Endorser, in package ecash's Enroller)
//	EK cert ← NV 0x01c00002 (RSA 2048) or 0x01c0000a (ECC P-256)
//	EK cert, AIK public ───────────────────────▶ EK cert chains to a trusted
//	                                               manufacturer CA (not itself a CA);
//	                                               AIK: ECDSA P-256, restricted,
//	                                               sign-only, fixedTPM, fixedParent,
//	                                               sensitiveDataOrigin; Name = H(AIK)
//	                                               s ← random; MakeCredential in
//	                                               software (go-tpm CreateCredential):
//	                                               seed → EK (RSA-OAEP / ECDH), KDFa →
//	                                               AES-CFB(s), HMAC over it and Name
//	◀────────────────────────────── credential
//	s ← ActivateCredential(AIK, EK under PolicySecret(endorsement))
//	s ──────────────────────────────────────────▶ single-use, unexpired, equal → AIK
//	                                               registered for the identity
//
// What this binding guarantees: the AIK GU registers is a key that a TPM
// holding the certified EK has loaded — the TPM decrypts the seed only with
// that EK and releases s only if the HMAC over the loaded key's Name
// verifies — and whose public area says the TPM generated it and will
// never let it out (fixedTPM, fixedParent, sensitiveDataOrigin) and signs
// only TPM-made structures (restricted). A key made in software cannot be
// loaded with its private part while claiming those attributes (the TPM
// refuses, TPM_RC_ATTRIBUTES), and a key loaded without it cannot be
// activated for (TPM_RC_AUTH_UNAVAILABLE); so quotes that verify under
// the registered AIK come from that TPM.
//
// What it does not guarantee:
//   - An EK certificate proves that a manufacturer the registry trusts made
//     the TPM, nothing more: not that the TPM is unbroken (a TPM whose keys
//     were extracted, or a firmware TPM on a compromised host, enrols like
//     any other), nor that the platform boots what it should (that is the
//     quote's PCR allowlist), nor who the user is (the operator vouches).
//   - The AIK's attributes are taken from its public area, which the TPM
//     vouches for only by activating: the check is sound because a TPM
//     activates only for a key it holds, whose attributes it enforces.
//   - One TPM may enrol for several identities; nothing here counts EKs.
//   - The trust is only as good as the CA file: swtpm_setup's local CA and
//     the tests' CA certify software TPMs, and the go-tpm-tools simulator
//     is not a TPM at all (its EK is certified by a test or demo CA). A
//     production registry trusts only TPM vendors' CAs.
//   - Revocation of EK certificates (CRLs) is not checked.
//
// Other limits: TPM authorisation for the primaries, the EK's policy and
// NV reads uses empty owner and endorsement auth.
package attest
