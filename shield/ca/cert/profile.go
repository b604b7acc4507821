package cert

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"unicode/utf8"

	"github.com/emmansun/gmsm/smx509"
)

// Identity is what a trustbank end-entity certificate says about its
// holder (the paper: name, bank account number and ID-card number).
//
//	Name     subject commonName (2.5.4.3)
//	IDCard   subject serialNumber (2.5.4.5) as "IDCCN-<18 characters>",
//	         the ETSI EN 319 412-1 natural-person semantics identifier
//	         (IDC = national identity card, CN = China)
//	Account  subjectAltName otherName, type-id OIDBankAccount, UTF8String
type Identity struct {
	Name    string
	IDCard  string
	Account string
}

// OIDArc is trustbank's own OID arc, 2.25.<UUID> (ITU-T X.667: an arc
// derived from a UUID needs no registration). Its integer does not fit an
// asn1.ObjectIdentifier, so its encoding is written out here.
const OIDArc = "2.25.301414800504225986305485106021096402175"

// OIDBankAccount is OIDArc.1, the otherName type-id of a bank account number.
const OIDBankAccount = OIDArc + ".1"

// idCardPrefix is the ETSI semantics identifier prefix of a Chinese
// resident identity card number.
const idCardPrefix = "IDCCN-"

// bankAccountOID is the DER contents of OIDBankAccount.
var bankAccountOID = encodeOID(OIDBankAccount)

// encodeOID returns the DER contents octets of a dotted OID whose arcs may
// exceed an int (X.690 §8.19).
func encodeOID(dotted string) []byte {
	var arcs []*big.Int
	start := 0
	for i := 0; i <= len(dotted); i++ {
		if i == len(dotted) || dotted[i] == '.' {
			n, _ := new(big.Int).SetString(dotted[start:i], 10)
			arcs = append(arcs, n)
			start = i + 1
		}
	}
	first := new(big.Int).Mul(arcs[0], big.NewInt(40))
	first.Add(first, arcs[1])
	var out []byte
	for _, a := range append([]*big.Int{first}, arcs[2:]...) {
		out = append(out, base128(a)...)
	}
	return out
}

func base128(n *big.Int) []byte {
	if n.Sign() == 0 {
		return []byte{0}
	}
	var rev []byte
	v := new(big.Int).Set(n)
	for v.Sign() > 0 {
		rev = append(rev, byte(v.Uint64()&0x7f))
		v.Rsh(v, 7)
	}
	out := make([]byte, len(rev))
	for i, b := range rev {
		out[len(rev)-1-i] = b
		if i > 0 {
			out[len(rev)-1-i] |= 0x80
		}
	}
	return out
}

// Validate checks the identity's fields: a name of 1 to 64 characters, an
// 18-character resident ID number whose GB 11643 check character is right,
// and an account number of 8 to 32 digits.
func (id Identity) Validate() error {
	if id.Name == "" || utf8.RuneCountInString(id.Name) > 64 || !utf8.ValidString(id.Name) {
		return fmt.Errorf("%w: name must be 1 to 64 characters", ErrIdentity)
	}
	if err := CheckIDCard(id.IDCard); err != nil {
		return err
	}
	if len(id.Account) < 8 || len(id.Account) > 32 || !digits(id.Account) {
		return fmt.Errorf("%w: account number must be 8 to 32 digits", ErrIdentity)
	}
	return nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CheckIDCard returns ErrIdentity unless s is a resident ID number: 17
// digits and the GB 11643 (ISO 7064 MOD 11-2) check character, 0–9 or X.
func CheckIDCard(s string) error {
	if !validIDCard(s) {
		return fmt.Errorf("%w: %q is not an 18-character resident ID number with a valid check character", ErrIdentity, s)
	}
	return nil
}

// validIDCard checks a GB 11643-1999 citizen identification number: 17
// digits and a check character from the weighted sum modulo 11.
func validIDCard(s string) bool {
	if len(s) != 18 || !digits(s[:17]) {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	return s[17] == "10X98765432"[sum%11]
}

// SubjectSerial is the subject serialNumber attribute value for an ID number.
func SubjectSerial(idCard string) string { return idCardPrefix + idCard }

// AccountExtension returns the subjectAltName extension that carries the
// bank account number as an otherName.
func AccountExtension(account string) (pkix.Extension, error) {
	value, err := asn1.MarshalWithParams(account, "utf8")
	if err != nil {
		return pkix.Extension{}, err
	}
	other, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true,
		Bytes: append(append([]byte{0x06, byte(len(bankAccountOID))}, bankAccountOID...), explicit0(value)...)})
	if err != nil {
		return pkix.Extension{}, err
	}
	seq, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: other})
	return pkix.Extension{Id: oidSubjectAltName, Value: seq}, err
}

func explicit0(inner []byte) []byte {
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner})
	return b
}

var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}

// IdentityOf reads the identity of a trustbank end-entity certificate.
func IdentityOf(c *smx509.Certificate) (Identity, error) {
	id := Identity{Name: c.Subject.CommonName}
	serial := c.Subject.SerialNumber
	if len(serial) <= len(idCardPrefix) || serial[:len(idCardPrefix)] != idCardPrefix {
		return Identity{}, fmt.Errorf("%w: subject serialNumber %q is not an IDCCN- identifier", ErrIdentity, serial)
	}
	id.IDCard = serial[len(idCardPrefix):]
	acct, err := accountOf(c)
	if err != nil {
		return Identity{}, err
	}
	id.Account = acct
	return id, id.Validate()
}

func accountOf(c *smx509.Certificate) (string, error) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if rest, err := asn1.Unmarshal(e.Value, &names); err != nil || len(rest) > 0 {
			return "", fmt.Errorf("%w: malformed subjectAltName", ErrIdentity)
		}
		for _, n := range names {
			if acct, ok := otherNameAccount(n); ok {
				return acct, nil
			}
		}
	}
	return "", fmt.Errorf("%w: no bank account otherName", ErrIdentity)
}

func otherNameAccount(n asn1.RawValue) (string, bool) {
	if n.Class != asn1.ClassContextSpecific || n.Tag != 0 || !n.IsCompound {
		return "", false
	}
	var oid, val asn1.RawValue
	rest, err := asn1.Unmarshal(n.Bytes, &oid)
	if err != nil || oid.Tag != asn1.TagOID || string(oid.Bytes) != string(bankAccountOID) {
		return "", false
	}
	if rest, err = asn1.Unmarshal(rest, &val); err != nil || len(rest) > 0 || val.Tag != 0 {
		return "", false
	}
	var acct string
	if rest, err := asn1.UnmarshalWithParams(val.Bytes, &acct, "utf8"); err != nil || len(rest) > 0 {
		return "", false
	}
	return acct, true
}
