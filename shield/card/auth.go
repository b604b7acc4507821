package card

import (
	"crypto/rand"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/shield/internal/apdu"
)

// ChallengeLen is the length of card and host challenges.
const ChallengeLen = 16

// maxSigLen is the longest DER encoding of an SM2 signature.
const maxSigLen = 72

// Labels of what the card and the host sign in mutual authentication.
var (
	internalLabel = []byte("trustbank-card-internal-auth")
	externalLabel = []byte("trustbank-host-external-auth")
)

// getChallenge (P1=00 P2=00, Le=16): a fresh card challenge Cc, kept for
// one EXTERNAL AUTHENTICATE.
func (c *Card) getChallenge(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0 || len(cmd.Data) != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if cmd.Ne != ChallengeLen {
		return nil, apdu.SWWrongLength
	}
	c.vol.challenge = make([]byte, ChallengeLen)
	rand.Read(c.vol.challenge)
	return append([]byte(nil), c.vol.challenge...), apdu.SWOK
}

// InternalMessage is what the card signs in INTERNAL AUTHENTICATE.
func InternalMessage(serial, hostChallenge []byte) []byte {
	return append(append(append([]byte(nil), internalLabel...), serial...), hostChallenge...)
}

// ExternalMessage is what the host signs in EXTERNAL AUTHENTICATE.
func ExternalMessage(serial, cardChallenge, hostChallenge []byte) []byte {
	m := append(append([]byte(nil), externalLabel...), serial...)
	return append(append(m, cardChallenge...), hostChallenge...)
}

// internalAuth (P1=00 P2=00, data = host challenge Ch): the card signs
// serial || Ch with its active SM2 key (default user ID, never the pending
// one); sets SecInternal.
func (c *Card) internalAuth(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) != ChallengeLen || (cmd.Ne != 0 && cmd.Ne < maxSigLen) {
		return nil, apdu.SWWrongLength
	}
	sig, sw := c.sign(c.key, InternalMessage(c.st.Serial, cmd.Data), sm2.NewSM2SignerOption(true, nil))
	if sw != apdu.SWOK {
		return nil, sw
	}
	c.vol.hostChallenge = append([]byte(nil), cmd.Data...)
	c.vol.sec |= SecInternal
	return sig, apdu.SWOK
}

// externalAuth (P1=00 P2=00, data = DER signature of the host key over
// label || serial || Cc || Ch), sent in plain: it consumes Cc; on success
// it sets SecExternal (clearing SecPIN) and opens a new secure-messaging
// session; on failure it clears SecExternal and SecPIN and closes the
// session.
func (c *Card) externalAuth(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if c.vol.underSM || c.vol.challenge == nil || c.vol.hostChallenge == nil {
		return nil, apdu.SWConditionsNotMet
	}
	cc := c.vol.challenge
	c.vol.challenge = nil
	c.vol.sec &^= SecExternal | SecPIN
	if c.vol.sm != nil {
		c.vol.sm.zero()
		c.vol.sm = nil
	}
	host, err := sm2.NewPublicKey(c.st.HostKey)
	if err != nil || !sm2.VerifyASN1WithSM2(host, nil, ExternalMessage(c.st.Serial, cc, c.vol.hostChallenge), cmd.Data) {
		return nil, apdu.SWVerifyFailed
	}
	c.vol.sm = newSession(c.st.SMKey, c.vol.hostChallenge, cc)
	c.vol.sec |= SecExternal
	return nil, apdu.SWOK
}
