// Package banktest holds what the tests of the shield bank share: a soft
// card that plays the secure element with a real SM2 key held in memory
// (for tests of the protocol; shield/card's virtual card and PC/SC reader
// are tested through middlewaretest), a settable clock, and a resident ID
// number with a valid check character.
//
// It imports nothing of package bank, so bank's own (internal) tests and
// the tests of bankhttp and cmd/trustbank can all use it.
package banktest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

// IDCard is a resident ID number whose GB 11643 check character is right
// (the standard's own example).
const IDCard = "11010519491231002X"

// PIN is the soft card's PIN unless a test sets another.
const PIN = "123456"

// ErrPIN is what SoftCard.VerifyPIN answers a wrong PIN.
var ErrPIN = errors.New("banktest: wrong PIN")

// SoftCard implements bank.Card with an SM2 key generated on
// GenerateKey; it keeps the certificate it is given.
type SoftCard struct {
	PIN  string
	Key  *sm2.PrivateKey
	Cert []byte
}

// NewSoftCard returns a card with PIN.
func NewSoftCard() *SoftCard { return &SoftCard{PIN: PIN} }

func (c *SoftCard) GenerateKey() (*ecdsa.PublicKey, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	c.Key = k
	return &k.PublicKey, nil
}

func (c *SoftCard) VerifyPIN(pin []byte) error {
	if string(pin) != c.PIN {
		return ErrPIN
	}
	return nil
}

func (c *SoftCard) Sign(msg []byte) ([]byte, error) {
	return c.Key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
}

func (c *SoftCard) Decrypt(ct []byte) ([]byte, error) { return sm2.Decrypt(c.Key, ct) }

func (c *SoftCard) StoreCertificate(der []byte) error { c.Cert = der; return nil }

// Public is the card's public key (after GenerateKey).
func (c *SoftCard) Public() *ecdsa.PublicKey { return &c.Key.PublicKey }

// Clock is a settable time source, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at the present second.
func NewClock() *Clock { return &Clock{t: time.Now().Truncate(time.Second)} }

func (c *Clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *Clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
