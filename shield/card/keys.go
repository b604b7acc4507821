package card

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/internal/apdu"
)

// generate (GENERATE ASYMMETRIC KEY PAIR, P1=00 P2=00): a new SM2 key pair
// goes into the pending slot (replacing any pending one) and is made
// durable; the active key and the certificate EFs stay as they are until
// ACTIVATE. The response is the pending public key 04||x||y.
func (c *Card) generate(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0 || len(cmd.Data) != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if cmd.Ne != 0 && cmd.Ne < 65 { // checked first: a lost public key would be a lost key pair
		return nil, apdu.SWWrongLength
	}
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, apdu.SWNoPreciseDiagnosis
	}
	c.st.Pending = k.D.FillBytes(make([]byte, 32))
	if sw := c.save(); sw != apdu.SWOK {
		return nil, sw
	}
	c.loadKey()
	return publicBytes(k), apdu.SWOK
}

// pso is PERFORM SECURITY OPERATION; P1-P2 picks the operation and its needs.
func (c *Card) pso(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	var need Security
	var run func(*apdu.Command) ([]byte, apdu.StatusWord)
	switch p1p2(cmd) {
	case 0x9E9A:
		need, run = SecExternal|SecPIN, c.signData
	case 0x9E90:
		need, run = SecExternal|SecPIN, c.signDigest
	case 0x00A8, 0x01A8:
		run = c.verifySignature
	case 0x8680:
		run = c.encipher
	case 0x8086:
		need, run = SecExternal|SecPIN, c.decipher
	default:
		return nil, apdu.SWIncorrectP1P2
	}
	if !c.needs(need, c.vol.underSM) {
		return nil, apdu.SWSecurityNotSatisfied
	}
	return run(cmd)
}

// signData: data = len(uid) || uid || message; the card computes
// e = SM3(Z_A || message) (an empty uid means GM/T 0009's default ID).
func (c *Card) signData(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	r := reader(cmd.Data)
	uid, msg := r.short(), r.rest()
	if r.err != nil {
		return nil, apdu.SWWrongData
	}
	return c.sign(c.signingKey(), msg, sm2.NewSM2SignerOption(true, uid))
}

// signDigest: data = e (32 bytes), already SM3(Z_A || message).
func (c *Card) signDigest(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if len(cmd.Data) != 32 {
		return nil, apdu.SWWrongLength
	}
	return c.sign(c.signingKey(), cmd.Data, nil)
}

// sign signs m with key (6A88 when the slot is empty).
func (c *Card) sign(key *sm2.PrivateKey, m []byte, opts *sm2.SM2SignerOption) ([]byte, apdu.StatusWord) {
	if key == nil {
		return nil, apdu.SWRefDataNotFound
	}
	var sig []byte
	var err error
	if opts == nil {
		sig, err = sm2.SignASN1(rand.Reader, key, m, nil)
	} else {
		sig, err = sm2.SignASN1(rand.Reader, key, m, opts)
	}
	if err != nil {
		return nil, apdu.SWNoPreciseDiagnosis
	}
	return sig, apdu.SWOK
}

// verifySignature: P1=00: data = public key (65) || len(uid) || uid ||
// len(sig) || sig (DER) || message; P1=01: the same without the public
// key, which comes from the certificate in the selected EF.
func (c *Card) verifySignature(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	r := reader(cmd.Data)
	var pub *ecdsa.PublicKey
	var sw apdu.StatusWord
	if cmd.P1 == 0 {
		pub, sw = parsePublic(r.take(65))
	} else {
		pub, sw = c.certificateKey()
	}
	uid, sig, msg := r.short(), r.short(), r.rest()
	if r.err != nil {
		return nil, apdu.SWWrongData
	}
	if sw != apdu.SWOK {
		return nil, sw
	}
	if !sm2.VerifyASN1WithSM2(pub, uid, msg, sig) {
		return nil, apdu.SWVerifyFailed
	}
	return nil, apdu.SWOK
}

func parsePublic(b []byte) (*ecdsa.PublicKey, apdu.StatusWord) {
	if len(b) != 65 {
		return nil, apdu.SWWrongData
	}
	pub, err := sm2.NewPublicKey(b)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	return pub, apdu.SWOK
}

func (c *Card) certificateKey() (*ecdsa.PublicKey, apdu.StatusWord) {
	if c.vol.ef == 0 {
		return nil, apdu.SWConditionsNotMet
	}
	f, ok := c.st.Files[c.vol.ef]
	if !ok {
		return nil, apdu.SWFileNotFound
	}
	cert, err := smx509.ParseCertificate(f)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return nil, apdu.SWWrongData
	}
	return pub, apdu.SWOK
}

// encipher: data = recipient public key (65) || message; SM2 encryption
// (GB/T 32918.4, C1||C3||C2, C1 uncompressed).
func (c *Card) encipher(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	r := reader(cmd.Data)
	pub, sw := parsePublic(r.take(65))
	msg := r.rest()
	if r.err != nil || len(msg) == 0 {
		return nil, apdu.SWWrongData
	}
	if sw != apdu.SWOK {
		return nil, sw
	}
	ct, err := sm2.Encrypt(rand.Reader, pub, msg, nil)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	return ct, apdu.SWOK
}

// decipher: data = C1||C3||C2 for the card's key; the plaintext comes back.
func (c *Card) decipher(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if c.key == nil {
		return nil, apdu.SWRefDataNotFound
	}
	pt, err := sm2.Decrypt(c.key, cmd.Data)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	return pt, apdu.SWOK
}

// fields reads length-prefixed fields of a command's data.
type fields struct {
	b   []byte
	err error
}

var errFields = errors.New("card: bad data fields")

func reader(b []byte) *fields { return &fields{b: b} }

func (f *fields) take(n int) []byte {
	if f.err != nil || len(f.b) < n {
		f.err = errFields
		return nil
	}
	v := f.b[:n]
	f.b = f.b[n:]
	return v
}

func (f *fields) short() []byte {
	n := f.take(1)
	if f.err != nil {
		return nil
	}
	return f.take(int(n[0]))
}

func (f *fields) rest() []byte {
	v := f.b
	f.b = nil
	return v
}
