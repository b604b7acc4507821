package trust

import (
	"context"
	"errors"
	"fmt"

	"trustbank/groupsig/registry"
	"trustbank/trust/score"
)

// Receipt acknowledges a counted report. A retried report gets the same
// receipt; the receipt says nothing about the user (not even its new
// tier), so the service learns no more than it knew.
type Receipt struct {
	Service     string
	Transaction [NonceSize]byte
}

// Feedback is the provider's cloud-feedback and feedback-management
// intake. It checks the service's signature, opens the authentication the
// report carries to find the user (the service never learns who), applies
// the trust update (score.Update) and, if the tier changes, re-groups the
// user — all recorded durably before it answers. A report is counted once
// per (service, transaction): the same report again gets the same
// receipt, another one ErrFeedbackConflict.
func (p *Provider) Feedback(ctx context.Context, sr *SignedReport) (*Receipt, error) {
	if err := sr.check(); err != nil {
		return nil, err
	}
	svc, err := p.store.Service(ctx, sr.Service)
	if err != nil {
		return nil, err
	}
	if err := sr.verify(svc.Key); err != nil {
		return nil, err
	}
	digest := sr.digest()
	if rec, err := p.store.Feedback(ctx, sr.Service, sr.Transaction); err == nil {
		unlock := p.lock(rec.User)
		defer unlock()
		return p.again(ctx, rec, digest)
	} else if !errors.Is(err, errNoFeedback) {
		return nil, err
	}
	user, err := p.rated(ctx, &sr.Report)
	if err != nil {
		return nil, err
	}
	unlock := p.lock(user)
	defer unlock()
	for {
		err := p.count(ctx, &sr.Report, user, digest)
		switch {
		case errors.Is(err, errVersion):
			continue // another provider process changed the user; read again
		case errors.Is(err, errDuplicateFeedback):
			rec, ferr := p.store.Feedback(ctx, sr.Service, sr.Transaction)
			if ferr != nil {
				return nil, ferr
			}
			return p.again(ctx, rec, digest)
		case err != nil:
			return nil, err
		}
		if err := p.settle(ctx, user); err != nil {
			return nil, err
		}
		return &Receipt{Service: sr.Service, Transaction: sr.Transaction}, nil
	}
}

// again answers a report whose transaction is already counted; the
// caller holds the user's lock.
func (p *Provider) again(ctx context.Context, rec FeedbackRecord, digest [32]byte) (*Receipt, error) {
	if rec.Digest != digest {
		return nil, fmt.Errorf("%w: service %q transaction %x…", ErrFeedbackConflict, rec.Service, rec.Transaction[:8])
	}
	if err := p.settle(ctx, rec.User); err != nil { // a crash may have come between count and settle
		return nil, err
	}
	return &Receipt{Service: rec.Service, Transaction: rec.Transaction}, nil
}

// count records the report and the user's new trust in one transaction,
// re-grouping the user if its tier changes.
func (p *Provider) count(ctx context.Context, r *Report, user string, digest [32]byte) error {
	u, err := p.store.User(ctx, user)
	if err != nil {
		return err
	}
	if u.Revoked {
		return fmt.Errorf("%w: %q", ErrUserRevoked, user)
	}
	next, err := score.Update(u.State, r.Tc)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	nu := u
	nu.State, nu.Version = next, u.Version+1
	var move *Membership
	if t := next.Tier(); t != u.Tier {
		nu.Tier, nu.Generation = t, u.Generation+1
		nu.Member = memberID(user, nu.Generation)
		move = &Membership{Tier: t, Member: nu.Member, User: user, Status: Pending}
	}
	f := FeedbackRecord{Service: r.Service, Transaction: r.Transaction, User: user, Tc: r.Tc, T: next.T,
		Digest: digest, At: p.cfg.Now()}
	return p.store.RecordFeedback(ctx, f, nu, move)
}

// rated opens the report's authentication to the user it rates. The
// authentication must be recent (FeedbackWindow); one that opens to a key
// a later revocation published (the user was re-grouped or left since)
// counts only if it was made while that key's epoch was current, so the
// published key cannot be used to invent sessions afterwards.
func (p *Provider) rated(ctx context.Context, r *Report) (string, error) {
	now, at := p.cfg.Now(), r.Auth.Time
	if at.After(now.Add(clockSkew)) || now.Sub(at) > p.cfg.FeedbackWindow {
		return "", fmt.Errorf("%w: authenticated at %s, now %s, window %s", ErrFeedbackStale,
			at.UTC().Format("15:04:05"), now.UTC().Format("15:04:05"), p.cfg.FeedbackWindow)
	}
	g := p.groups[r.Auth.Tier]
	m, err := g.opener.Open(ctx, r.Auth.AuthMessage.Bytes(), &r.Auth.Signature)
	if pub, ok := errors.AsType[*registry.PublishedKeyError](err); ok {
		if err := p.madeWhileCurrent(ctx, r); err != nil {
			return "", err
		}
		m, err = pub.Member, nil
	}
	if err != nil {
		return "", notMember(err)
	}
	return p.store.MemberUser(ctx, r.Auth.Tier, m.ID)
}

// madeWhileCurrent checks that the authentication's time is before the
// revocation that ended its signature's epoch.
func (p *Provider) madeWhileCurrent(ctx context.Context, r *Report) error {
	revs, err := p.cfg.Registry.Revocations(ctx, GroupName(r.Auth.Tier), r.Auth.Signature.Epoch)
	if err != nil {
		return err
	}
	if len(revs) > 0 && !r.Auth.Time.Before(revs[0].At) {
		return fmt.Errorf("%w: signed at epoch %d after that epoch ended", ErrFeedbackStale, r.Auth.Signature.Epoch)
	}
	return nil
}
