package card

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"

	"github.com/emmansun/gmsm/cbcmac"
	"github.com/emmansun/gmsm/padding"
	"github.com/emmansun/gmsm/sm4"

	"trustbank/shield/internal/apdu"
)

// ErrSM is the error of a secure-messaging APDU that fails to verify.
var ErrSM = errors.New("card: secure messaging failed")

const macLen = 8

// session is one secure-messaging session (see the package comment):
// SM4 session keys for encryption and MAC and the send-sequence counter.
type session struct {
	encKey, macKey []byte
	enc, mac       cipher.Block
	ssc            [16]byte
}

// newSession derives S_ENC and S_MAC from the static channel key K and
// both challenges: S = CBC-MAC_K(label || "TBSM" || Ch || Cc), label 01
// for S_ENC, 02 for S_MAC; the SSC starts at zero.
func newSession(k, ch, cc []byte) *session {
	kb, err := sm4.NewCipher(k)
	if err != nil {
		panic("card: channel key is not 16 bytes") // checked when the state is loaded
	}
	derive := func(label byte) []byte {
		in := append(append([]byte{label, 'T', 'B', 'S', 'M'}, ch...), cc...)
		return cbcmac.NewCBCMAC(kb, 16).MAC(in)
	}
	s := &session{encKey: derive(1), macKey: derive(2)}
	s.enc, _ = sm4.NewCipher(s.encKey)
	s.mac, _ = sm4.NewCipher(s.macKey)
	return s
}

func (s *session) zero() {
	clear(s.encKey)
	clear(s.macKey)
	clear(s.ssc[:])
}

func (s *session) next() {
	for i := len(s.ssc) - 1; i >= 0; i-- {
		s.ssc[i]++
		if s.ssc[i] != 0 {
			return
		}
	}
}

func (s *session) tag(parts ...[]byte) []byte {
	in := append([]byte(nil), s.ssc[:]...)
	for _, p := range parts {
		in = append(in, p...)
	}
	return cbcmac.NewCBCMAC(s.mac, macLen).MAC(in)
}

func (s *session) iv() []byte {
	iv := make([]byte, 16)
	s.enc.Encrypt(iv, s.ssc[:])
	return iv
}

func (s *session) seal(p []byte) []byte {
	b := padding.NewISO9797M2Padding(16).Pad(p)
	cipher.NewCBCEncrypter(s.enc, s.iv()).CryptBlocks(b, b)
	return b
}

func (s *session) open(c []byte) ([]byte, error) {
	if len(c) == 0 || len(c)%16 != 0 {
		return nil, ErrSM
	}
	b := make([]byte, len(c))
	cipher.NewCBCDecrypter(s.enc, s.iv()).CryptBlocks(b, c)
	p, err := padding.NewISO9797M2Padding(16).Unpad(b)
	if err != nil {
		return nil, ErrSM
	}
	return p, nil
}

// wrapCommand (host side) protects cmd: CLA|04, data = C || T with
// C = SM4-CBC(Ne (3 bytes) || data) and T = CBC-MAC(SSC || header || C).
func (s *session) wrapCommand(cmd *apdu.Command) *apdu.Command {
	s.next()
	hdr := []byte{cmd.CLA | 0x04, cmd.INS, cmd.P1, cmd.P2}
	c := s.seal(append([]byte{byte(cmd.Ne >> 16), byte(cmd.Ne >> 8), byte(cmd.Ne)}, cmd.Data...))
	ne := apdu.MaxShortNe
	if cmd.Ne > 200 {
		ne = apdu.MaxExtendedNe
	}
	return &apdu.Command{CLA: hdr[0], INS: cmd.INS, P1: cmd.P1, P2: cmd.P2, Data: append(c, s.tag(hdr, c)...), Ne: ne}
}

// unwrapCommand (card side) checks and opens a protected command.
func (s *session) unwrapCommand(cmd *apdu.Command) (*apdu.Command, error) {
	s.next()
	n := len(cmd.Data) - macLen
	if n < 16 {
		return nil, ErrSM
	}
	c, t := cmd.Data[:n], cmd.Data[n:]
	if subtle.ConstantTimeCompare(t, s.tag([]byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2}, c)) != 1 {
		return nil, ErrSM
	}
	p, err := s.open(c)
	if err != nil || len(p) < 3 || len(p)-3 > apdu.MaxExtendedNc {
		return nil, ErrSM
	}
	ne := int(p[0])<<16 | int(p[1])<<8 | int(p[2])
	if ne > apdu.MaxExtendedNe {
		return nil, ErrSM
	}
	return &apdu.Command{CLA: cmd.CLA &^ 0x04, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2, Data: p[3:], Ne: ne}, nil
}

// wrapResponse (card side): data = C_r || T_r, C_r = SM4-CBC(data) (absent
// without data), T_r = CBC-MAC(SSC || C_r || SW); SW in clear.
func (s *session) wrapResponse(r *apdu.Response) *apdu.Response {
	s.next()
	var c []byte
	if len(r.Data) > 0 {
		c = s.seal(r.Data)
	}
	sw := []byte{byte(r.SW >> 8), byte(r.SW)}
	return &apdu.Response{Data: append(c, s.tag(c, sw)...), SW: r.SW}
}

// unwrapResponse (host side) checks and opens a protected response.
func (s *session) unwrapResponse(r *apdu.Response) (*apdu.Response, error) {
	s.next()
	n := len(r.Data) - macLen
	if n < 0 {
		return nil, ErrSM
	}
	c, t := r.Data[:n], r.Data[n:]
	if subtle.ConstantTimeCompare(t, s.tag(c, []byte{byte(r.SW >> 8), byte(r.SW)})) != 1 {
		return nil, ErrSM
	}
	if n == 0 {
		return &apdu.Response{SW: r.SW}, nil
	}
	p, err := s.open(c)
	if err != nil {
		return nil, err
	}
	return &apdu.Response{Data: p, SW: r.SW}, nil
}
