package card

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"trustbank/internal/atomicfile"
)

// Limits of the card.
const (
	PINTries   = 6         // consecutive wrong PINs before the PIN locks
	PUKTries   = 10        // wrong PUKs before the card is dead
	StoreLimit = 50 * 1024 // bytes of certificate files, over all EFs
	PINLen     = 8         // PIN and PUK blocks: 4–8 ASCII digits padded with 0xFF
)

// State is everything the card keeps across power loss: its non-volatile
// memory. It holds secrets (the SM2 private key, the channel key, PIN and
// PUK hashes) and is never sent out by any command.
type State struct {
	Serial   []byte            `json:"serial"`
	PINSalt  []byte            `json:"pin_salt"`
	PINHash  []byte            `json:"pin_hash"`
	PINTries int               `json:"pin_tries"`
	PUKHash  []byte            `json:"puk_hash"`
	PUKTries int               `json:"puk_tries"`
	Key      []byte            `json:"key"`               // active SM2 private scalar, 32 bytes
	Pending  []byte            `json:"pending,omitempty"` // GENERATE's new scalar, until ACTIVATE makes it the Key
	Root     []byte            `json:"root,omitempty"`    // the trusted CA root's SM2 public key (04||x||y)
	HostKey  []byte            `json:"host_key"`          // the host's SM2 public key (04||x||y) for EXTERNAL AUTHENTICATE
	SMKey    []byte            `json:"sm_key"`            // static SM4 channel key, 16 bytes
	Files    map[uint16][]byte `json:"files"`             // certificate EFs by FID
}

// Store keeps a card's State. Load returns ErrNoState when there is none;
// Save must be durable and atomic when it returns nil (all or nothing).
type Store interface {
	Load() (*State, error)
	Save(*State) error
}

// FileStore is a Store in one file written with internal/atomicfile.
type FileStore struct{ Path string }

var _ Store = FileStore{}

// Load reads the state file.
func (f FileStore) Load() (*State, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoState, f.Path)
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	return &st, st.check()
}

// Save replaces the state file atomically and durably.
func (f FileStore) Save(st *State) error { return atomicfile.WriteJSON(f.Path, st) }

// MemStore is a Store in memory (tests, benchmarks). Save may be made to
// fail by setting Fail.
type MemStore struct {
	mu   sync.Mutex
	b    []byte
	Fail error
}

var _ Store = (*MemStore)(nil)

// Load returns a copy of the saved state.
func (m *MemStore) Load() (*State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == nil {
		return nil, ErrNoState
	}
	var st State
	if err := json.Unmarshal(m.b, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Save keeps a copy of st.
func (m *MemStore) Save(st *State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	b, err := json.Marshal(st)
	m.b = b
	return err
}

func (st *State) check() error {
	switch {
	case len(st.Serial) != 8, len(st.PINSalt) != 16, len(st.SMKey) != 16,
		st.PINTries < 0 || st.PINTries > PINTries, st.PUKTries < 0 || st.PUKTries > PUKTries:
		return ErrBadState
	}
	for _, k := range []struct {
		name string
		b    []byte
	}{{"key", st.Key}, {"pending key", st.Pending}} {
		if _, err := sm2.NewPrivateKey(k.b); len(k.b) != 0 && err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBadState, k.name, err)
		}
	}
	if _, err := sm2.NewPublicKey(st.Root); len(st.Root) != 0 && err != nil {
		return fmt.Errorf("%w: root key: %v", ErrBadState, err)
	}
	if _, err := sm2.NewPublicKey(st.HostKey); err != nil {
		return fmt.Errorf("%w: host key: %v", ErrBadState, err)
	}
	return nil
}

// Personalisation is what the issuer puts into a blank card.
type Personalisation struct {
	PIN, PUK []byte // 4–8 ASCII digits
	HostKey  []byte // the host's SM2 public key, uncompressed
	SMKey    []byte // 16-byte SM4 channel key shared with the host
	Root     []byte // optional: the trusted CA root's SM2 public key, uncompressed (else PUT DATA sets it once)
}

// Personalise writes a fresh card into s: PIN, PUK, host key, channel key,
// and an SM2 key pair generated on the card side. It returns the card's
// public key; the private key stays in the state.
func Personalise(s Store, p Personalisation) ([]byte, error) {
	pin, err1 := pinBlock(p.PIN)
	puk, err2 := pinBlock(p.PUK)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	st := &State{Serial: randBytes(8), PINSalt: randBytes(16), PINTries: PINTries, PUKTries: PUKTries,
		HostKey: p.HostKey, SMKey: p.SMKey, Root: p.Root, Files: map[uint16][]byte{}}
	st.PINHash, st.PUKHash = st.hashPIN(pin), st.hashPIN(puk)
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	st.Key = k.D.FillBytes(make([]byte, 32))
	if err := st.check(); err != nil {
		return nil, err
	}
	if err := s.Save(st); err != nil {
		return nil, err
	}
	return publicBytes(k), nil
}

// pinBlock checks a PIN of 4–8 ASCII digits and pads it to PINLen with 0xFF.
func pinBlock(pin []byte) ([]byte, error) {
	if len(pin) < 4 || len(pin) > PINLen {
		return nil, ErrPINFormat
	}
	b := make([]byte, PINLen)
	for i := range b {
		b[i] = 0xFF
	}
	for i, d := range pin {
		if d < '0' || d > '9' {
			return nil, ErrPINFormat
		}
		b[i] = d
	}
	return b, nil
}

// PINBlock is the 8-byte block VERIFY, CHANGE REFERENCE DATA and RESET
// RETRY COUNTER carry for a PIN or PUK.
func PINBlock(pin string) ([]byte, error) { return pinBlock([]byte(pin)) }

func (st *State) hashPIN(block []byte) []byte {
	h := sm3.Sum(append(append([]byte("trustbank-card-pin"), st.PINSalt...), block...))
	return h[:]
}

func (st *State) pinMatches(block, hash []byte) bool {
	return subtle.ConstantTimeCompare(st.hashPIN(block), hash) == 1
}

func (st *State) used() int {
	n := 0
	for _, f := range st.Files {
		n += len(f)
	}
	return n
}

func (st *State) clone() *State {
	c := *st
	c.Files = make(map[uint16][]byte, len(st.Files))
	for k, v := range st.Files {
		c.Files[k] = append([]byte(nil), v...)
	}
	return &c
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func publicBytes(k *sm2.PrivateKey) []byte {
	return append([]byte{4}, append(k.X.FillBytes(make([]byte, 32)), k.Y.FillBytes(make([]byte, 32))...)...)
}
