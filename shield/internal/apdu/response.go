package apdu

import "fmt"

// Response is a response APDU: data then the status word.
type Response struct {
	Data []byte
	SW   StatusWord
}

// MarshalBinary encodes r as data || SW1 SW2.
func (r *Response) MarshalBinary() ([]byte, error) {
	if len(r.Data) > MaxExtendedNe {
		return nil, fmt.Errorf("%w: %d bytes of response data", ErrMalformed, len(r.Data))
	}
	b := make([]byte, 0, len(r.Data)+2)
	b = append(b, r.Data...)
	return append(b, byte(r.SW>>8), byte(r.SW)), nil
}

// ParseResponse decodes a response APDU.
func ParseResponse(b []byte) (*Response, error) {
	if len(b) < 2 || len(b) > MaxExtendedNe+2 {
		return nil, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(b))
	}
	n := len(b) - 2
	return &Response{Data: append([]byte(nil), b[:n]...), SW: StatusWord(b[n])<<8 | StatusWord(b[n+1])}, nil
}

// Bytes is MarshalBinary for a response known to be in range.
func (r *Response) Bytes() []byte {
	b, err := r.MarshalBinary()
	if err != nil {
		return []byte{0x67, 0x00}
	}
	return b
}
