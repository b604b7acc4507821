package card

import (
	"encoding/binary"
	"fmt"
)

// Status is the card's public status record (GET DATA 0102): nothing in
// it is secret.
type Status struct {
	Serial   [8]byte
	PINTries int
	PUKTries int
	Security Security
	HasKey   bool
	Pending  bool // a GENERATEd key waits for its certificate (ACTIVATE)
	HasRoot  bool // the trusted CA root key is set
	Used     int  // bytes of certificate store in use, of StoreLimit
}

// StatusLen is the length of an encoded Status.
const StatusLen = 14

func (c *Card) statusRecord() *Status {
	s := &Status{PINTries: c.st.PINTries, PUKTries: c.st.PUKTries, Security: c.vol.sec, HasKey: c.key != nil,
		Pending: c.next != nil, HasRoot: len(c.st.Root) != 0, Used: c.st.used()}
	copy(s.Serial[:], c.st.Serial)
	return s
}

// Bits of the status record's key byte.
const (
	keyBitActive  = 1 << iota // HasKey
	keyBitPending             // Pending
	keyBitRoot                // HasRoot
)

// MarshalBinary encodes s: serial(8) pin-tries(1) puk-tries(1) register(1)
// keys(1: bit 0 active key, bit 1 pending key, bit 2 root key) used(2, big-endian).
func (s *Status) MarshalBinary() []byte {
	b := append(s.Serial[:0:0], s.Serial[:]...)
	var keys byte
	for _, k := range []struct {
		set bool
		bit byte
	}{{s.HasKey, keyBitActive}, {s.Pending, keyBitPending}, {s.HasRoot, keyBitRoot}} {
		if k.set {
			keys |= k.bit
		}
	}
	b = append(b, byte(s.PINTries), byte(s.PUKTries), byte(s.Security), keys)
	return binary.BigEndian.AppendUint16(b, uint16(s.Used))
}

// ParseStatus decodes a status record, refusing anything MarshalBinary
// would not produce.
func ParseStatus(b []byte) (*Status, error) {
	if len(b) != StatusLen || b[8] > PINTries || b[9] > PUKTries || b[10]&^byte(SecInternal|SecExternal|SecPIN) != 0 ||
		b[11]&^(keyBitActive|keyBitPending|keyBitRoot) != 0 {
		return nil, fmt.Errorf("%w: status record %x", ErrBadResponse, b)
	}
	s := &Status{PINTries: int(b[8]), PUKTries: int(b[9]), Security: Security(b[10]), HasKey: b[11]&keyBitActive != 0,
		Pending: b[11]&keyBitPending != 0, HasRoot: b[11]&keyBitRoot != 0,
		Used: int(binary.BigEndian.Uint16(b[12:]))}
	if s.Used > StoreLimit {
		return nil, fmt.Errorf("%w: store use %d", ErrBadResponse, s.Used)
	}
	copy(s.Serial[:], b)
	return s, nil
}

// String names the register's bits.
func (s Security) String() string {
	out := ""
	for _, b := range []struct {
		bit  Security
		name string
	}{{SecInternal, "internal"}, {SecExternal, "external"}, {SecPIN, "pin"}} {
		if s&b.bit != 0 {
			if out != "" {
				out += "+"
			}
			out += b.name
		}
	}
	if out == "" {
		return "none"
	}
	return out
}
