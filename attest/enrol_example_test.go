package attest_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"

	"trustbank/attest"
	"trustbank/attest/attesttest"
)

// AIK enrolment: GU makes a credential for the certified EK and the AIK;
// only the TPM holding both recovers the secret.
func Example_enrolment() {
	dev, _ := attest.OpenPath("simulator")
	defer dev.Close()
	ca, _ := attesttest.NewCA("manufacturer") // the simulator has no EK certificate
	ek, _ := dev.EndorsementKey(attest.EKECCP256)
	cert, _ := ca.IssueEK(ek)

	gu, _ := attest.NewEndorser(ca.PEM(), nil)
	secret := make([]byte, 32)
	rand.Read(secret)
	cred, err := gu.MakeCredential(cert, dev.AIK(), secret)
	fmt.Println("credential made:", err == nil)

	answer, err := dev.ActivateCredential(cred)
	fmt.Println("TPM holds the AIK:", err == nil && bytes.Equal(answer, secret))
	// Output:
	// credential made: true
	// TPM holds the AIK: true
}

func BenchmarkMakeCredential(b *testing.B) {
	for name, k := range map[string]attest.EKType{"ecc-p256": attest.EKECCP256, "rsa-2048": attest.EKRSA2048} {
		b.Run(name, func(b *testing.B) {
			d := openSim(b)
			ca, _ := attesttest.NewCA("manufacturer")
			ek, _ := d.EndorsementKey(k)
			cert, _ := ca.IssueEK(ek)
			gu, _ := attest.NewEndorser(ca.PEM(), nil)
			aik, s := d.AIK(), make([]byte, 32)
			for b.Loop() {
				if _, err := gu.MakeCredential(cert, aik, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkActivateCredential(b *testing.B) {
	d := openSim(b)
	ca, _ := attesttest.NewCA("manufacturer")
	ek, _ := d.EndorsementKey(attest.EKECCP256)
	cert, _ := ca.IssueEK(ek)
	gu, _ := attest.NewEndorser(ca.PEM(), nil)
	cred, _ := gu.MakeCredential(cert, d.AIK(), make([]byte, 32))
	for b.Loop() {
		if _, err := d.ActivateCredential(cred); err != nil {
			b.Fatal(err)
		}
	}
}
