package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"path/filepath"

	"trustbank/internal/atomicfile"
	"trustbank/trust"
)

// TrustServiceID is the example cloud service every node runs beside its
// identity provider.
const TrustServiceID = "cloud-storage"

// trustSecrets are the identity provider's four tier-group manager keys
// (trust.Keys encoding) and the example service's Ed25519 feedback key
// (seed) and attribute MAC key, made at first use.
type trustSecrets struct {
	TierKeys      []byte `json:"tier_keys"`
	ServiceKey    []byte `json:"service_key"`
	AttributesKey []byte `json:"attributes_key"`
}

// Trust is the identity provider of seed 004 and one example service.
type Trust struct {
	Provider   *trust.Provider
	Store      *trust.SQLStore
	Service    *trust.Service
	Attributes trust.AttributeTokens // the example service's bad-tier check
}

// trustKeys returns the trust secrets, making and saving them on first use.
func (s *secrets) trustKeys(path string) (*trust.Keys, *trustSecrets, error) {
	if s.Trust == nil {
		k, err := trust.GenerateKeys(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		ts := &trustSecrets{ServiceKey: make([]byte, ed25519.SeedSize), AttributesKey: make([]byte, 32)}
		ts.TierKeys, _ = k.MarshalBinary()
		rand.Read(ts.ServiceKey)
		rand.Read(ts.AttributesKey)
		s.Trust = ts
		if err := atomicfile.WriteJSON(path, s); err != nil {
			return nil, nil, err
		}
	}
	k, err := trust.ParseKeys(s.Trust.TierKeys)
	if err != nil || len(s.Trust.ServiceKey) != ed25519.SeedSize {
		return nil, nil, fmt.Errorf("node: trust keys in %s: %v", path, err)
	}
	return k, s.Trust, nil
}

// openTrust assembles the identity provider (its tier groups in the
// node's registry) and the example service, registered at the provider.
func (n *Node) openTrust(ctx context.Context, sec *secrets) error {
	keys, ts, err := sec.trustKeys(filepath.Join(n.cfg.DataDir, secretsFile))
	if err != nil {
		return err
	}
	t := &Trust{Attributes: trust.AttributeTokens{Name: "review", Key: ts.AttributesKey}}
	n.Trust = t
	if t.Store, err = trust.NewSQLStore(ctx, n.DB); err != nil {
		return err
	}
	if t.Provider, err = trust.NewProvider(ctx, trust.ProviderConfig{Store: t.Store, Registry: n.Registry, Keys: keys, Now: n.cfg.Now}); err != nil {
		return err
	}
	key := ed25519.NewKeyFromSeed(ts.ServiceKey)
	if err := t.Provider.RegisterService(ctx, TrustServiceID, key.Public().(ed25519.PublicKey)); err != nil {
		return err
	}
	t.Service, err = trust.NewService(trust.ServiceConfig{ID: TrustServiceID, Key: key, Keys: t.Provider, Feedback: t.Provider,
		Policies: trust.DefaultPolicies(t.Attributes), Now: n.cfg.Now})
	return err
}
