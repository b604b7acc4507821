// Package cert is the part of the SM2 certificate authority a card needs:
// the certificate profile (Identity, where each field lives, the OIDs),
// the strict parse of PKCS#7 certs-only bundles (Bundle, ParseBundle), CRL
// checks (ParseCRL) and the chain check done before a certificate is
// stored (Verify). It depends on gmsm's smx509 and pkcs7 only.
//
// The profile and the departures are documented in package
// trustbank/shield/ca; errors here are values prefixed "cert:".
package cert
