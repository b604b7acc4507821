package card

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/shield/internal/apdu"
)

// ErrBadResponse is the error of a response that does not parse.
var ErrBadResponse = errors.New("card: malformed response")

// Transport carries one command APDU to a card and brings back its
// response APDU: *Card itself (in process) or a PC/SC reader
// (shield/card/pcsc).
type Transport interface {
	Transmit(cmd []byte) ([]byte, error)
}

var _ Transport = (*Card)(nil)

// Send transmits cmd in plain and returns the response; a status word
// other than 9000 is returned as the error (an apdu.StatusWord) along
// with the response.
func Send(t Transport, cmd *apdu.Command) (*apdu.Response, error) {
	b, err := cmd.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out, err := t.Transmit(b)
	if err != nil {
		return nil, err
	}
	r, err := apdu.ParseResponse(out)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return r, swErr(r.SW)
}

func swErr(sw apdu.StatusWord) error {
	if sw == apdu.SWOK {
		return nil
	}
	return sw
}

// Select selects the card application.
func Select(t Transport) error {
	_, err := Send(t, &apdu.Command{INS: insSelect, P1: 4, Data: AID})
	return err
}

// HostKeys are the host's secrets for a card: its SM2 key for EXTERNAL
// AUTHENTICATE and the SM4 channel key.
type HostKeys struct {
	Host  *sm2.PrivateKey
	SMKey []byte
}

// Channel is the host's end of a secure-messaging session with a card.
type Channel struct {
	t Transport
	s *session
}

// OpenChannel selects the application and runs mutual authentication:
// INTERNAL AUTHENTICATE (the card's signature is checked against cardPub
// when it is not nil; the serial comes from GET DATA 0102), then GET
// CHALLENGE and EXTERNAL AUTHENTICATE; both sides derive the session keys.
func OpenChannel(t Transport, hk HostKeys, cardPub *ecdsa.PublicKey) (*Channel, error) {
	if err := Select(t); err != nil {
		return nil, err
	}
	st, err := ReadStatus(t)
	if err != nil {
		return nil, err
	}
	ch := make([]byte, ChallengeLen)
	rand.Read(ch)
	r, err := Send(t, &apdu.Command{INS: insInternalAuth, Data: ch, Ne: apdu.MaxShortNe})
	if err != nil {
		return nil, err
	}
	if cardPub != nil && !sm2.VerifyASN1WithSM2(cardPub, nil, InternalMessage(st.Serial[:], ch), r.Data) {
		return nil, ErrCardAuth
	}
	r, err = Send(t, &apdu.Command{INS: insGetChallenge, Ne: ChallengeLen})
	if err != nil {
		return nil, err
	}
	cc := r.Data
	sig, err := sm2.SignASN1(rand.Reader, hk.Host, ExternalMessage(st.Serial[:], cc, ch), sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		return nil, err
	}
	if _, err := Send(t, &apdu.Command{INS: insExternalAuth, Data: sig}); err != nil {
		return nil, err
	}
	return &Channel{t: t, s: newSession(hk.SMKey, ch, cc)}, nil
}

// ReadStatus reads the card's public status record (GET DATA 0102).
func ReadStatus(t Transport) (*Status, error) {
	r, err := Send(t, &apdu.Command{INS: insGetData, P1: 1, P2: 2, Ne: StatusLen})
	if err != nil {
		return nil, err
	}
	return ParseStatus(r.Data)
}

// Transmit sends cmd under secure messaging and returns the opened
// response; a status word other than 9000 is also the error. A response
// that fails to verify ends the channel (ErrSM).
func (ch *Channel) Transmit(cmd *apdu.Command) (*apdu.Response, error) {
	if ch.s == nil {
		return nil, ErrSM
	}
	w := ch.s.wrapCommand(cmd)
	r, err := Send(ch.t, w)
	if r == nil {
		return nil, err
	}
	if len(r.Data) == 0 && r.SW == apdu.SWSMIncorrect {
		ch.Close()
		return r, apdu.SWSMIncorrect
	}
	open, err := ch.s.unwrapResponse(r)
	if err != nil {
		ch.Close()
		return nil, err
	}
	return open, swErr(open.SW)
}

// Close forgets the session keys.
func (ch *Channel) Close() {
	if ch.s != nil {
		ch.s.zero()
		ch.s = nil
	}
}

// VerifyPIN presents the holder's PIN (VERIFY); a wrong PIN is a 63Cx
// apdu.StatusWord error, a locked one 6983.
func (ch *Channel) VerifyPIN(pin string) error {
	b, err := PINBlock(pin)
	if err != nil {
		return err
	}
	_, err = ch.Transmit(&apdu.Command{INS: insVerify, P2: 0x81, Data: b})
	return err
}

// ChangePIN replaces the PIN (CHANGE REFERENCE DATA); old costs a try if wrong.
func (ch *Channel) ChangePIN(old, newPIN string) error {
	return ch.twoBlocks(insChangeRef, old, newPIN)
}

// Unblock sets a new PIN with the PUK (RESET RETRY COUNTER), resetting
// the PIN's tries; a wrong PUK costs one of the PUK's tries.
func (ch *Channel) Unblock(puk, newPIN string) error { return ch.twoBlocks(insResetRetry, puk, newPIN) }

func (ch *Channel) twoBlocks(ins byte, a, b string) error {
	x, err1 := PINBlock(a)
	y, err2 := PINBlock(b)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	_, err := ch.Transmit(&apdu.Command{INS: ins, P2: 0x81, Data: append(x, y...)})
	return err
}
