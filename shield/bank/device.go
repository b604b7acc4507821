package bank

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Card is what the device role needs of the secure element ("film
// shield"); shield/middleware implements it over the card's APDUs.
type Card interface {
	// GenerateKey makes a new SM2 key pair inside the card and returns
	// its public key (the private key never leaves the card). A
	// PendingCard keeps it pending: its current key goes on signing until
	// StoreCertificate installs a certificate for the new one.
	GenerateKey() (*ecdsa.PublicKey, error)
	// VerifyPIN checks the PIN; the card signs orders only after it.
	VerifyPIN(pin []byte) error
	// Sign returns the card key's SM2 signature (default user ID, SM3
	// over Z || msg) of msg.
	Sign(msg []byte) ([]byte, error)
	// Decrypt SM2-decrypts an ASN.1 ciphertext with the card key.
	Decrypt(ciphertext []byte) ([]byte, error)
	// StoreCertificate writes the certificate (DER) into the card.
	StoreCertificate(der []byte) error
}

// PendingCard is a Card with a pending key slot (shield/middleware over
// shield/card): GenerateKey fills the slot, SignPending signs with the
// pending key (the PKCS#10), and only StoreCertificate with a certificate
// for it, chained to the card's root, makes it the key Sign uses. A failed
// or abandoned enrollment so leaves an enrolled card's key and
// certificate working.
type PendingCard interface {
	Card
	SignPending(msg []byte) ([]byte, error)
}

// Device is the phone's side: the banking app and the middleware in
// front of the card. It pins the CA root and the server's certificate.
type Device struct {
	Card   Card
	Trust  Trust               // the pinned CA root (Revocation may be nil)
	Server *smx509.Certificate // the bank server's certificate, pinned
	Now    func() time.Time
}

// cardSigner is the card's new key as a crypto.Signer, for making the PKCS#10.
type cardSigner struct {
	sign func([]byte) ([]byte, error)
	pub  *ecdsa.PublicKey
}

func (c cardSigner) Public() crypto.PublicKey { return c.pub }

func (c cardSigner) Sign(_ io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, ok := opts.(*sm2.SM2SignerOption); !ok {
		return nil, errors.New("bank: the card signs SM2 messages only")
	}
	return c.sign(msg)
}

// EnrollRequest has the card generate a key pair and returns the
// enrollment request: the PKCS#10 for subject, the code, the session.
// With a PendingCard the new key is pending and signs the PKCS#10 alone;
// the card's enrolled key is untouched whatever the bank answers.
func (d *Device) EnrollRequest(ses *Session, code string, subject pkix.Name) (*EnrollRequest, error) {
	pub, err := d.Card.GenerateKey()
	if err != nil {
		return nil, err
	}
	sign := d.Card.Sign
	if pc, ok := d.Card.(PendingCard); ok {
		sign = pc.SignPending
	}
	csr, err := smx509.CreateCertificateRequest(nil, &smx509.CertificateRequest{Subject: subject}, cardSigner{sign, pub})
	if err != nil {
		return nil, err
	}
	return &EnrollRequest{Session: ses.Token, Code: code, CSR: csr}, nil
}

// FinishEnrollment checks the P7 (the certificate is for pub, the card's
// new key, and chains to the pinned root), stores the certificate in the card and
// returns the confirmation. A refused bundle is reported as EnrollFailed
// together with the error.
func (d *Device) FinishEnrollment(ctx context.Context, pub *ecdsa.PublicKey, m *EnrollResponse) (*EnrollConfirm, error) {
	cert, err := d.checkBundle(ctx, pub, m.P7)
	if err == nil {
		err = d.Card.StoreCertificate(cert)
	}
	if err != nil {
		return &EnrollConfirm{ID: m.ID, Status: EnrollFailed}, err
	}
	sig, err := d.Card.Sign(append([]byte(ctxEnrolled), enrolledMessage(m.ID, cert)...))
	if err != nil {
		return nil, err
	}
	return &EnrollConfirm{ID: m.ID, Status: EnrollStored, Sig: sig}, nil
}

func (d *Device) checkBundle(ctx context.Context, pub *ecdsa.PublicKey, p7 []byte) ([]byte, error) {
	certs, err := parseP7(p7)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if k := ecdsaKey(c); k != nil && k.Equal(pub) {
			_, _, err := d.Trust.Verify(ctx, c.Raw, d.Now())
			return c.Raw, err
		}
	}
	return nil, fmt.Errorf("%w: P7 holds no certificate for the card's key", ErrCertificate)
}

// AnswerLogin checks the server's signature on the challenge (the card
// would do this with the server certificate it holds) and has the card
// sign it (steps 3–5).
func (d *Device) AnswerLogin(c *LoginChallenge) (*LoginResponse, error) {
	body, err := c.body()
	if err != nil {
		return nil, err
	}
	if err := verifySM2(ecdsaKey(d.Server), ctxChallenge, body, c.ServerSig); err != nil {
		return nil, fmt.Errorf("server signature: %w", err)
	}
	enc, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	sig, err := d.Card.Sign(append([]byte(ctxLogin), enc...))
	if err != nil {
		return nil, err
	}
	return &LoginResponse{ID: c.ID, Sig: sig}, nil
}

// OpenOrder decrypts the sealed order with the card, checks the server's
// signature and that it is exactly the payment the customer submitted.
// The app then shows it and asks for the PIN.
func (d *Device) OpenOrder(p *PreSubmit, m *PreSubmitResponse) (*Order, error) {
	plain, err := d.Card.Decrypt(m.Sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed order", ErrMalformed)
	}
	var o Order
	if err := o.UnmarshalBinary(plain); err != nil {
		return nil, err
	}
	body, _ := o.body()
	if err := verifySM2(ecdsaKey(d.Server), ctxOrder, body, o.ServerSig); err != nil {
		return nil, fmt.Errorf("server signature on the order: %w", err)
	}
	if o.ID != m.ID || o.Payment != p.Payment {
		return nil, fmt.Errorf("%w: the server's order differs from the pre-submit", ErrOrderMismatch)
	}
	return &o, nil
}

// SignOrder verifies the PIN on the card and has it sign the order.
func (d *Device) SignOrder(o *Order, pin []byte) (*Confirm, error) {
	if err := d.Card.VerifyPIN(pin); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPIN, err)
	}
	enc, err := o.MarshalBinary()
	if err != nil {
		return nil, err
	}
	sig, err := d.Card.Sign(append([]byte(ctxConfirm), enc...))
	if err != nil {
		return nil, err
	}
	return &Confirm{Order: enc, Sig: sig}, nil
}
