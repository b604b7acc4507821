package trust

import (
	"context"
	"errors"
	"fmt"

	"trustbank/groupsig/registry"
)

// Re-grouping, crash-safe.
//
// A tier change (or an exit) is decided in ONE store transaction with its
// cause (the feedback row, or the revocation mark): the user's record gets
// its new tier and member id, the old membership becomes Leaving and the
// new one Pending. The registry — another store — is then brought in line
// by settle, whose every step is idempotent:
//
//  1. every Leaving membership is revoked in its tier group (a member
//     already revoked, or never joined, counts as done) and marked Left;
//  2. the Pending membership is joined (Join of an active member returns
//     its key again) and marked Active.
//
// Revoking before joining means that at no instant does the user hold two
// usable memberships; a crash between 1 and 2 leaves it with none, which
// settle repairs when the provider starts (Recover), when the report is
// retried, and when the client fetches its key — the client needs the new
// key anyway. The feedback is acknowledged only after settle, so once a
// service has its receipt the old tier's signatures fail the revocation
// check everywhere.

// settle brings the registry in line with the store for one user; the
// caller holds the user's lock.
func (p *Provider) settle(ctx context.Context, user string) error {
	ms, err := p.store.Memberships(ctx, user)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Status != Leaving {
			continue
		}
		if err := p.revokeMember(ctx, m); err != nil {
			return err
		}
		if err := p.store.SetMembership(ctx, m.Tier, m.Member, Leaving, Left); err != nil {
			return err
		}
	}
	for _, m := range ms {
		if m.Status != Pending {
			continue
		}
		if _, err := p.retry(ctx, func() (any, error) { return p.groups[m.Tier].issuer.Join(ctx, m.Member) }); err != nil {
			return fmt.Errorf("trust: joining %s to tier %s: %w", m.Member, m.Tier, err)
		}
		if err := p.store.SetMembership(ctx, m.Tier, m.Member, Pending, Active); err != nil {
			return err
		}
	}
	return nil
}

// revokeMember revokes m in its tier group; already revoked or never
// joined is done.
func (p *Provider) revokeMember(ctx context.Context, m Membership) error {
	_, err := p.retry(ctx, func() (any, error) { return p.groups[m.Tier].issuer.Revoke(ctx, m.Member) })
	if err == nil || errors.Is(err, registry.ErrNotActive) || errors.Is(err, registry.ErrNotFound) {
		return nil
	}
	return fmt.Errorf("trust: revoking %s in tier %s: %w", m.Member, m.Tier, err)
}

// retry runs a registry operation again when another issuer moved the
// group meanwhile (the issuer reloads its key before answering).
func (p *Provider) retry(ctx context.Context, op func() (any, error)) (any, error) {
	var err error
	for range 3 {
		var v any
		if v, err = op(); !errors.Is(err, registry.ErrEpochConflict) {
			return v, err
		}
	}
	return nil, err
}

// Recover settles every user a crash left between the store and the
// registry. NewProvider calls it.
func (p *Provider) Recover(ctx context.Context) error {
	users, err := p.store.Unsettled(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		unlock := p.lock(u)
		err := p.settle(ctx, u)
		unlock()
		if err != nil {
			return err
		}
	}
	return nil
}
