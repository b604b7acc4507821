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
//	AIK public ──────── registered with the user registry GU at sign-up
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
// Limits: the AIK is trusted at registration (a production deployment
// would first bind it to the EK with MakeCredential/ActivateCredential);
// TPM authorisation for the primaries uses empty owner auth.
package attest
