package registry

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"io"
)

// sealer encrypts member secrets x at rest with AES-256-GCM under a key
// derived from the issuer secret γ (HKDF-SHA256), bound to the group and
// member id, so a copy of the registry database alone does not give away
// member keys, and a sealed secret cannot be moved to another member's row.
type sealer struct{ aead cipher.AEAD }

var errUnseal = errors.New("registry: member secret does not decrypt under this issuer key")

func newSealer(gamma []byte) (*sealer, error) {
	key, err := hkdf.Key(sha256.New, gamma, nil, "trustbank groupsig registry member secret v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func aad(group, id string) []byte { return append(append([]byte(group), 0), id...) }

func (s *sealer) seal(rand io.Reader, group, id string, x []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(x)+s.aead.Overhead())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, x, aad(group, id)), nil
}

func (s *sealer) open(group, id string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errUnseal
	}
	x, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad(group, id))
	if err != nil {
		return nil, errUnseal
	}
	return x, nil
}
