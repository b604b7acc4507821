package ca

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/pem"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// MasterKey seals the authority's private keys at rest.
type MasterKey [32]byte

// sealedPEM is the PEM type of a sealed key: nonce ‖ AES-256-GCM(PKCS#8).
const sealedPEM = "TRUSTBANK SEALED SM2 KEY"

// sealAAD binds a sealed key to its role ("root", "issuing"), so the root
// key cannot be swapped in where the issuing key is expected.
func sealAAD(role string) []byte { return []byte("trustbank/shield/ca/v1/key\x00" + role) }

func (m *MasterKey) aead() cipher.AEAD {
	block, _ := aes.NewCipher(m[:])
	aead, _ := cipher.NewGCM(block)
	return aead
}

// SealKey encrypts key (as PKCS#8) under m for role, as PEM.
func (m *MasterKey) SealKey(role string, key *sm2.PrivateKey) ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	a := m.aead()
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: sealedPEM, Bytes: a.Seal(nonce, nonce, der, sealAAD(role))}), nil
}

// OpenKey decrypts a key SealKey sealed for role. Every failure (wrong
// master key, wrong role, tampering) is the same ErrSealed.
func (m *MasterKey) OpenKey(role string, sealed []byte) (*sm2.PrivateKey, error) {
	b, _ := pem.Decode(sealed)
	a := m.aead()
	if b == nil || b.Type != sealedPEM || len(b.Bytes) < a.NonceSize() {
		return nil, fmt.Errorf("%w (%s)", ErrSealed, role)
	}
	n := a.NonceSize()
	der, err := a.Open(nil, b.Bytes[:n], b.Bytes[n:], sealAAD(role))
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrSealed, role)
	}
	defer clear(der)
	key, err := smx509.ParsePKCS8PrivateKey(der)
	sk, ok := key.(*sm2.PrivateKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w (%s)", ErrSealed, role)
	}
	return sk, nil
}

// Zeroize clears the master key.
func (m *MasterKey) Zeroize() { clear(m[:]) }
