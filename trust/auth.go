package trust

import (
	"crypto/rand"
	"fmt"
	"math"
	"regexp"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/wire"
	"trustbank/trust/score"
)

// Message kinds: the first byte of every encoding.
const (
	kindAuthMessage    = 0x41 // 'A': the bytes a client group-signs
	kindAuthentication = 0x61 // 'a': AuthMessage and its signature
	kindReport         = 0x46 // 'F': the bytes a service signs
	kindSignedReport   = 0x66 // 'f': Report and the service's signature
)

// NonceSize is the size of a service challenge, which is also the
// transaction id of the session it opens.
const NonceSize = 32

// MaxID bounds user and service ids.
const MaxID = 64

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// checkID refuses ids outside [A-Za-z0-9._-]{1,64}: they appear in
// registry member ids (user/generation) and in URLs.
func checkID(what, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %s id %q: want 1 to %d of A-Z a-z 0-9 . _ -", ErrMalformed, what, id, MaxID)
	}
	return nil
}

// Challenge is a service's fresh nonce for one authentication. Its nonce
// is also the transaction id under which the service later rates the
// session.
type Challenge struct {
	Service string
	Nonce   [NonceSize]byte
}

// newChallenge draws a fresh nonce for service.
func newChallenge(service string) (Challenge, error) {
	c := Challenge{Service: service}
	_, err := rand.Read(c.Nonce[:])
	return c, err
}

// AuthMessage is what the user's client group-signs: the service, its
// challenge, the client's time and the tier the client claims — the one
// thing about the user the service learns.
type AuthMessage struct {
	Service string
	Nonce   [NonceSize]byte
	Time    time.Time // milliseconds since the Unix epoch on the wire
	Tier    score.Tier
}

// Bytes returns the canonical encoding of m: the message the group
// signature covers.
func (m *AuthMessage) Bytes() []byte {
	var w wire.Writer
	w.U8(kindAuthMessage)
	m.append(&w)
	return w.B
}

func (m *AuthMessage) append(w *wire.Writer) {
	w.String16(m.Service)
	w.Fixed(m.Nonce[:])
	w.U64(uint64(m.Time.UnixMilli()))
	w.String16(m.Tier.String())
}

// check refuses a message no honest party makes.
func (m *AuthMessage) check() error {
	if err := checkID("service", m.Service); err != nil {
		return err
	}
	if !m.Tier.Valid() {
		return fmt.Errorf("%w: tier %d", ErrMalformed, m.Tier)
	}
	if m.Time.UnixMilli() < 0 {
		return fmt.Errorf("%w: time before 1970", ErrMalformed)
	}
	return nil
}

// Authentication is a client's answer to a challenge: the message and a
// group signature on it under the claimed tier's group key. Nothing in it
// names the user; the signature's epoch names the tier group's key epoch.
type Authentication struct {
	AuthMessage
	Signature groupsig.Signature
}

// MarshalBinary encodes a as kind ‖ message fields ‖ signature.
func (a *Authentication) MarshalBinary() ([]byte, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	var w wire.Writer
	w.U8(kindAuthentication)
	a.AuthMessage.append(&w)
	return a.Signature.AppendBinary(w.B)
}

// UnmarshalBinary decodes an authentication, refusing anything that is
// not the canonical encoding of a well-formed one.
func (a *Authentication) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	var out Authentication
	if k := r.U8("kind"); r.Err() == nil && k != kindAuthentication {
		r.Fail("kind 0x%02x, want authentication", k)
	}
	out.Service = r.String16(MaxID, "service")
	copy(out.Nonce[:], r.Fixed(NonceSize, "nonce"))
	ms := r.U64("time")
	tier := r.String16(16, "tier")
	sig := r.Fixed(groupsig.SignatureSize, "signature")
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: authentication: %w", ErrMalformed, err)
	}
	if err := out.fill(ms, tier, sig); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	*a = out
	return nil
}

// fill sets the decoded time, tier and signature of a.
func (a *Authentication) fill(ms uint64, tier string, sig []byte) error {
	if ms > math.MaxInt64 {
		return fmt.Errorf("%w: time %d out of range", ErrMalformed, ms)
	}
	a.Time = time.UnixMilli(int64(ms))
	t, err := score.ParseTier(tier)
	if err != nil {
		return fmt.Errorf("%w: tier %q", ErrMalformed, tier)
	}
	a.Tier = t
	if err := a.Signature.UnmarshalBinary(sig); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}
