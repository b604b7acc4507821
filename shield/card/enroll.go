package card

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/asn1"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/internal/apdu"
)

// Certificate EFs with a role in enrollment.
const (
	EFCertificate uint16 = 0xC001 // the holder's certificate: written only by ACTIVATE
	EFIssuing     uint16 = 0xC002 // its issuing CA's certificate: written only by ACTIVATE
	EFIncoming    uint16 = 0xC007 // staging: leaf DER ‖ issuing CA DER, for ACTIVATE
)

// Key references of MANAGE SECURITY ENVIRONMENT (tag 84 in the DST).
const (
	KeyActive  byte = 0x01 // the certified key (the default after reset)
	KeyPending byte = 0x02 // GENERATE's new key, not yet certified
)

// protected reports whether the EF is written only by ACTIVATE: UPDATE
// and ERASE BINARY on it answer 6982 (access condition "never").
func protected(fid uint16) bool { return fid == EFCertificate || fid == EFIssuing }

// signingKey is the key PSO SIGN uses: the active one unless MSE chose
// the pending one.
func (c *Card) signingKey() *sm2.PrivateKey {
	if c.vol.keyRef == KeyPending {
		return c.next
	}
	return c.key
}

// manageEnv (MANAGE SECURITY ENVIRONMENT: SET for the digital-signature
// template, P1=41 P2=B6, data 84 01 kk): kk KeyActive or KeyPending picks
// the key of later PSO SIGNs in this session. Volatile: reset, SELECT and
// ACTIVATE go back to KeyActive.
func (c *Card) manageEnv(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0x41B6 {
		return nil, apdu.SWIncorrectP1P2
	}
	d := cmd.Data
	if len(d) != 3 || d[0] != 0x84 || d[1] != 1 || (d[2] != KeyActive && d[2] != KeyPending) {
		return nil, apdu.SWWrongData
	}
	if d[2] == KeyPending && c.next == nil {
		return nil, apdu.SWRefDataNotFound
	}
	c.vol.keyRef = d[2]
	return nil, apdu.SWOK
}

// putRoot (PUT DATA, P1-P2 0103, data = SM2 public key 04||x||y) sets the
// trusted CA root once; a second, different key is 6985 (the root never
// changes on a card: a new root is a new card), the same key again 9000.
func (c *Card) putRoot(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0x0103 {
		return nil, apdu.SWIncorrectP1P2
	}
	if _, sw := parsePublic(cmd.Data); sw != apdu.SWOK {
		return nil, sw
	}
	switch {
	case bytes.Equal(c.st.Root, cmd.Data):
		return nil, apdu.SWOK
	case len(c.st.Root) != 0:
		return nil, apdu.SWConditionsNotMet
	}
	c.st.Root = append([]byte(nil), cmd.Data...)
	return nil, c.save()
}

// activate (ACTIVATE, P1=00 P2=00, no data) installs the certificate
// staged in EF EFIncoming and switches keys: the chain must verify up to
// the root key and the leaf must be for the pending key. Then, in one
// durable save, the pending key becomes the active key, the leaf and the
// issuing CA certificate replace EFs EFCertificate and EFIssuing and the
// staging EF is emptied. Any refusal changes nothing.
func (c *Card) activate(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0 || len(cmd.Data) != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	switch {
	case c.next == nil:
		return nil, apdu.SWConditionsNotMet
	case len(c.st.Root) == 0:
		return nil, apdu.SWRefDataNotFound
	}
	leaf, issuing, sw := c.checkIncoming()
	if sw != apdu.SWOK {
		return nil, sw
	}
	c.st.Key, c.st.Pending = c.st.Pending, nil
	if c.st.Files == nil {
		c.st.Files = map[uint16][]byte{}
	}
	c.st.Files[EFCertificate], c.st.Files[EFIssuing] = leaf, issuing
	delete(c.st.Files, EFIncoming)
	if sw := c.save(); sw != apdu.SWOK {
		return nil, sw
	}
	c.loadKey()
	c.vol.keyRef = KeyActive
	return nil, apdu.SWOK
}

// checkIncoming is the card's check of the staged chain, what a chip's
// COS does with the little it has (the root's public key, SM2 and SM3):
// two DER certificates, leaf then issuing CA, nothing after; the issuing
// CA has CA basic constraints and keyCertSign, is not the root's key, and
// its SM2-with-SM3 signature verifies under the root key; the leaf is no CA, names the
// issuing CA's subject as its issuer, allows digitalSignature, is signed
// by the issuing CA's key, and certifies the pending key. Signatures are
// checked over the TBS with the default user ID 1234567812345678 (GM/T
// 0015). A structure that fails is 6A80, a signature 6300.
func (c *Card) checkIncoming() (leaf, issuing []byte, sw apdu.StatusWord) {
	l, ca, ok := splitChain(c.st.Files[EFIncoming])
	if !ok {
		return nil, nil, apdu.SWWrongData
	}
	caPub, leafPub := sm2Key(ca), sm2Key(l)
	switch {
	case caPub == nil || leafPub == nil, !ca.BasicConstraintsValid || !ca.IsCA,
		ca.KeyUsage&smx509.KeyUsageCertSign == 0, l.IsCA, !bytes.Equal(l.RawIssuer, ca.RawSubject),
		l.KeyUsage&smx509.KeyUsageDigitalSignature == 0, !leafPub.Equal(&c.next.PublicKey):
		return nil, nil, apdu.SWWrongData
	}
	root, err := sm2.NewPublicKey(c.st.Root)
	switch {
	case err != nil:
		return nil, nil, apdu.SWRefDataNotFound
	case caPub.Equal(root): // the root itself as issuer: it stays offline
		return nil, nil, apdu.SWWrongData
	case !signedBy(ca, root) || !signedBy(l, caPub):
		return nil, nil, apdu.SWVerifyFailed
	}
	return l.Raw, ca.Raw, apdu.SWOK
}

// splitChain parses b as exactly two DER certificates.
func splitChain(b []byte) (leaf, ca *smx509.Certificate, ok bool) {
	var certs [2]*smx509.Certificate
	for i := range certs {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			return nil, nil, false
		}
		if certs[i], err = smx509.ParseCertificate(v.FullBytes); err != nil {
			return nil, nil, false
		}
		b = rest
	}
	return certs[0], certs[1], len(b) == 0
}

func sm2Key(c *smx509.Certificate) *ecdsa.PublicKey {
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return nil
	}
	return pub
}

// signedBy checks an SM2-with-SM3 certificate signature under pub.
func signedBy(c *smx509.Certificate, pub *ecdsa.PublicKey) bool {
	return c.SignatureAlgorithm == smx509.SM2WithSM3 && sm2.VerifyASN1WithSM2(pub, nil, c.RawTBSCertificate, c.Signature)
}
