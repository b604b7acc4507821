package attesttest

import (
	"crypto/ecdsa"

	"github.com/google/go-tpm/tpm2"
)

// SoftwareAIK is the public area an attacker presents for a key made in
// software: every attribute of a TPM's AIK (restricted ECDSA P-256
// signing, fixedTPM, fixedParent, sensitiveDataOrigin), as edited by edit,
// with k's point.
func SoftwareAIK(k *ecdsa.PublicKey, edit func(*tpm2.TPMAObject)) []byte {
	pub := tpm2.TPMTPublic{
		Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true,
			UserWithAuth: true, Restricted: true, SignEncrypt: true, NoDA: true},
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			CurveID: tpm2.TPMECCNistP256,
			Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgECDSA,
				Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256})},
		}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
			X: tpm2.TPM2BECCParameter{Buffer: k.X.FillBytes(make([]byte, 32))},
			Y: tpm2.TPM2BECCParameter{Buffer: k.Y.FillBytes(make([]byte, 32))},
		}),
	}
	edit(&pub.ObjectAttributes)
	return tpm2.Marshal(pub)
}
