// Package apdu is the canonical encoding of ISO/IEC 7816-4 command and
// response APDUs (short and extended length, cases 1 to 4) and of the
// status words shield/card answers with.
//
// Decoders are strict: an encoding is accepted only if it is the one
// Command.MarshalBinary would produce. In particular extended length is
// refused where short length suffices (Nc ≤ 255 and Ne ≤ 256), an Lc of
// zero is refused, and trailing bytes are refused. Any refusal wraps
// ErrMalformed; ErrLength marks a well-formed header whose lengths do not
// match the body (the card answers 6700 to it).
package apdu

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed is the error of every refused encoding.
	ErrMalformed = errors.New("apdu: malformed")
	// ErrLength wraps ErrMalformed for an Lc/Le that does not match the body.
	ErrLength = fmt.Errorf("%w: length mismatch", ErrMalformed)
)

// Limits of the length fields.
const (
	MaxShortNc    = 255
	MaxShortNe    = 256
	MaxExtendedNc = 65535
	MaxExtendedNe = 65536
)

// Command is a command APDU. Ne is the number of response data bytes
// expected (0: no Le field; 256 or 65536 are encoded as zero).
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
}

// Extended reports whether c needs extended length fields.
func (c *Command) Extended() bool { return len(c.Data) > MaxShortNc || c.Ne > MaxShortNe }

// MarshalBinary encodes c, choosing short length whenever it suffices.
func (c *Command) MarshalBinary() ([]byte, error) {
	if len(c.Data) > MaxExtendedNc || c.Ne < 0 || c.Ne > MaxExtendedNe {
		return nil, fmt.Errorf("%w: Nc %d, Ne %d out of range", ErrMalformed, len(c.Data), c.Ne)
	}
	b := []byte{c.CLA, c.INS, c.P1, c.P2}
	ext := c.Extended()
	if len(c.Data) > 0 {
		if ext {
			b = append(b, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		} else {
			b = append(b, byte(len(c.Data)))
		}
		b = append(b, c.Data...)
	}
	if c.Ne > 0 {
		switch {
		case !ext:
			b = append(b, byte(c.Ne)) // 256 → 0x00
		case len(c.Data) == 0:
			b = append(b, 0, byte(c.Ne>>8), byte(c.Ne)) // 65536 → 00 00 00
		default:
			b = append(b, byte(c.Ne>>8), byte(c.Ne))
		}
	}
	return b, nil
}

// ParseCommand decodes a command APDU, refusing any non-canonical form.
func ParseCommand(b []byte) (*Command, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes, header needs 4", ErrMalformed, len(b))
	}
	c := &Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	var err error
	switch {
	case len(body) == 0: // case 1
	case len(body) == 1: // case 2S
		c.Ne = shortNe(body[0])
	case body[0] != 0: // case 3S or 4S
		err = c.parseShort(body)
	default: // extended: 00 then two bytes
		err = c.parseExtended(body)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func shortNe(b byte) int {
	if b == 0 {
		return MaxShortNe
	}
	return int(b)
}

func extNe(hi, lo byte) int {
	n := int(hi)<<8 | int(lo)
	if n == 0 {
		return MaxExtendedNe
	}
	return n
}

func (c *Command) parseShort(body []byte) error {
	nc := int(body[0])
	switch len(body) {
	case 1 + nc: // case 3S
	case 2 + nc: // case 4S
		c.Ne = shortNe(body[1+nc])
	default:
		return fmt.Errorf("%w: Lc %d with %d bytes of body", ErrLength, nc, len(body))
	}
	c.Data = append([]byte(nil), body[1:1+nc]...)
	return nil
}

func (c *Command) parseExtended(body []byte) error {
	if len(body) < 3 {
		return fmt.Errorf("%w: extended length field cut short", ErrLength)
	}
	n := int(body[1])<<8 | int(body[2])
	if len(body) == 3 { // case 2E
		c.Ne = extNe(body[1], body[2])
		if c.Ne <= MaxShortNe {
			return fmt.Errorf("%w: extended Le %d fits a short Le", ErrMalformed, c.Ne)
		}
		return nil
	}
	if n == 0 {
		return fmt.Errorf("%w: extended Lc of zero", ErrMalformed)
	}
	switch len(body) {
	case 3 + n: // case 3E
	case 5 + n: // case 4E
		c.Ne = extNe(body[3+n], body[4+n])
	default:
		return fmt.Errorf("%w: extended Lc %d with %d bytes of body", ErrLength, n, len(body))
	}
	c.Data = append([]byte(nil), body[3:3+n]...)
	if !c.Extended() {
		return fmt.Errorf("%w: extended length where short suffices", ErrMalformed)
	}
	return nil
}
