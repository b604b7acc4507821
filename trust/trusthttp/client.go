package trusthttp

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/httpapi"
	"trustbank/trust"
	"trustbank/trust/score"
)

// APIError is a non-2xx answer; it unwraps to the trust sentinel of its
// code, so callers test errors.Is(err, trust.ErrStaleKey) as in process.
type APIError = httpapi.APIError

// Client calls an identity provider. It is a trust.FeedbackSink (a
// service's reports) and, with the keys cache, serves public keys.
type Client struct {
	Base       string       // e.g. http://127.0.0.1:8080
	HTTP       *http.Client // default: 30 s timeout
	AdminToken string       // operator endpoints

	keys sync.Map // keyID → *groupsig.PublicKey: a key of an epoch never changes
}

type keyID struct {
	tier  score.Tier
	epoch uint64
}

func (c *Client) do(ctx context.Context, signer httpapi.Signer, method, path string, in, out any) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Signer: signer, Codes: codes}
	return hc.Do(ctx, method, path, in, out)
}

func parseEnrollment(r EnrollmentResponse) (*trust.Enrollment, error) {
	t, err := score.ParseTier(r.Tier)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", trust.ErrMalformed, err)
	}
	mk, err := groupsig.ParseMemberKey(r.MemberKey)
	if err != nil {
		return nil, err
	}
	return &trust.Enrollment{User: r.User, Tier: t, Key: mk}, nil
}

// Register registers a user (operator) and returns its enrollment.
func (c *Client) Register(ctx context.Context, user string, clientKey ed25519.PublicKey) (*trust.Enrollment, error) {
	var r EnrollmentResponse
	if err := c.do(ctx, nil, http.MethodPost, "/v1/users", RegisterRequest{User: user, ClientKey: clientKey}, &r); err != nil {
		return nil, err
	}
	return parseEnrollment(r)
}

// Status returns a user's trust and tier (operator).
func (c *Client) Status(ctx context.Context, user string) (StatusResponse, error) {
	var r StatusResponse
	err := c.do(ctx, nil, http.MethodGet, "/v1/users/"+url.PathEscape(user), nil, &r)
	return r, err
}

// Revoke is a user's exit (operator).
func (c *Client) Revoke(ctx context.Context, user string) error {
	return c.do(ctx, nil, http.MethodPost, "/v1/users/"+url.PathEscape(user)+"/revoke", struct{}{}, nil)
}

// Open names the user behind an authentication (operator).
func (c *Client) Open(ctx context.Context, a *trust.Authentication) (string, error) {
	enc, err := a.MarshalBinary()
	if err != nil {
		return "", err
	}
	var r OpenResponse
	err = c.do(ctx, nil, http.MethodPost, "/v1/open", AuthRequest{Authentication: enc}, &r)
	return r.User, err
}

// RegisterService registers a service's feedback key (operator).
func (c *Client) RegisterService(ctx context.Context, id string, key ed25519.PublicKey) error {
	return c.do(ctx, nil, http.MethodPost, "/v1/services", ServiceRequest{Service: id, Key: key}, nil)
}

// Feedback sends a signed report (trust.FeedbackSink).
func (c *Client) Feedback(ctx context.Context, sr *trust.SignedReport) (*trust.Receipt, error) {
	enc, err := sr.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var r Receipt
	if err := c.do(ctx, nil, http.MethodPost, "/v1/feedback", FeedbackRequest{Report: enc}, &r); err != nil {
		return nil, err
	}
	rc := &trust.Receipt{Service: r.Service}
	if len(r.Transaction) != trust.NonceSize {
		return nil, fmt.Errorf("%w: receipt transaction of %d bytes", trust.ErrMalformed, len(r.Transaction))
	}
	copy(rc.Transaction[:], r.Transaction)
	return rc, nil
}

// key fetches a tier group's key: at epoch, or the current one (nil).
func (c *Client) key(ctx context.Context, t score.Tier, epoch *uint64) (*KeyResponse, error) {
	path := "/v1/tiers/" + t.String() + "/key"
	if epoch != nil {
		path += "?epoch=" + strconv.FormatUint(*epoch, 10)
	}
	var r KeyResponse
	return &r, c.do(ctx, nil, http.MethodGet, path, nil, &r)
}

// parsed returns the parsed key of r, from the cache when it has it.
func (c *Client) parsed(t score.Tier, r *KeyResponse) (*groupsig.PublicKey, error) {
	if pk, ok := c.keys.Load(keyID{t, r.Epoch}); ok {
		return pk.(*groupsig.PublicKey), nil
	}
	pk, err := groupsig.ParsePublicKey(r.PublicKey)
	if err != nil {
		return nil, err
	}
	if pk.Epoch != r.Epoch {
		return nil, fmt.Errorf("%w: key of epoch %d served as %d", trust.ErrMalformed, pk.Epoch, r.Epoch)
	}
	v, _ := c.keys.LoadOrStore(keyID{t, r.Epoch}, pk)
	return v.(*groupsig.PublicKey), nil
}

// PublicKey returns a tier group's key at epoch (trust.Directory).
func (c *Client) PublicKey(ctx context.Context, t score.Tier, epoch uint64) (*groupsig.PublicKey, error) {
	if pk, ok := c.keys.Load(keyID{t, epoch}); ok {
		return pk.(*groupsig.PublicKey), nil
	}
	r, err := c.key(ctx, t, &epoch)
	if err != nil {
		return nil, err
	}
	return c.parsed(t, r)
}

