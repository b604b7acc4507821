package einvoice

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice/invoice"
)

// DefaultWindow is how far a timestamp may be from the receiver's clock,
// either way.
const DefaultWindow = 120 * time.Second

// SellerLink is how the system reaches a seller's invoicing server at
// its registered endpoint (over HTTP: package einvoicehttp; in process:
// LocalSellers).
type SellerLink interface {
	Verify(ctx context.Context, endpoint string, m *VerifyRequest) (*VerifyResponse, error)
	Notify(ctx context.Context, endpoint string, m *Notice) error
}

// LocalSellers reaches sellers in the same process, by endpoint.
type LocalSellers map[string]*Seller

// Verify implements SellerLink.
func (l LocalSellers) Verify(ctx context.Context, endpoint string, m *VerifyRequest) (*VerifyResponse, error) {
	s, ok := l[endpoint]
	if !ok {
		return nil, fmt.Errorf("%w: no seller at %q", ErrSeller, endpoint)
	}
	return s.Verify(ctx, m)
}

// Notify implements SellerLink.
func (l LocalSellers) Notify(ctx context.Context, endpoint string, m *Notice) error {
	s, ok := l[endpoint]
	if !ok {
		return fmt.Errorf("%w: no seller at %q", ErrSeller, endpoint)
	}
	return s.Notice(ctx, m)
}

// SystemConfig configures a System.
type SystemConfig struct {
	Master  *MasterKey      // Ke
	Key     *sm2.PrivateKey // registration decryption key
	Store   Store
	Signer  *invoice.Signer // the issuing role's invoice-signing key and certificate
	Sellers SellerLink
	Window  time.Duration    // 0: DefaultWindow
	Now     func() time.Time // nil: time.Now
}

// Validate reports a missing part.
func (c *SystemConfig) Validate() error {
	switch {
	case c.Master == nil:
		return errors.New("einvoice: system config: no master key")
	case c.Key == nil:
		return errors.New("einvoice: system config: no SM2 key")
	case c.Store == nil:
		return errors.New("einvoice: system config: no store")
	case c.Signer == nil:
		return errors.New("einvoice: system config: no invoice signer")
	case c.Sellers == nil:
		return errors.New("einvoice: system config: no seller link")
	case c.Window < 0:
		return errors.New("einvoice: system config: negative window")
	}
	return nil
}

// System is the tax authority's e-invoice system: the user-authentication,
// information-verification and issuing roles.
type System struct {
	ke      *MasterKey
	key     *sm2.PrivateKey
	store   Store
	signer  *invoice.Signer
	sellers SellerLink
	clock
}

// NewSystem returns the system of cfg.
func NewSystem(cfg SystemConfig) (*System, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &System{ke: cfg.Master, key: cfg.Key, store: cfg.Store, signer: cfg.Signer, sellers: cfg.Sellers,
		clock: newClock(cfg.Window, cfg.Now)}, nil
}

// PublicKey is the key buyers and sellers encrypt registrations to.
func (s *System) PublicKey() *ecdsa.PublicKey { return &s.key.PublicKey }

// Chain is the invoice-signing certificate chain, leaf first (the root is
// not in it: buyers pin it).
func (s *System) Chain() []*smx509.Certificate { return s.signer.Chain() }

// clock checks timestamps against a window.
type clock struct {
	window time.Duration
	now    func() time.Time
}

func newClock(window time.Duration, now func() time.Time) clock {
	if window == 0 {
		window = DefaultWindow
	}
	if now == nil {
		now = time.Now
	}
	return clock{window: window, now: now}
}

// fresh wants t within the window of now.
func (c *clock) fresh(t uint32) error {
	now := c.now()
	if d := now.Sub(time.Unix(int64(t), 0)).Abs(); d > c.window {
		return fmt.Errorf("%w: %s away from the receiver's clock (window %s)", ErrStale, d.Truncate(time.Second), c.window)
	}
	return nil
}

// seen is the replay-cache entry of a message of time t.
func (c *clock) seen(scope string, tag []byte, t uint32) Seen {
	return Seen{Scope: scope, Tag: tag, At: time.Unix(int64(t), 0)}
}

// horizon is the timestamp before which no message is accepted any more:
// replay-cache entries older than it can go.
func (c *clock) horizon() time.Time { return c.now().Add(-c.window - time.Second) }

// stamp is the current time as a timestamp.
func (c *clock) stamp() uint32 { return uint32(c.now().Unix()) }

// Prune drops replay-cache entries past the window.
func (s *System) Prune(ctx context.Context) (int64, error) { return s.store.Prune(ctx, s.horizon()) }

func (s *System) idTag(id *Identity) []byte { return s.ke.tag("HID", id.HID[:]) }
