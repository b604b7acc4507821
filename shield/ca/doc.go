// Package ca is the SM2 certificate authority of the secure-element mobile
// banking system (docs/design.md §3, seed paper 002: a "film shield" secure element
// on the phone whose SM2 key is certified by the bank's CA).
//
// # What the paper asks
//
// The card generates an SM2 key pair and a PKCS#10 request (P10); the
// bank's internet server checks the customer's authorization code and
// forwards the P10 to the CA; the CA checks the request with the public
// key in it, issues an X.509 certificate carrying the customer's details
// (name, account number, ID-card number) and returns it as PKCS#7 (P7);
// the card checks the certificate's origin with the CA's public key before
// storing it. Login challenges are signed with the CA's second-level
// ("issuing") certificate.
//
//	card                    bank server                 CA (this package)
//	 | GENERATE SM2 KEY, P10    |                            |
//	 |------ P10, auth code --->| check auth code            |
//	 |                          |-- IssueRequest{P10, ID} -->| ParseRequest: SM2 sig under UID
//	 |                          |                            | sign leaf, Record in the log
//	 |                          |<------- Issued.Bundle -----| P7 certs-only: leaf, issuing CA
//	 |<-------- P7 -------------|                            |
//	 | cert.Verify(root, P7, CRL)                            |
//	 | store the leaf                                        |
//
// # What we build
//
// A two-level hierarchy (Hierarchy): a self-signed root that only
// certifies the issuing CA, and the issuing CA (Authority) that signs
// end-entity certificates and CRLs. Requests are intake-checked by
// ParseRequest; Issue records every certificate in a durable issuance
// log (Store, SQLite or PostgreSQL) whose primary key is the serial
// number; Revoke records revocations; CRL signs the current list. The
// card-side check lives in package cert (smx509 and pkcs7 only, no store)
// so the virtual card can import it cheaply.
//
// # Certificate profile
//
// Every signature is SM2-with-SM3 (1.2.156.10197.1.501) under the default
// user ID 1234567812345678 (GM/T 0009, GM/T 0015); keys are SM2
// (id-ecPublicKey with curve 1.2.156.10197.1.301).
//
//	root      subject C=CN, O=<org>, CN=<org> SM2 Root CA; 20 years
//	          basicConstraints critical CA:TRUE pathLen:1
//	          keyUsage critical keyCertSign, cRLSign; subjectKeyIdentifier
//	issuing   subject C=CN, O=<org>, CN=<org> SM2 Issuing CA; 10 years
//	          basicConstraints critical CA:TRUE pathLen:0
//	          keyUsage critical keyCertSign, cRLSign, digitalSignature
//	          (the paper's server signs login challenges with it)
//	          subject/authority key identifiers
//	leaf      serial: 16 octets, 126 random bits, unique by the store's key
//	          subject C=CN, O=<org>, CN=<name>, serialNumber=IDCCN-<ID number>
//	          validity: now−5 min to now+2 years (never past the issuing CA)
//	          basicConstraints critical CA:FALSE
//	          keyUsage critical digitalSignature, nonRepudiation
//	            (+ keyEncipherment, dataEncipherment with Encipherment)
//	          extKeyUsage clientAuth (certificate login)
//	          subjectAltName otherName type-id 2.25.301414800504225986305485106021096402175.1,
//	            value [0] UTF8String <bank account number>
//	          cRLDistributionPoints URI <Config.CRLURL>; authorityKeyIdentifier
//	signing   (IssueSigning, for the e-invoice system's invoice-signing key,
//	          package einvoice/invoice) as leaf, but subject C=CN,
//	          O=CN=<organization>, organizationIdentifier=VATCN-<unified
//	          social credit code, GB 32100-2015 check character checked>;
//	          keyUsage critical digitalSignature, nonRepudiation;
//	          extKeyUsage id-kp-documentSigning (RFC 9336); no SAN
//	CRL       v2, signed by the issuing CA, cRLNumber increasing (stored),
//	          thisUpdate now−5 min, nextUpdate now+7 days, reasonCode per entry
//	P7        ContentInfo signedData, degenerate (RFC 5652 §5: no content,
//	          no signers), certificates: leaf then issuing CA, DER
//
// Where the identity goes, and why: the name is the subject's commonName,
// what every tool shows. The ID-card number is the subject's serialNumber
// attribute in the ETSI EN 319 412-1 semantics-identifier form
// "IDCCN-<number>" (national identity card, China) — X.520 meant that
// attribute for an identifier of the subject and the ETSI form says which
// register it is from; it is checked (GB 11643 check character). The bank
// account number is not a name of a person, so it is a subjectAltName
// otherName (RFC 5280 §4.2.1.6 — the standard place for "other
// identities bound to the subject") with a type-id under our own OID arc
// 2.25.301414800504225986305485106021096402175 (X.667: a UUID-derived arc
// needs no registration; .1 = bank account). The request's own subject is
// ignored: the identity comes from the bank, which authenticated the
// customer; a card cannot choose whose certificate it gets.
//
// # Keys at rest
//
// MasterKey.SealKey writes a CA private key as PEM "TRUSTBANK SEALED SM2
// KEY": a 12-byte nonce and AES-256-GCM of its PKCS#8 encoding, with the
// additional data "trustbank/shield/ca/v1/key\x00<role>" binding it to its
// role (root or issuing). OpenKey refuses a wrong master key, a wrong role
// and any change with the same ErrSealed. The master key (32 bytes) is
// kept apart from the CA directory; in production it would sit in an HSM.
//
// # Errors
//
// ParseRequest/Issue: ErrRequest (not a well-formed SM2 P10), ErrRequestSig
// (the signature does not verify under the agreed user ID — a forged
// request and a request signed under another ID look the same),
// cert.ErrIdentity. Store: ErrSerialTaken, ErrUnknownSerial,
// ErrAlreadyRevoked. Revoke: ErrReason. cert.Verify: cert.ErrBundle,
// ErrUntrusted, ErrNotCA, ErrChain (root-signed leaf, path length),
// ErrValidity, ErrKeyUsage, ErrCRL (forged, foreign, stale), ErrRevoked.
//
// # OpenSSL 3.0 interop (what works, checked by TestOpenSSLInterop)
//
// OpenSSL 3.0 needs the SM2 user ID given explicitly and, in verify, only
// honours it for the target certificate (openssl/openssl#23471: the other
// certificates of a chain, CRLs and -check_ss_sig are verified with no
// ID). So:
//
//	openssl verify -vfyopt distid:1234567812345678 -CAfile root.pem issuing.pem
//	openssl verify -vfyopt distid:1234567812345678 -partial_chain -CAfile issuing.pem leaf.pem
//	openssl pkcs7 -print_certs -inform DER -in bundle.p7b
//	openssl crl -inform DER -in crl.der -noout -text
//	openssl pkeyutl -verify -certin -inkey issuing.pem -rawin -digest sm3 \
//	    -pkeyopt distid:1234567812345678 -in tbs -sigfile sig     (the CRL's TBSCertList)
//	openssl req -new -key sm2.pem -sm3 -sigopt distid:1234567812345678 -subj /CN=card -out req.pem
//	openssl req -verify -vfyopt distid:1234567812345678 -in req.pem
//	openssl pkeyutl -verify -certin -inkey leaf.pem -rawin -digest sm3 \
//	    -pkeyopt distid:1234567812345678 -in msg -sigfile sig
//
// What fails in 3.0.19 and why: "verify -CAfile root.pem -untrusted
// issuing.pem leaf.pem" (error 7 at depth 1, even with -vfyopt), "crl
// -CAfile issuing.pem" (prints "verify failure" yet exits 0), "verify
// -crl_check" (CRL signature failure), "req -verify" without -vfyopt.
//
// # Departures
//
//   - One issuing CA, online; the root signs only at init. The paper's CA
//     also runs a signature server for the bank; that is shield/bank's.
//   - Signing certificates only: no separate encryption certificate with
//     an escrowed key (the GM dual-certificate model). Encipherment adds
//     encryption key usages to the one key instead, for the card's SM2
//     DECRYPT.
//   - Revocation by CRL only (no OCSP); the card checks the CRL it is given.
//   - The P10's subject and attributes are not used.
package ca
