package middleware

import (
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/bank"
	"trustbank/shield/ca/cert"
	"trustbank/shield/card"
	"trustbank/shield/internal/apdu"
)

// The card's EFs the middleware uses.
const (
	EFCertificate        = card.EFCertificate // the customer's certificate (DER), written by ACTIVATE
	EFIssuing            = card.EFIssuing     // the issuing CA's certificate (DER), written by ACTIVATE
	EFIncoming           = card.EFIncoming    // leaf ‖ issuing CA staged for ACTIVATE
	EFDispersal   uint16 = 0xC008             // the card's half of the key dispersal
)

// chunk is the most bytes one READ or UPDATE BINARY moves (short APDUs
// under secure messaging).
const chunk = 192

var _ bank.Card = (*Middleware)(nil)

// What each operation needs of the security register (the card checks
// the same; the middleware refuses early with ErrPINRequired).
const (
	needChannel = card.SecInternal | card.SecExternal
	needPIN     = needChannel | card.SecPIN
)

// VerifyPIN presents the PIN (VERIFY); a wrong one is a *PINError.
func (m *Middleware) VerifyPIN(pin []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := card.PINBlock(string(pin))
	if err != nil {
		return err
	}
	_, err = m.transmit(&apdu.Command{INS: 0x20, P2: 0x81, Data: b}, needChannel)
	var sw apdu.StatusWord
	if errors.As(err, &sw) && errors.Is(err, card.ErrWrongPIN) {
		left, _ := sw.TriesLeft()
		m.state, _ = m.state.next(evWrongPIN)
		return &PINError{TriesLeft: left, Err: err}
	}
	if err != nil {
		return err
	}
	m.state, _ = m.state.next(evPIN)
	return nil
}

// GenerateKey has the card make a new SM2 key pair in its pending slot
// (needs the PIN). The card keeps signing and authenticating with its
// current key until StoreCertificate installs a certificate for the new one.
func (m *Middleware) GenerateKey() (*ecdsa.PublicKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.transmit(&apdu.Command{INS: 0x47, Ne: 65}, needPIN)
	if err != nil {
		return nil, err
	}
	pub, err := sm2.NewPublicKey(r.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", card.ErrBadResponse, err)
	}
	m.pending = pub
	return pub, nil
}

// PendingKey returns the card's pending public key (GENERATE's, not yet
// certified), asking the card if this middleware did not generate it.
func (m *Middleware) PendingKey() (*ecdsa.PublicKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pendingKey()
}

func (m *Middleware) pendingKey() (*ecdsa.PublicKey, error) {
	if m.pending != nil {
		return m.pending, nil
	}
	r, err := m.transmit(&apdu.Command{INS: 0xCA, P1: 1, P2: 4, Ne: 65}, needChannel)
	if errors.Is(err, apdu.SWRefDataNotFound) {
		return nil, ErrNoPendingKey
	}
	if err != nil {
		return nil, err
	}
	if m.pending, err = sm2.NewPublicKey(r.Data); err != nil {
		return nil, fmt.Errorf("%w: %v", card.ErrBadResponse, err)
	}
	return m.pending, nil
}

// Sign has the card sign msg with its active key (needs the PIN): the
// middleware computes e = SM3(Z_A ‖ msg) with the card's key and the
// default user ID and the card signs e (PSO SIGN digest), so every
// command is a short APDU.
func (m *Middleware) Sign(msg []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sign(m.pub, msg)
}

// SignPending has the card sign msg with its pending key (the PKCS#10 of
// enrollment): MANAGE SECURITY ENVIRONMENT selects the pending key for the
// one signature and the active key again after it.
func (m *Middleware) SignPending(msg []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pub, err := m.pendingKey()
	if err != nil {
		return nil, err
	}
	if _, err := m.transmit(mse(card.KeyPending), needChannel); err != nil {
		return nil, err
	}
	sig, err := m.sign(pub, msg)
	if _, err2 := m.transmit(mse(card.KeyActive), needChannel); err == nil {
		err = err2
	}
	return sig, err
}

func mse(key byte) *apdu.Command {
	return &apdu.Command{INS: 0x22, P1: 0x41, P2: 0xB6, Data: []byte{0x84, 1, key}}
}

func (m *Middleware) sign(pub *ecdsa.PublicKey, msg []byte) ([]byte, error) {
	e, err := sm2.CalculateSM2Hash(pub, msg, nil)
	if err != nil {
		return nil, err
	}
	r, err := m.transmit(&apdu.Command{INS: 0x2A, P1: 0x9E, P2: 0x90, Data: e, Ne: apdu.MaxShortNe}, needPIN)
	if err != nil {
		return nil, err
	}
	return r.Data, nil
}

