package middleware

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/card"
	"trustbank/shield/internal/apdu"
)

// Config is what the banking app gives the middleware.
type Config struct {
	Transport card.Transport      // in process (*card.Card) or PC/SC (*pcsc.Reader)
	Sandbox   *Sandbox            // the phone's sandbox file
	Root      *smx509.Certificate // the pinned CA root
	// Issuing are CA certificates used to complete a bare leaf's chain
	// before it is checked against Root (they are not trusted by themselves).
	Issuing []*smx509.Certificate
	Now     func() time.Time // nil: time.Now
}

// Validate checks that c is complete.
func (c *Config) Validate() error {
	if c.Transport == nil || c.Sandbox == nil || c.Root == nil {
		return fmt.Errorf("%w: needs a transport, a sandbox file and the pinned root", ErrConfig)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// State is the middleware's channel state.
type State uint8

// The states, in order: Closed → Channel (mutual authentication done,
// secure messaging on) → Unlocked (PIN verified in this session). A reset
// or a secure-messaging failure goes back to Closed; a wrong PIN to Channel.
const (
	Closed State = iota
	Channel
	Unlocked
)

// event is what moves the state.
type event uint8

const (
	evOpened   event = iota // mutual authentication succeeded
	evPIN                   // VERIFY succeeded
	evWrongPIN              // VERIFY failed, or the card says the PIN is missing
	evLost                  // reset, SM failure, close
)

// next is the one transition function.
func (s State) next(e event) (State, error) {
	switch {
	case e == evLost:
		return Closed, nil
	case e == evOpened:
		return Channel, nil
	case e == evPIN && s != Closed:
		return Unlocked, nil
	case e == evWrongPIN && s != Closed:
		return Channel, nil
	default:
		return s, fmt.Errorf("middleware: event %d in state %d", e, s)
	}
}

// bits is the card security register a state corresponds to.
func (s State) bits() card.Security {
	switch s {
	case Channel:
		return card.SecInternal | card.SecExternal
	case Unlocked:
		return card.SecInternal | card.SecExternal | card.SecPIN
	}
	return 0
}

// Middleware is the API the banking app calls: one card, one channel.
// It implements bank.Card. Its methods are safe for concurrent use.
type Middleware struct {
	mu      sync.Mutex
	cfg     Config
	keys    card.HostKeys    // rebuilt from the shares; zeroized by Close
	pub     *ecdsa.PublicKey // the card's active key
	pending *ecdsa.PublicKey // its pending key, once known
	ch      *card.Channel
	state   State
	opens   int // channels opened (the first and every re-open)
	corrupt int // share subsets that failed when the keys were rebuilt
	closed  bool
}

// Open rebuilds the host keys from the sandbox file and the card's
// shares, and opens the secure channel.
func Open(cfg Config) (*Middleware, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Middleware{cfg: cfg}
	if err := m.recoverKeys(); err != nil {
		return nil, err
	}
	if err := m.open(); err != nil {
		m.zero()
		return nil, err
	}
	return m, nil
}

// recoverKeys reads the card's dispersal record and a fresh challenge
// (plain), rebuilds w from T shares in the order the challenge gives, and
// opens the host keys.
func (m *Middleware) recoverKeys() error {
	t := m.cfg.Transport
	st, err := card.ReadStatus(selectApp(t))
	if err != nil {
		return err
	}
	if st.Serial != m.cfg.Sandbox.Serial {
		return fmt.Errorf("%w: the sandbox file is for another card", ErrSandbox)
	}
	raw, err := readEF(t, EFDispersal)
	if err != nil {
		return err
	}
	rec, err := parseRecord(raw)
	if err != nil {
		return err
	}
	r, err := card.Send(t, &apdu.Command{INS: 0x84, Ne: card.ChallengeLen})
	if err != nil {
		return err
	}
	shares, err := rec.shares(m.cfg.Sandbox, r.Data)
	if err != nil {
		return err
	}
	plain, failed, err := rebuild(m.cfg.Sandbox, rec.T, shares)
	if err != nil {
		return err
	}
	defer clear(plain)
	m.corrupt = failed
	return m.setKeys(plain)
}

func (m *Middleware) setKeys(plain []byte) error {
	if len(plain) != 48 {
		return ErrSandbox
	}
	k, err := sm2.NewPrivateKey(plain[:32])
	if err != nil {
		return ErrSandbox
	}
	m.keys = card.HostKeys{Host: k, SMKey: append([]byte(nil), plain[32:]...)}
	return nil
}

// selectApp selects the application, ignoring the error (ReadStatus reports it).
func selectApp(t card.Transport) card.Transport { card.Select(t); return t }

// open runs mutual authentication; the card must prove the key it had
// when the middleware first met it (or generated since).
func (m *Middleware) open() error {
	if m.pub == nil {
		pub, err := readPublic(m.cfg.Transport)
		if err != nil {
			return err
		}
		m.pub = pub
	}
	ch, err := card.OpenChannel(m.cfg.Transport, m.keys, m.pub)
	if err != nil {
		m.state, _ = m.state.next(evLost)
		return err
	}
	m.ch, m.opens = ch, m.opens+1
	m.state, _ = m.state.next(evOpened)
	return nil
}

func readPublic(t card.Transport) (*ecdsa.PublicKey, error) {
	r, err := card.Send(t, &apdu.Command{INS: 0xCA, P1: 1, P2: 1, Ne: 65})
	if err != nil {
		return nil, err
	}
	return sm2.NewPublicKey(r.Data)
}

// lose ends the channel after a reset or an SM failure.
func (m *Middleware) lose() {
	if m.ch != nil {
		m.ch.Close()
		m.ch = nil
	}
	m.state, _ = m.state.next(evLost)
}

// transmit sends cmd under secure messaging once the state holds need.
// A channel the card lost (6988: reset, power loss) is re-opened and the
// command resent once if it needs no PIN; a response that fails secure
// messaging ends the channel and is never retried (ErrTampered).
func (m *Middleware) transmit(cmd *apdu.Command, need card.Security) (*apdu.Response, error) {
	if m.closed {
		return nil, ErrClosed
	}
	for try := 0; ; try++ {
		if m.ch == nil {
			if err := m.open(); err != nil {
				return nil, err
			}
		}
		if need&^m.state.bits() != 0 {
			return nil, ErrPINRequired
		}
		r, err := m.ch.Transmit(cmd)
		switch {
		case errors.Is(err, card.ErrSMIncorrect) && try == 0:
			m.lose() // the card refused before running the command: safe to resend
			continue
		case errors.Is(err, card.ErrSM), errors.Is(err, card.ErrBadResponse), errors.Is(err, card.ErrSMIncorrect):
			m.lose()
			return nil, fmt.Errorf("%w: %v", ErrTampered, err)
		case errors.Is(err, card.ErrNotAllowed) && need&card.SecPIN != 0:
			m.state, _ = m.state.next(evWrongPIN)
			return nil, ErrPINRequired
		}
		return r, err
	}
}

// State returns the channel state.
func (m *Middleware) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// Opens returns how many channels were opened (1 + re-opens) and how many
// share subsets failed the check value when the keys were rebuilt.
func (m *Middleware) Opens() (opens, corruptSubsets int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.opens, m.corrupt
}

// Reopen closes the channel and opens a new one (the app's "re-open").
func (m *Middleware) Reopen() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.lose()
	return m.open()
}

// Close ends the channel and zeroizes the host keys.
func (m *Middleware) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lose()
	m.zero()
	m.closed = true
	return nil
}

func (m *Middleware) zero() {
	if m.keys.Host != nil {
		m.keys.Host.D.SetInt64(0)
	}
	clear(m.keys.SMKey)
	m.keys = card.HostKeys{}
}

// PublicKey returns the card's public key as the middleware knows it.
func (m *Middleware) PublicKey() *ecdsa.PublicKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pub
}
