package trust

import (
	"fmt"
	"io"

	"trustbank/groupsig"
	"trustbank/trust/score"
)

// GroupName is the registry name of a tier's group.
func GroupName(t score.Tier) string { return "trust-" + t.String() }

// GroupKeys are one tier group's manager secrets: the issuer's (admits
// and revokes members) and the opener's (names signers). Both stay at the
// identity provider.
type GroupKeys struct {
	Issuer *groupsig.IssuerKey
	Opener *groupsig.OpenerKey
}

// Keys are the four tier groups' manager keys, indexed by score.Tier:
// four groups, each with its own manager, as the paper has it.
type Keys [len(score.Tiers)]GroupKeys

// GenerateKeys makes a fresh pair of manager keys for every tier.
func GenerateKeys(rand io.Reader) (*Keys, error) {
	var k Keys
	for _, t := range score.Tiers {
		_, ik, ok, err := groupsig.Setup(rand)
		if err != nil {
			return nil, err
		}
		k[t] = GroupKeys{Issuer: ik, Opener: ok}
	}
	return &k, nil
}

const groupKeysSize = groupsig.IssuerKeySize + groupsig.OpenerKeySize

// MarshalBinary encodes the keys tier by tier (issuer ‖ opener), for the
// provider's secrets file.
func (k *Keys) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, len(k)*groupKeysSize)
	for _, g := range k {
		ib, _ := g.Issuer.MarshalBinary()
		ob, _ := g.Opener.MarshalBinary()
		out = append(append(out, ib...), ob...)
	}
	return out, nil
}

// ParseKeys decodes and checks keys written by MarshalBinary.
func ParseKeys(b []byte) (*Keys, error) {
	var k Keys
	if len(b) != len(k)*groupKeysSize {
		return nil, fmt.Errorf("%w: tier keys are %d bytes, want %d", ErrMalformed, len(b), len(k)*groupKeysSize)
	}
	for i := range k {
		g := b[i*groupKeysSize:]
		ik, err := groupsig.ParseIssuerKey(g[:groupsig.IssuerKeySize])
		if err != nil {
			return nil, fmt.Errorf("%w: tier %s issuer key: %w", ErrMalformed, score.Tier(i), err)
		}
		ok, err := groupsig.ParseOpenerKey(g[groupsig.IssuerKeySize:groupKeysSize])
		if err != nil {
			return nil, fmt.Errorf("%w: tier %s opener key: %w", ErrMalformed, score.Tier(i), err)
		}
		k[i] = GroupKeys{Issuer: ik, Opener: ok}
	}
	return &k, nil
}

// Zeroize clears every secret.
func (k *Keys) Zeroize() {
	for _, g := range k {
		g.Issuer.Zeroize()
		g.Opener.Zeroize()
	}
}
