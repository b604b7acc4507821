package attest_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"

	"trustbank/attest"
	"trustbank/attest/attesttest"
)

// simWithCert opens the simulator and has ca certify its EK of type k (the
// simulator has no EK certificate of its own).
func simWithCert(t *testing.T, ca *attesttest.CA, k attest.EKType) (*attest.Device, []byte) {
	t.Helper()
	d := openSim(t)
	ek, err := d.EndorsementKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueEK(ek)
	if err != nil {
		t.Fatal(err)
	}
	return d, cert
}

func newCA(t *testing.T, name string) *attesttest.CA {
	t.Helper()
	ca, err := attesttest.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func endorser(t *testing.T, caPEM []byte) *attest.Endorser {
	t.Helper()
	e, err := attest.NewEndorser(caPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func secret() []byte {
	s := make([]byte, 32)
	rand.Read(s)
	return s
}

// The honest TPM activates the credential and recovers the secret: the
// simulator with ECC and RSA EKs certified by a test CA.
func TestActivateCredentialSimulator(t *testing.T) {
	for name, k := range map[string]attest.EKType{"ok/ecc-p256": attest.EKECCP256, "ok/rsa-2048": attest.EKRSA2048} {
		t.Run(name, func(t *testing.T) {
			ca := newCA(t, "simulator manufacturer")
			d, cert := simWithCert(t, ca, k)
			s := secret()
			cred, err := endorser(t, ca.PEM()).MakeCredential(cert, d.AIK(), s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.ActivateCredential(cred)
			if err != nil || !bytes.Equal(got, s) {
				t.Fatalf("activation: %x, %v", got, err)
			}
			if _, err := d.ActivateCredential(cred[:len(cred)-1]); !errors.Is(err, attest.ErrEvidence) {
				t.Fatalf("truncated credential: %v", err)
			}
		})
	}
}

// swtpm manufactured by swtpm_setup: the EK certificate is read from NV,
// chains to the local CA through its issuing certificate, and the TPM
// activates; the same certificate under another CA is refused.
func TestActivateCredentialSWTPM(t *testing.T) {
	path, caPEM := attesttest.ManufacturedSWTPM(t)
	d, err := attest.OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cert, err := d.EKCertificate()
	if err != nil {
		t.Fatal(err)
	}
	s := secret()
	cred, err := endorser(t, caPEM).MakeCredential(cert, d.AIK(), s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.ActivateCredential(cred); err != nil || !bytes.Equal(got, s) {
		t.Fatalf("activation: %x, %v", got, err)
	}
	other := newCA(t, "another manufacturer")
	if _, err := endorser(t, other.PEM()).MakeCredential(cert, d.AIK(), s); !errors.Is(err, attest.ErrEndorsement) {
		t.Fatalf("EK certificate under an untrusted CA: %v", err)
	}
	// A blank swtpm has no EK certificate to present.
	blank, err := attest.OpenPath(attesttest.SWTPMPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer blank.Close()
	if _, err := blank.EKCertificate(); !errors.Is(err, attest.ErrNoEKCertificate) {
		t.Fatalf("blank TPM: %v", err)
	}
}

// EK certificates the registry must refuse.
func TestEKCertificateRefused(t *testing.T) {
	ca, rogue := newCA(t, "manufacturer"), newCA(t, "rogue")
	d, cert := simWithCert(t, ca, attest.EKECCP256)
	ek, _ := d.EndorsementKey(attest.EKECCP256)
	rogueCert, err := rogue.IssueEK(ek)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384Cert, _ := ca.IssueEK(&p384.PublicKey)
	later, err := attest.NewEndorser(ca.PEM(), func() time.Time { return time.Now().Add(48 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	e := endorser(t, ca.PEM())
	cases := map[string]error{}
	_, cases["fail/untrusted-ca"] = e.MakeCredential(rogueCert, d.AIK(), secret())
	_, cases["fail/expired"] = later.MakeCredential(cert, d.AIK(), secret())
	_, cases["fail/not-an-ek-curve"] = e.MakeCredential(p384Cert, d.AIK(), secret())
	_, cases["fail/garbage"] = e.MakeCredential([]byte{0x30, 0x03, 1, 2, 3}, d.AIK(), secret())
	_, cases["fail/ca-as-ek"] = e.MakeCredential(pemBody(ca.PEM()), d.AIK(), secret())
	for name, err := range cases {
		if !errors.Is(err, attest.ErrEndorsement) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := attest.NewEndorser([]byte("no certificates"), nil); err == nil {
		t.Error("trust file without a CA accepted")
	}
}

// An AIK from TPM A presented with TPM B's EK certificate: the registry
// cannot tell (both are valid), but neither TPM can activate the
// credential: A does not hold B's EK, B does not hold A's AIK.
func TestAIKOfOtherTPMCannotActivate(t *testing.T) {
	path, caPEM := attesttest.ManufacturedSWTPM(t)
	b, err := attest.OpenPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bCert, err := b.EKCertificate()
	if err != nil {
		t.Fatal(err)
	}
	a := openSim(t)
	cred, err := endorser(t, caPEM).MakeCredential(bCert, a.AIK(), secret())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ActivateCredential(cred); !errors.Is(err, attest.ErrEvidence) {
		t.Fatalf("TPM A activated a credential for B's EK: %v", err)
	}
	if _, err := b.ActivateCredential(cred); !errors.Is(err, attest.ErrEvidence) {
		t.Fatalf("TPM B activated a credential naming A's AIK: %v", err)
	}
}

// A software "AIK" claiming every TPM attribute passes the registry's
// checks of its public area, but no TPM can activate a credential for it:
// the honest TPM's own AIK has another Name, the TPM refuses to load a
// fixedTPM key from outside with its private part, and will not activate
// for a key loaded without one.
func TestSoftwareAIKCannotActivate(t *testing.T) {
	ca := newCA(t, "manufacturer")
	d, cert := simWithCert(t, ca, attest.EKECCP256)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	soft := attesttest.SoftwareAIK(&k.PublicKey, func(*tpm2.TPMAObject) {})
	cred, err := endorser(t, ca.PEM()).MakeCredential(cert, soft, secret())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ActivateCredential(cred); !errors.Is(err, attest.ErrEvidence) {
		t.Fatalf("activated for the TPM's own AIK: %v", err)
	}
	if _, err := d.ActivateExternal(soft, k, cred); !errors.Is(err, tpm2.TPMRCAttributes) {
		t.Fatalf("loading a fixedTPM key from outside: %v", err)
	}
	if _, err := d.ActivateExternal(soft, nil, cred); !errors.Is(err, tpm2.TPMRCAuthUnavailable) {
		t.Fatalf("activating for a public-only key: %v", err)
	}
}

// AIK public areas the registry refuses. The last case shows why: a
// software key without these attributes loads into the TPM and activates.
func TestAIKAttributesRefused(t *testing.T) {
	ca := newCA(t, "manufacturer")
	d, cert := simWithCert(t, ca, attest.EKECCP256)
	e := endorser(t, ca.PEM())
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edits := map[string]func(*tpm2.TPMAObject){
		"fail/not-restricted":  func(a *tpm2.TPMAObject) { a.Restricted = false },
		"fail/not-fixedtpm":    func(a *tpm2.TPMAObject) { a.FixedTPM = false },
		"fail/not-fixedparent": func(a *tpm2.TPMAObject) { a.FixedParent = false },
		"fail/imported":        func(a *tpm2.TPMAObject) { a.SensitiveDataOrigin = false },
		"fail/decrypt":         func(a *tpm2.TPMAObject) { a.Decrypt = true },
		"fail/not-signing":     func(a *tpm2.TPMAObject) { a.SignEncrypt = false },
	}
	for name, edit := range edits {
		if _, err := e.MakeCredential(cert, attesttest.SoftwareAIK(&k.PublicKey, edit), secret()); !errors.Is(err, attest.ErrEvidence) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, aik := range map[string][]byte{
		"fail/trailing-bytes": append(d.AIK(), 0),
		"fail/truncated":      d.AIK()[:20],
		"fail/empty":          nil,
	} {
		if _, err := e.MakeCredential(cert, aik, secret()); !errors.Is(err, attest.ErrEvidence) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Were these attributes not checked, a software key would pass
	// activation: the TPM loads a key from outside, private part and all,
	// when it is neither restricted nor fixedTPM nor fixedParent.
	loose := attesttest.SoftwareAIK(&k.PublicKey, func(a *tpm2.TPMAObject) { a.Restricted, a.FixedTPM, a.FixedParent = false, false, false })
	cred, err := attest.MakeCredentialUnchecked(cert, loose, []byte("s"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.ActivateExternal(loose, k, cred); err != nil || string(got) != "s" {
		t.Fatalf("a software key loaded from outside did not activate (%v): the attribute check would not be needed", err)
	}
}

func pemBody(p []byte) []byte {
	ca, _ := attest.FirstCertificate(p)
	return ca
}