// Decrypt has the card SM2-decrypt an ASN.1 ciphertext (needs the PIN).
func (m *Middleware) Decrypt(ciphertext []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	plain, err := sm2.ASN1Ciphertext2Plain(ciphertext, nil)
	if err != nil {
		return nil, err
	}
	r, err := m.transmit(&apdu.Command{INS: 0x2A, P1: 0x80, P2: 0x86, Data: plain, Ne: max(len(plain)-97, 1)}, needPIN)
	if err != nil {
		return nil, err
	}
	return r.Data, nil
}

// StoreCertificate installs the certificate for the card's pending key
// (needs the PIN). der is a certs-only PKCS#7 bundle or a bare leaf, which
// is completed with Config.Issuing; shield/ca/cert verifies the chain to
// the pinned root here first, then the leaf and the issuing CA's
// certificate are staged in EF EFIncoming and ACTIVATE has the card check
// the chain again against its own root key and switch to the new key. A
// refusal by the card is ErrCertificate wrapping its status word; the
// card's active key and certificate are then unchanged.
func (m *Middleware) StoreCertificate(der []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	pending, err := m.pendingKey()
	if err != nil {
		return err
	}
	leaf, issuing, err := m.checkChain(der, pending)
	if err != nil {
		return err
	}
	if err := m.writeEF(EFIncoming, append(append([]byte(nil), leaf...), issuing...)); err != nil {
		return err
	}
	_, err = m.transmit(&apdu.Command{INS: 0x44}, needPIN)
	var sw apdu.StatusWord
	if errors.As(err, &sw) && (sw == apdu.SWWrongData || sw == apdu.SWVerifyFailed || sw == apdu.SWRefDataNotFound) {
		return fmt.Errorf("%w: the card refused it: %w", ErrCertificate, err)
	}
	if err != nil {
		return err
	}
	m.pub, m.pending = pending, nil
	return nil
}

func (m *Middleware) checkChain(der []byte, pending *ecdsa.PublicKey) (leaf, issuing []byte, err error) {
	bundle := der
	if _, perr := cert.ParseBundle(der); perr != nil {
		c, err := parseLeaf(der, m.cfg.Issuing)
		if err != nil {
			return nil, nil, err
		}
		bundle = c
	}
	l, err := cert.Verify(m.cfg.Root, bundle, nil, m.cfg.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if pub, ok := l.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(pending) {
		return nil, nil, fmt.Errorf("%w: not for the card's pending key", ErrCertificate)
	}
	certs, _ := cert.ParseBundle(bundle)
	for _, c := range certs[1:] {
		if c.CheckSignature(l.SignatureAlgorithm, l.RawTBSCertificate, l.Signature) == nil {
			return l.Raw, c.Raw, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: no issuing CA certificate for the leaf", ErrCertificate)
}

// Certificate reads the stored certificate (no security state needed).
func (m *Middleware) Certificate() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.readEF(EFCertificate)
}

// selectEF selects an EF under secure messaging.
func (m *Middleware) selectEF(fid uint16) error {
	_, err := m.transmit(&apdu.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: binary.BigEndian.AppendUint16(nil, fid)}, needChannel)
	return err
}

// writeEF replaces the EF's content: ERASE BINARY then UPDATE BINARY in chunks.
func (m *Middleware) writeEF(fid uint16, b []byte) error {
	if err := m.selectEF(fid); err != nil {
		return err
	}
	if _, err := m.transmit(&apdu.Command{INS: 0x0E}, needPIN); err != nil {
		return err
	}
	for off := 0; off < len(b); off += chunk {
		d := b[off:min(off+chunk, len(b))]
		if _, err := m.transmit(&apdu.Command{INS: 0xD6, P1: byte(off >> 8), P2: byte(off), Data: d}, needPIN); err != nil {
			return err
		}
	}
	return nil
}

// readEF reads the whole EF under secure messaging.
func (m *Middleware) readEF(fid uint16) ([]byte, error) {
	if err := m.selectEF(fid); err != nil {
		return nil, err
	}
	var out []byte
	for {
		r, err := m.transmit(&apdu.Command{INS: 0xB0, P1: byte(len(out) >> 8), P2: byte(len(out)), Ne: chunk}, needChannel)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Data...)
		if len(r.Data) < chunk {
			return out, nil
		}
	}
}

// readEF reads a whole EF in plain (before the channel is open).
func readEF(t card.Transport, fid uint16) ([]byte, error) {
	if _, err := card.Send(t, &apdu.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: binary.BigEndian.AppendUint16(nil, fid)}); err != nil {
		return nil, err
	}
	var out []byte
	for {
		r, err := card.Send(t, &apdu.Command{INS: 0xB0, P1: byte(len(out) >> 8), P2: byte(len(out)), Ne: chunk})
		if err != nil {
			return nil, err
		}
		out = append(out, r.Data...)
		if len(r.Data) < chunk {
			return out, nil
		}
	}
}

// parseLeaf makes a bundle of a bare leaf and the known CA certificates.
func parseLeaf(der []byte, issuing []*smx509.Certificate) ([]byte, error) {
	leaf, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	return cert.Bundle(append([]*smx509.Certificate{leaf}, issuing...)...)
}
