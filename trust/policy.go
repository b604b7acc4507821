package trust

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"trustbank/trust/score"
)

// Policy is how a service treats one tier: the paper's "service level by
// tier" (§3.1, Fig. 5). The service knows nothing else about the user.
type Policy struct {
	// Features the tier may use.
	Features []string
	// MaxRequests bounds the requests of one authenticated session.
	MaxRequests int
	// Rate and Burst bound the requests of the whole tier (a token bucket:
	// Rate per second, Burst at once): anonymous users cannot be limited
	// one by one, their tier can.
	Rate  float64
	Burst int
	// Attributes, if set, is the extra check the paper's Fig. 5 asks of a
	// low tier ("further trusted attributes"): every request must carry
	// attributes it accepts.
	Attributes AttributeChecker
}

// AttributeChecker checks the attributes a request presents.
type AttributeChecker interface {
	CheckAttributes(ctx context.Context, attrs map[string]string) error
}

// DefaultPolicies are the example service's: perfect gets every feature
// and the most requests, bad only reading, few requests, and an attribute
// check (attrs; nil: bad is refused outright).
func DefaultPolicies(attrs AttributeChecker) [len(score.Tiers)]Policy {
	var ps [len(score.Tiers)]Policy
	ps[score.TierPerfect] = Policy{Features: []string{"read", "write", "compute", "export"}, MaxRequests: 1000, Rate: 1000, Burst: 2000}
	ps[score.TierGood] = Policy{Features: []string{"read", "write", "compute"}, MaxRequests: 200, Rate: 500, Burst: 1000}
	ps[score.TierMediate] = Policy{Features: []string{"read", "write"}, MaxRequests: 50, Rate: 100, Burst: 200}
	ps[score.TierBad] = Policy{Features: []string{"read"}, MaxRequests: 5, Rate: 10, Burst: 20, Attributes: attrs}
	if attrs == nil {
		ps[score.TierBad].Features = nil
	}
	return ps
}

// allows checks feature and attributes against p.
func (p *Policy) allows(ctx context.Context, t score.Tier, feature string, attrs map[string]string) error {
	if !slices.Contains(p.Features, feature) {
		return fmt.Errorf("%w: tier %s may not use %q", ErrForbidden, t, feature)
	}
	if p.Attributes != nil {
		if err := p.Attributes.CheckAttributes(ctx, attrs); err != nil {
			return fmt.Errorf("%w: tier %s needs further attributes: %v", ErrForbidden, t, err)
		}
	}
	return nil
}

// bucket is a token bucket.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// take takes one token at now, if there is one.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// AttributeTokens is an AttributeChecker for one attribute the service's
// operator vouches for out of band (a verified payment method, a
// completed manual review): the operator issues a token for a value, and
// a request must present attribute Name = Token(value).
type AttributeTokens struct {
	Name string
	Key  []byte // the operator's MAC key
}

// Token returns the attribute value the operator hands out for value.
func (a AttributeTokens) Token(value string) string {
	return value + "." + hex.EncodeToString(a.mac(value))
}

func (a AttributeTokens) mac(value string) []byte {
	m := hmac.New(sha256.New, a.Key)
	m.Write([]byte("trustbank/trust/v1/attribute\x00" + a.Name + "\x00" + value))
	return m.Sum(nil)
}

// CheckAttributes implements AttributeChecker.
func (a AttributeTokens) CheckAttributes(_ context.Context, attrs map[string]string) error {
	tok, ok := attrs[a.Name]
	if !ok {
		return fmt.Errorf("attribute %q missing", a.Name)
	}
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return fmt.Errorf("attribute %q malformed", a.Name)
	}
	mac, err := hex.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(mac, a.mac(tok[:i])) {
		return fmt.Errorf("attribute %q not vouched for", a.Name)
	}
	return nil
}
