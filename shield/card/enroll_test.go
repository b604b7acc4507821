package card

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/ca"
	"trustbank/shield/internal/apdu"
)

// pki is a CA hierarchy of shield/ca and its root key as the card holds it.
type pki struct {
	h       *ca.Hierarchy
	rootKey []byte
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	h, err := ca.NewHierarchy("Card Test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &pki{h: h, rootKey: ecPublicBytes(h.Root.PublicKey.(*ecdsa.PublicKey))}
}

func ecPublicBytes(p *ecdsa.PublicKey) []byte {
	return append([]byte{4}, append(p.X.FillBytes(make([]byte, 32)), p.Y.FillBytes(make([]byte, 32))...)...)
}

// leaf issues an end-entity certificate for pub (65 bytes) with the
// issuing CA's key, as shield/ca would.
func (p *pki) leaf(t testing.TB, pub []byte) []byte {
	t.Helper()
	return issueLeaf(t, pub, p.h.Issuing, p.h.IssuingKey)
}

func issueLeaf(t testing.TB, pub []byte, parent *smx509.Certificate, key *sm2.PrivateKey) []byte {
	t.Helper()
	k, err := sm2.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &smx509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "6222020000000001"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true,
		KeyUsage: smx509.KeyUsageDigitalSignature, ExtKeyUsage: []smx509.ExtKeyUsage{smx509.ExtKeyUsageClientAuth}}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, k, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// stage writes b into EF EFIncoming (erased first) over ch.
func stage(t testing.TB, f *fixture, ch *Channel, b []byte) {
	t.Helper()
	want(t, mustSW(t, f, ch, &apdu.Command{INS: insSelect, P1: 2, P2: 0x0C, Data: binary.BigEndian.AppendUint16(nil, EFIncoming)}), apdu.SWOK)
	want(t, mustSW(t, f, ch, &apdu.Command{INS: insEraseBinary}), apdu.SWOK)
	for off := 0; off < len(b); off += 200 {
		d := b[off:min(off+200, len(b))]
		want(t, mustSW(t, f, ch, &apdu.Command{INS: insUpdateBinary, P1: byte(off >> 8), P2: byte(off), Data: d}), apdu.SWOK)
	}
}

func mustSW(t testing.TB, f *fixture, ch *Channel, cmd *apdu.Command) apdu.StatusWord {
	t.Helper()
	s, _ := sw(t, f, ch, cmd)
	return s
}

var (
	activateCmd = &apdu.Command{INS: insActivate}
	mseActive   = &apdu.Command{INS: insMSE, P1: 0x41, P2: 0xB6, Data: []byte{0x84, 1, KeyActive}}
	msePending  = &apdu.Command{INS: insMSE, P1: 0x41, P2: 0xB6, Data: []byte{0x84, 1, KeyPending}}
)

// enrolledFixture is a card with a root key and an activated certificate
// (its first key), the PIN verified on the returned channel.
func enrolledFixture(t testing.TB, p *pki) (*fixture, *Channel) {
	t.Helper()
	f := newFixture(t)
	ch := f.channel(t)
	want(t, mustSW(t, f, ch, verifyCmd(t, testPIN)), apdu.SWOK)
	want(t, mustSW(t, f, ch, &apdu.Command{INS: insPutData, P1: 1, P2: 3, Data: p.rootKey}), apdu.SWOK)
	s, pub := sw(t, f, ch, &apdu.Command{INS: insGenerate, Ne: 65})
	want(t, s, apdu.SWOK)
	stage(t, f, ch, append(p.leaf(t, pub), p.h.Issuing.Raw...))
	want(t, mustSW(t, f, ch, activateCmd), apdu.SWOK)
	f.pub = pub
	return f, ch
}

// signsWith reports whether the card's PSO SIGN (data) on ch verifies under pub.
func signsWith(t testing.TB, f *fixture, ch *Channel, pub []byte) bool {
	t.Helper()
	msg := []byte("login challenge")
	s, sig := sw(t, f, ch, &apdu.Command{INS: insPSO, P1: 0x9E, P2: 0x9A, Data: append([]byte{0}, msg...), Ne: 256})
	want(t, s, apdu.SWOK)
	k, err := sm2.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sm2.VerifyASN1WithSM2(k, nil, msg, sig)
}

// The enrollment flaw, attacked at the card: a GENERATE for a
// re-enrollment that never completes (wrong code at the bank, a stolen
// session, a lost network) must leave the enrolled key and certificate
// working; only a certificate that chains to the card's root and is for
// the pending key switches keys.
func TestPendingKeyNeverReplacesTheEnrolledKeyUnverified(t *testing.T) {
	p := newPKI(t)
	f, ch := enrolledFixture(t, p)
	enrolledCert := readEF(t, f, EFCertificate)
	s, pending := sw(t, f, ch, &apdu.Command{INS: insGenerate, Ne: 65})
	want(t, s, apdu.SWOK)
	// Until ACTIVATE, SIGN and INTERNAL AUTHENTICATE use the enrolled key.
	if !signsWith(t, f, ch, f.pub) {
		t.Fatal("after GENERATE the card no longer signs with its enrolled key")
	}
	if _, err := OpenChannel(f.card, f.hk, mustPub(t, f.pub)); err != nil {
		t.Fatalf("INTERNAL AUTHENTICATE after GENERATE: %v", err)
	}
	ch = f.channel(t)
	want(t, mustSW(t, f, ch, verifyCmd(t, testPIN)), apdu.SWOK)
	// MSE picks the pending key for the PKCS#10, and back.
	want(t, mustSW(t, f, ch, msePending), apdu.SWOK)
	if !signsWith(t, f, ch, pending) {
		t.Fatal("MSE pending: the signature is not by the pending key")
	}
	want(t, mustSW(t, f, ch, mseActive), apdu.SWOK)
	if !signsWith(t, f, ch, f.pub) {
		t.Fatal("MSE active: the signature is not by the enrolled key")
	}

	other := newPKI(t)
	tamper := func(der []byte) []byte { // a byte of the subject's CN: still parses, signature breaks
		b := append([]byte(nil), der...)
		i := bytes.Index(b, []byte("6222020000000001"))
		if i < 0 {
			t.Fatal("no CN in the certificate")
		}
		b[i+15] ^= 1
		return b
	}
	rootSigned := issueLeaf(t, pending, p.h.Root, p.h.RootKey)
	for name, tc := range map[string]struct {
		staged []byte
		sw     apdu.StatusWord
	}{
		"fail/another-key":      {append(p.leaf(t, mustNewKey(t)), p.h.Issuing.Raw...), apdu.SWWrongData},
		"fail/another-ca":       {append(other.leaf(t, pending), other.h.Issuing.Raw...), apdu.SWVerifyFailed},
		"fail/another-ca-chain": {append(other.leaf(t, pending), p.h.Issuing.Raw...), apdu.SWVerifyFailed},
		"fail/tampered-leaf":    {append(tamper(p.leaf(t, pending)), p.h.Issuing.Raw...), apdu.SWVerifyFailed},
		"fail/root-as-issuer":   {append(rootSigned, p.h.Root.Raw...), apdu.SWWrongData},
		"fail/leaf-alone":       {p.leaf(t, pending), apdu.SWWrongData},
		"fail/swapped":          {append(append([]byte(nil), p.h.Issuing.Raw...), p.leaf(t, pending)...), apdu.SWWrongData},
		"fail/trailing-byte":    {append(append(p.leaf(t, pending), p.h.Issuing.Raw...), 0), apdu.SWWrongData},
		"fail/garbage":          {bytes.Repeat([]byte{0x30}, 300), apdu.SWWrongData},
	} {
		t.Run(name, func(t *testing.T) {
			stage(t, f, ch, tc.staged)
			before, _ := f.store.Load()
			want(t, mustSW(t, f, ch, activateCmd), tc.sw)
			after, _ := f.store.Load()
			if !sameState(before, after) {
				t.Fatal("a refused ACTIVATE changed the card's state")
			}
			if !signsWith(t, f, ch, f.pub) || !bytes.Equal(readEF(t, f, EFCertificate), enrolledCert) {
				t.Fatal("a refused ACTIVATE changed the active key or certificate")
			}
		})
	}

	// The right chain switches: new key active, old one gone, EFs replaced.
	leaf := p.leaf(t, pending)
	stage(t, f, ch, append(append([]byte(nil), leaf...), p.h.Issuing.Raw...))
	want(t, mustSW(t, f, ch, activateCmd), apdu.SWOK)
	if !signsWith(t, f, ch, pending) || signsWith(t, f, ch, f.pub) {
		t.Fatal("after ACTIVATE the card does not sign with the new key alone")
	}
	if !bytes.Equal(readEF(t, f, EFCertificate), leaf) || !bytes.Equal(readEF(t, f, EFIssuing), p.h.Issuing.Raw) || len(readEF(t, f, EFIncoming)) != 0 {
		t.Fatal("the certificate EFs after ACTIVATE")
	}
	if _, err := OpenChannel(f.card, f.hk, mustPub(t, f.pub)); !errors.Is(err, ErrCardAuth) {
		t.Fatalf("INTERNAL AUTHENTICATE still under the old key: %v", err)
	}
	ch = channelFor(t, f, pending)
	want(t, mustSW(t, f, ch, verifyCmd(t, testPIN)), apdu.SWOK)
	want(t, mustSW(t, f, ch, activateCmd), apdu.SWConditionsNotMet) // nothing pending
	want(t, mustSW(t, f, ch, msePending), apdu.SWRefDataNotFound)
	if st, _ := ReadStatus(f.card); !st.HasKey || st.Pending || !st.HasRoot {
		t.Fatalf("status %+v", st)
	}
}

// The root key is set once (PUT DATA under secure messaging and the PIN);
// without one the card installs no certificate.
func TestRootKeySetOnce(t *testing.T) {
	p := newPKI(t)
	f := newFixture(t)
	ch := f.channel(t)
	put := func(k []byte) apdu.StatusWord {
		return mustSW(t, f, ch, &apdu.Command{INS: insPutData, P1: 1, P2: 3, Data: k})
	}
	want(t, put(p.rootKey), apdu.SWSecurityNotSatisfied) // no PIN yet
	want(t, mustSW(t, f, ch, verifyCmd(t, testPIN)), apdu.SWOK)
	s, pending := sw(t, f, ch, &apdu.Command{INS: insGenerate, Ne: 65})
	want(t, s, apdu.SWOK)
	stage(t, f, ch, append(p.leaf(t, pending), p.h.Issuing.Raw...))
	want(t, mustSW(t, f, ch, activateCmd), apdu.SWRefDataNotFound) // no root key
	want(t, put(p.rootKey[:64]), apdu.SWWrongData)
	want(t, put(p.rootKey), apdu.SWOK)
	want(t, put(p.rootKey), apdu.SWOK)
	want(t, put(newPKI(t).rootKey), apdu.SWConditionsNotMet)
	if s, got := sw(t, f, nil, &apdu.Command{INS: insGetData, P1: 1, P2: 3, Ne: 65}); s != apdu.SWOK || !bytes.Equal(got, p.rootKey) {
		t.Fatalf("GET DATA root: %v %x", s, got)
	}
	want(t, mustSW(t, f, ch, activateCmd), apdu.SWOK)
}

// Power lost between GENERATE and ACTIVATE, or while ACTIVATE saves:
// the card comes back with its enrolled key and certificate; the pending
// key survived and can still be certified.
func TestPowerLossDuringEnrollmentKeepsEnrolledKey(t *testing.T) {
	p := newPKI(t)
	f, ch := enrolledFixture(t, p)
	cert := readEF(t, f, EFCertificate)
	s, pending := sw(t, f, ch, &apdu.Command{INS: insGenerate, Ne: 65})
	want(t, s, apdu.SWOK)
	stage(t, f, ch, append(p.leaf(t, pending), p.h.Issuing.Raw...))
	f.store.Fail = errors.New("power lost while writing")
	want(t, mustSW(t, f, ch, activateCmd), apdu.SWMemoryFailure)
	f.store.Fail = nil
	if !signsWith(t, f, ch, f.pub) {
		t.Fatal("a failed ACTIVATE save left the card without its enrolled key")
	}
	var err error
	if f.card, err = Open(f.store); err != nil { // power off and on
		t.Fatal(err)
	}
	ch = f.channel(t) // INTERNAL AUTHENTICATE under the enrolled key
	want(t, mustSW(t, f, ch, verifyCmd(t, testPIN)), apdu.SWOK)
	if !signsWith(t, f, ch, f.pub) || !bytes.Equal(readEF(t, f, EFCertificate), cert) {
		t.Fatal("after power loss the enrolled key or certificate is gone")
	}
	if st, _ := ReadStatus(f.card); !st.Pending {
		t.Fatal("the pending key did not survive power loss")
	}
	want(t, mustSW(t, f, ch, activateCmd), apdu.SWOK)
	if !signsWith(t, f, ch, pending) {
		t.Fatal("the surviving pending key was not activated")
	}
}

func readEF(t testing.TB, f *fixture, fid uint16) []byte {
	t.Helper()
	if _, err := Send(f.card, &apdu.Command{INS: insSelect, P1: 2, P2: 0x0C, Data: binary.BigEndian.AppendUint16(nil, fid)}); err != nil {
		t.Fatal(err)
	}
	r, err := Send(f.card, &apdu.Command{INS: insReadBinary})
	if err != nil {
		t.Fatal(err)
	}
	return r.Data
}

func mustPub(t testing.TB, b []byte) *ecdsa.PublicKey {
	t.Helper()
	k, err := sm2.NewPublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustNewKey(t testing.TB) []byte { return publicBytes(mustKey(t)) }

func channelFor(t testing.TB, f *fixture, pub []byte) *Channel {
	t.Helper()
	ch, err := OpenChannel(f.card, f.hk, mustPub(t, pub))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
