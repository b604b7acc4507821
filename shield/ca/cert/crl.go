package cert

import (
	"bytes"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// MaxCRL bounds a CRL's size.
const MaxCRL = 1 << 20

// ParseCRL reads a DER CRL (v2, RFC 5280 §5) and checks that issuer signed
// it, names it as issuer, and that now lies between its thisUpdate and
// nextUpdate (a stale list could hide a revocation).
func ParseCRL(der []byte, issuer *smx509.Certificate, now time.Time) (*smx509.RevocationList, error) {
	if len(der) == 0 || len(der) > MaxCRL {
		return nil, fmt.Errorf("%w: %d bytes", ErrCRL, len(der))
	}
	crl, err := smx509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCRL, err)
	}
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return nil, fmt.Errorf("%w: issued by %s, not %s", ErrCRL, crl.Issuer, issuer.Subject)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrCRL, err)
	}
	if crl.NextUpdate.IsZero() || now.Before(crl.ThisUpdate) || now.After(crl.NextUpdate) {
		return nil, fmt.Errorf("%w: valid from %s to %s, now is %s", ErrCRL,
			crl.ThisUpdate.Format(time.RFC3339), crl.NextUpdate.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return crl, nil
}

// Revoked returns the entry of serial in crl, if any.
func Revoked(crl *smx509.RevocationList, serial *big.Int) (smx509.RevocationListEntry, bool) {
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(serial) == 0 {
			return e, true
		}
	}
	return smx509.RevocationListEntry{}, false
}
