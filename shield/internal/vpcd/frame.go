// Package vpcd is the wire protocol between vsmartcard's vpcd reader
// driver (loaded by pcscd; it listens, by default on port 35963) and a
// virtual card that connects to it: frames of a 2-byte big-endian length
// then that many bytes. A 1-byte frame is a control (power off, power on,
// reset, get ATR); a longer one is a command APDU, answered by a frame
// holding the response APDU. A zero length frame and unknown controls are
// refused (ErrFrame).
package vpcd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFrame is the error of every refused frame.
var ErrFrame = errors.New("vpcd: malformed frame")

// Control is a 1-byte frame from the reader driver.
type Control byte

// The controls vpcd sends.
const (
	PowerOff Control = 0x00
	PowerOn  Control = 0x01
	Reset    Control = 0x02
	GetATR   Control = 0x04
)

// MaxFrame is the largest payload a frame can carry.
const MaxFrame = 0xFFFF

// Frame is one decoded frame from the driver: a control or an APDU.
type Frame struct {
	IsControl bool
	Control   Control
	APDU      []byte
}

// ParseFrame decodes a frame payload (without its length prefix).
func ParseFrame(p []byte) (*Frame, error) {
	switch {
	case len(p) == 0:
		return nil, fmt.Errorf("%w: empty", ErrFrame)
	case len(p) == 1:
		switch c := Control(p[0]); c {
		case PowerOff, PowerOn, Reset, GetATR:
			return &Frame{IsControl: true, Control: c}, nil
		default:
			return nil, fmt.Errorf("%w: unknown control %#02x", ErrFrame, p[0])
		}
	}
	return &Frame{APDU: append([]byte(nil), p...)}, nil
}

// MarshalBinary encodes f's payload.
func (f *Frame) MarshalBinary() ([]byte, error) {
	if f.IsControl {
		return []byte{byte(f.Control)}, nil
	}
	if len(f.APDU) < 2 || len(f.APDU) > MaxFrame {
		return nil, fmt.Errorf("%w: APDU of %d bytes", ErrFrame, len(f.APDU))
	}
	return append([]byte(nil), f.APDU...), nil
}

// Read reads one length-prefixed payload from r.
func Read(r io.Reader) ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	p := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFrame, err)
	}
	return p, nil
}

// Write writes p to w as one length-prefixed frame.
func Write(w io.Writer, p []byte) error {
	if len(p) > MaxFrame {
		return fmt.Errorf("%w: %d bytes", ErrFrame, len(p))
	}
	_, err := w.Write(binary.BigEndian.AppendUint16(nil, uint16(len(p))))
	if err == nil {
		_, err = w.Write(p)
	}
	return err
}
