package cert

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/emmansun/gmsm/smx509"
)

// Organization is what a document-signing certificate says about its
// holder, a legal person (the tax authority's invoice-signing service):
//
//	Name   subject organizationName (2.5.4.10) and commonName (2.5.4.3)
//	TaxID  subject organizationIdentifier (2.5.4.97) as "VATCN-<code>",
//	       the ETSI EN 319 412-1 legal-person semantics identifier (VAT =
//	       tax registration number, CN = China); the code is the
//	       18-character unified social credit code of GB 32100-2015, which
//	       is also the taxpayer identification number
type Organization struct {
	Name  string
	TaxID string
}

// OIDOrganizationIdentifier is the X.520 organizationIdentifier attribute.
var OIDOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

// OIDDocumentSigning is id-kp-documentSigning (RFC 9336), the extended key
// usage of an invoice-signing certificate.
var OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

const taxIDPrefix = "VATCN-"

// Validate checks a name of 1 to 64 characters and a unified social
// credit code with a valid check character.
func (o Organization) Validate() error {
	if o.Name == "" || !utf8.ValidString(o.Name) || utf8.RuneCountInString(o.Name) > 64 {
		return fmt.Errorf("%w: organization name must be 1 to 64 characters", ErrIdentity)
	}
	if !ValidCreditCode(o.TaxID) {
		return fmt.Errorf("%w: %q is not a unified social credit code with a valid check character", ErrIdentity, o.TaxID)
	}
	return nil
}

// Subject is the certificate subject naming o.
func (o Organization) Subject() pkix.Name {
	return pkix.Name{Country: []string{"CN"}, Organization: []string{o.Name}, CommonName: o.Name,
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: OIDOrganizationIdentifier, Value: taxIDPrefix + o.TaxID}}}
}

// OrganizationOf reads the organization of a document-signing certificate.
func OrganizationOf(c *smx509.Certificate) (Organization, error) {
	o := Organization{Name: c.Subject.CommonName}
	for _, n := range c.Subject.Names {
		if !n.Type.Equal(OIDOrganizationIdentifier) {
			continue
		}
		if v, ok := n.Value.(string); ok && strings.HasPrefix(v, taxIDPrefix) {
			o.TaxID = v[len(taxIDPrefix):]
		}
	}
	if !slices.Equal(c.Subject.Organization, []string{o.Name}) {
		return Organization{}, fmt.Errorf("%w: organizationName and commonName differ", ErrIdentity)
	}
	return o, o.Validate()
}

// creditCodeAlphabet holds the 31 characters of a unified social credit
// code in the order of their values 0–30 (GB 32100-2015: digits and the
// capital letters without I, O, S, V, Z).
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// ValidCreditCode checks a GB 32100-2015 unified social credit code: 18
// characters from the code's alphabet, the last a check character C18 =
// 31 − (Σ Ci·Wi mod 31) (31 written as 0) with the weights Wi = 3^(i−1)
// mod 31 of the standard.
func ValidCreditCode(s string) bool {
	if len(s) != 18 {
		return false
	}
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		v := strings.IndexByte(creditCodeAlphabet, s[i])
		if v < 0 {
			return false
		}
		sum += v * w
	}
	return s[17] == creditCodeAlphabet[(31-sum%31)%31]
}
