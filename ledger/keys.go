package ledger

import (
	"crypto/rand"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
)

// Keys are a bank's secrets: its signing key (SM2, or in an SM9 deployment
// its SM9 master, from which it takes its own key as identity Name), and
// its SM2 encryption key, to which balance batch keys are wrapped (β).
type Keys struct {
	Sign *SM2Signer // SM2 deployments
	SM9  *SM9Master // SM9 deployments
	Enc  *sm2.PrivateKey
}

// GenerateKeys makes fresh keys for scheme.
func GenerateKeys(scheme Scheme) (*Keys, error) {
	enc, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &Keys{Enc: enc}
	switch scheme {
	case SM2:
		k.Sign, err = GenerateSM2()
	case SM9:
		k.SM9, err = GenerateSM9Master()
	default:
		err = fmt.Errorf("ledger: unknown scheme %v", scheme)
	}
	return k, err
}

// Scheme is the deployment's signature scheme.
func (k *Keys) Scheme() Scheme {
	if k.SM9 != nil {
		return SM9
	}
	return SM2
}

// PublicKey is what clients pin: the bank's SM2 key, or its SM9 master
// public key.
func (k *Keys) PublicKey() []byte {
	if k.SM9 != nil {
		return k.SM9.PublicKey()
	}
	return k.Sign.PublicKey()
}

// BankVerifier checks a bank's signatures from its published scheme, name
// and public key.
func BankVerifier(scheme Scheme, name string, pub []byte) (Verifier, error) {
	if scheme == SM9 {
		return NewSM9Verifier(pub, name)
	}
	return NewSM2Verifier(pub, nil)
}

// AccountVerifier checks an account's signatures from its template (the
// template itself must be verified first) and, for SM9, the bank's master
// public key.
func AccountVerifier(t *Template, master []byte) (Verifier, error) {
	if t.Scheme == SM9 {
		return NewSM9Verifier(master, t.Account)
	}
	return NewSM2Verifier(t.PublicKey, nil)
}