// Current returns a tier group's current key, asking the provider every
// time (trust.TierKeys: the revocation check of a remote service).
func (c *Client) Current(ctx context.Context, t score.Tier) (*groupsig.PublicKey, error) {
	r, err := c.key(ctx, t, nil)
	if err != nil {
		return nil, err
	}
	return c.parsed(t, r)
}

// Updates returns a tier group's revocation updates after epoch `after`.
func (c *Client) Updates(ctx context.Context, t score.Tier, after uint64) ([]*groupsig.Revocation, error) {
	var r UpdatesResponse
	path := "/v1/tiers/" + t.String() + "/updates?after=" + strconv.FormatUint(after, 10)
	if err := c.do(ctx, nil, http.MethodGet, path, nil, &r); err != nil {
		return nil, err
	}
	out := make([]*groupsig.Revocation, 0, len(r.Updates))
	for _, b := range r.Updates {
		rev, err := groupsig.ParseRevocation(b)
		if err != nil {
			return nil, err
		}
		out = append(out, rev)
	}
	return out, nil
}

// UserDirectory is a user's client's view of the provider: the
// trust.Directory whose Enrollment is signed with the client key.
type UserDirectory struct {
	*Client
	Key ed25519.PrivateKey
}

// Enrollment fetches the user's current enrollment (trust.Directory).
func (d UserDirectory) Enrollment(ctx context.Context, user string) (*trust.Enrollment, error) {
	var r EnrollmentResponse
	if err := d.do(ctx, httpapi.Ed25519Signer(d.Key), http.MethodGet, "/v1/users/"+url.PathEscape(user)+"/enrollment", nil, &r); err != nil {
		return nil, err
	}
	return parseEnrollment(r)
}

// KeyFeed is a remote service's trust.TierKeys that asks the provider at
// most every MaxAge (0: on every authentication, so a service never
// accepts a tier after the revocation that ended it; with MaxAge > 0 it
// may, for at most MaxAge — a deployment's trade of freshness for load).
type KeyFeed struct {
	C      *Client
	MaxAge time.Duration
	Now    func() time.Time

	mu  sync.Mutex
	cur [len(score.Tiers)]*groupsig.PublicKey
	at  [len(score.Tiers)]time.Time
}

// Current implements trust.TierKeys.
func (f *KeyFeed) Current(ctx context.Context, t score.Tier) (*groupsig.PublicKey, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: tier %d", trust.ErrMalformed, t)
	}
	now := time.Now()
	if f.Now != nil {
		now = f.Now()
	}
	f.mu.Lock()
	pk, at := f.cur[t], f.at[t]
	f.mu.Unlock()
	if pk != nil && f.MaxAge > 0 && now.Sub(at) < f.MaxAge {
		return pk, nil
	}
	pk, err := f.C.Current(ctx, t)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.cur[t], f.at[t] = pk, now
	f.mu.Unlock()
	return pk, nil
}

// ServiceClient calls a cloud service.
type ServiceClient struct {
	Base       string
	HTTP       *http.Client
	AdminToken string // the service operator's (Report)
}

func (c *ServiceClient) do(ctx context.Context, path string, in, out any) error {
	hc := httpapi.Client{Base: c.Base, HTTP: c.HTTP, AdminToken: c.AdminToken, Codes: codes}
	return hc.Do(ctx, http.MethodPost, path, in, out)
}

// Challenge asks the service for a challenge.
func (c *ServiceClient) Challenge(ctx context.Context) (trust.Challenge, error) {
	var r ChallengeResponse
	if err := c.do(ctx, "/v1/challenge", struct{}{}, &r); err != nil {
		return trust.Challenge{}, err
	}
	ch := trust.Challenge{Service: r.Service}
	if len(r.Nonce) != trust.NonceSize {
		return ch, fmt.Errorf("%w: nonce of %d bytes", trust.ErrMalformed, len(r.Nonce))
	}
	copy(ch.Nonce[:], r.Nonce)
	return ch, nil
}

// Authenticate sends an authentication and returns the session.
func (c *ServiceClient) Authenticate(ctx context.Context, a *trust.Authentication) (trust.Session, error) {
	enc, err := a.MarshalBinary()
	if err != nil {
		return trust.Session{}, err
	}
	var r SessionResponse
	if err := c.do(ctx, "/v1/authenticate", AuthRequest{Authentication: enc}, &r); err != nil {
		return trust.Session{}, err
	}
	t, err := score.ParseTier(r.Tier)
	if err != nil || len(r.Transaction) != trust.NonceSize {
		return trust.Session{}, fmt.Errorf("%w: session %+v", trust.ErrMalformed, r)
	}
	s := trust.Session{Tier: t}
	copy(s.Transaction[:], r.Transaction)
	return s, nil
}

// Serve makes one request in a session.
func (c *ServiceClient) Serve(ctx context.Context, txn [trust.NonceSize]byte, feature string, attrs map[string]string) (GrantResponse, error) {
	var r GrantResponse
	err := c.do(ctx, "/v1/serve", ServeRequest{Transaction: txn[:], Feature: feature, Attributes: attrs}, &r)
	return r, err
}

// Report has the service rate a session (the service operator).
func (c *ServiceClient) Report(ctx context.Context, txn [trust.NonceSize]byte, tc float64) error {
	return c.do(ctx, "/v1/sessions/report", ReportRequest{Transaction: txn[:], Tc: tc}, nil)
}
