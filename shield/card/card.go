package card

import (
	"errors"
	"sync"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/shield/internal/apdu"
)

// Errors of the package.
var (
	ErrNoState   = errors.New("card: no card state")
	ErrBadState  = errors.New("card: card state is damaged")
	ErrPINFormat = errors.New("card: a PIN or PUK is 4 to 8 digits")
	ErrCardAuth  = errors.New("card: the card failed internal authentication")

	// Status words callers outside shield match with errors.Is.
	ErrWrongPIN     error = apdu.SWWrongPIN             // 63Cx: wrong PIN or PUK, x tries left
	ErrPINBlocked   error = apdu.SWAuthBlocked          // 6983
	ErrNotAllowed   error = apdu.SWSecurityNotSatisfied // 6982
	ErrSMIncorrect  error = apdu.SWSMIncorrect          // 6988
	ErrVerifyFailed error = apdu.SWVerifyFailed         // 6300: a signature (or a certificate chain) does not verify
)

// AID is the card application's identifier: a proprietary AID (RID F0 is
// ISO/IEC 7816-5's unregistered category) "F0 'TBSHIELD' 01".
var AID = []byte{0xF0, 'T', 'B', 'S', 'H', 'I', 'E', 'L', 'D', 0x01}

// ATR is the card's answer to reset; see the package comment.
var ATR = []byte{0x3B, 0x8A, 0x80, 0x01, 'T', 'B', 'S', 'H', 'I', 'E', 'L', 'D', '0', '1', 0x03}

// Security is the security-status register: one bit per authentication.
type Security byte

// The register's bits.
const (
	SecInternal Security = 1 << iota // the card proved itself (INTERNAL AUTHENTICATE)
	SecExternal                      // the host proved itself (EXTERNAL AUTHENTICATE); a secure-messaging session is open
	SecPIN                           // the holder presented the PIN (VERIFY)
)

// Card is the virtual secure element: non-volatile State in a Store and
// the volatile state of a chip (selection, security register, challenges,
// secure-messaging session) that power-off and reset clear. Its methods
// are safe for concurrent use; commands run one at a time.
type Card struct {
	mu    sync.Mutex
	store Store
	st    *State
	key   *sm2.PrivateKey // the active key: INTERNAL AUTHENTICATE, SIGN, DECIPHER
	next  *sm2.PrivateKey // the pending key (GENERATE), signing only after MSE selects it
	vol   volatile

	// AfterPINDecrement, when set, runs after a PIN or PUK try counter has
	// been durably decremented and before the comparison (tests of tearing).
	AfterPINDecrement func()
}

type volatile struct {
	selected      bool
	sec           Security
	ef            uint16 // selected EF, 0 for none
	challenge     []byte // pending card challenge (GET CHALLENGE), single use
	hostChallenge []byte // from the last INTERNAL AUTHENTICATE
	sm            *session
	underSM       bool // the running command arrived under secure messaging
	keyRef        byte // MANAGE SECURITY ENVIRONMENT's signing key: KeyActive (0 too) or KeyPending
}

// Open powers up the card whose state s holds.
func Open(s Store) (*Card, error) {
	st, err := s.Load()
	if err != nil {
		return nil, err
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	c := &Card{store: s, st: st}
	c.loadKey()
	return c, nil
}

func (c *Card) loadKey() {
	c.key, c.next = nil, nil
	if len(c.st.Key) == 32 {
		c.key, _ = sm2.NewPrivateKey(c.st.Key)
	}
	if len(c.st.Pending) == 32 {
		c.next, _ = sm2.NewPrivateKey(c.st.Pending)
	}
}

// Reset models power-off, power-on and warm reset: the volatile state
// (selection, security register, challenges, session) is cleared.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vol.reset()
}

func (v *volatile) reset() {
	if v.sm != nil {
		v.sm.zero()
	}
	*v = volatile{}
}

// Transmit processes one command APDU and returns the response APDU. It
// makes *Card the in-process Transport. The error is always nil: every
// failure is a status word.
func (c *Card) Transmit(cmd []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.process(cmd).Bytes(), nil
}

// Security returns the security-status register.
func (c *Card) Security() Security {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vol.sec
}

func status(sw apdu.StatusWord) *apdu.Response { return &apdu.Response{SW: sw} }

func (c *Card) process(b []byte) *apdu.Response {
	cmd, err := apdu.ParseCommand(b)
	if err != nil {
		return status(apdu.SWWrongLength)
	}
	if cmd.CLA&^0x84 != 0 {
		return status(apdu.SWCLANotSupported)
	}
	if cmd.CLA&0x04 == 0 {
		return c.execute(cmd, false)
	}
	if c.vol.sm == nil {
		return status(apdu.SWSMIncorrect)
	}
	inner, err := c.vol.sm.unwrapCommand(cmd)
	if err != nil {
		c.vol.reset() // an SM error ends the session and clears the register
		return status(apdu.SWSMIncorrect)
	}
	resp := c.execute(inner, true)
	if c.vol.sm == nil { // the command itself ended the session
		return resp
	}
	return c.vol.sm.wrapResponse(resp)
}

// execute checks the register for cmd's INS and runs it.
func (c *Card) execute(cmd *apdu.Command, sm bool) *apdu.Response {
	h, ok := handlers[cmd.INS]
	if !ok {
		return status(apdu.SWINSNotSupported)
	}
	if !c.vol.selected && cmd.INS != insSelect {
		return status(apdu.SWConditionsNotMet)
	}
	if h.need&^c.vol.sec != 0 || (h.need&SecExternal != 0 && !sm) {
		return status(apdu.SWSecurityNotSatisfied)
	}
	c.vol.underSM = sm
	data, sw := h.run(c, cmd)
	c.vol.underSM = false
	if sw != apdu.SWOK {
		data = nil
	}
	if cmd.Ne > 0 && len(data) > cmd.Ne {
		return status(apdu.SWWrongLength)
	}
	return &apdu.Response{Data: data, SW: sw}
}

// save makes the state durable, or rolls it back to what the store holds.
func (c *Card) save() apdu.StatusWord {
	if err := c.store.Save(c.st); err != nil {
		if st, err := c.store.Load(); err == nil {
			c.st = st
			c.loadKey()
		}
		return apdu.SWMemoryFailure
	}
	return apdu.SWOK
}
