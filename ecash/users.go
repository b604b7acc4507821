package ecash

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"trustbank/groupsig"
	"trustbank/groupsig/registry"
)

// ErrReplayedTranscript is what tracing finds when the "double spend" is
// one payment deposited twice: the depositor replayed it, the user did
// nothing wrong, and nobody is named.
var ErrReplayedTranscript = errors.New("ecash: the same payment was deposited twice; the user is not at fault")

// UserRegistry is GU: it registers users (identity I_U and platform AIK),
// issues their user-group keys, publishes the user-group public key that
// merchants verify with, and opens user signatures to name a cheater.
type UserRegistry struct {
	store  Store
	issuer *registry.Issuer
	opener *registry.Opener
	keys   *registry.PublicKeys
}

// NewUserRegistry returns GU over the user group managed by issuer and
// opener, whose registry keys are keys.
func NewUserRegistry(store Store, issuer *registry.Issuer, opener *registry.Opener, keys *registry.PublicKeys) *UserRegistry {
	return &UserRegistry{store: store, issuer: issuer, opener: opener, keys: keys}
}

// Register records a user without a platform key and returns its
// user-group member key (the same key again if it registers again). A TPM's
// AIK is registered only through enrolment (Enroller), which proves the
// TPM holds it.
func (u *UserRegistry) Register(ctx context.Context, identity string) (*groupsig.MemberKey, error) {
	return u.register(ctx, identity, []byte{})
}

// register records the user and its AIK (empty: none). Registering again
// with the same AIK returns the same key; with another, ErrAccountExists.
func (u *UserRegistry) register(ctx context.Context, identity string, aik []byte) (*groupsig.MemberKey, error) {
	if identity == "" || len(identity) > maxAccountID {
		return nil, fmt.Errorf("%w: identity must be 1 to %d bytes", ErrMalformed, maxAccountID)
	}
	if err := u.store.AddUser(ctx, User{Identity: identity, AIK: aik, RegisteredAt: time.Now()}); err != nil {
		return nil, err
	}
	return u.issuer.Join(ctx, identity)
}

// AIK returns the registered platform key of a user (for the bank's
// attestation check at withdrawal).
func (u *UserRegistry) AIK(ctx context.Context, identity string) ([]byte, error) {
	usr, err := u.store.User(ctx, identity)
	return usr.AIK, err
}

// Keys returns the user-group public key of an epoch.
func (u *UserRegistry) Keys(ctx context.Context) UserKeys {
	return func(epoch uint64) (*groupsig.PublicKey, error) { return u.keys.At(ctx, epoch) }
}

// CurrentKey returns the user group's current public key.
func (u *UserRegistry) CurrentKey() *groupsig.PublicKey { return u.issuer.PublicKey() }

// Revoke removes a user from the user group (BBS04 §7): the group moves to
// a new epoch whose update every other member applies (Updates), the
// user's key cannot follow, and the module must make coin keys for the new
// epoch (Module.EnsureKeys) before the next withdrawal. The revoked user's
// coins withdrawn before stay spendable until they expire — the user paid
// for them, and their escrow still names the user — but the user can
// neither withdraw nor sign at the new epoch.
func (u *UserRegistry) Revoke(ctx context.Context, identity string) (*groupsig.Revocation, error) {
	return u.issuer.Revoke(ctx, identity)
}

// Updates returns the published revocation updates after user epoch
// `after`, for wallets to move their keys on (Wallet.UpdateMember).
func (u *UserRegistry) Updates(ctx context.Context, after uint64) ([]*groupsig.Revocation, error) {
	return u.issuer.Updates(ctx, after)
}

// Open names the user behind a group signature on msg. A signature at an
// epoch whose key a revocation has since published names nobody
// (registry.ErrKeyPublished): anyone could have made it.
func (u *UserRegistry) Open(ctx context.Context, msg []byte, sig *groupsig.Signature) (string, error) {
	m, err := u.opener.Open(ctx, msg, sig)
	return m.ID, err
}

// CheckActive returns ErrUserRevoked for a revoked user and ErrUnknownUser
// for one never registered; banks refuse their withdrawals.
func (u *UserRegistry) CheckActive(ctx context.Context, identity string) error {
	m, err := u.issuer.Member(ctx, identity)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return fmt.Errorf("%w: %q", ErrUnknownUser, identity)
	case err != nil:
		return err
	case m.Status != registry.Active:
		return fmt.Errorf("%w: %q (at user epoch %d)", ErrUserRevoked, identity, m.RevokedEpoch)
	}
	return nil
}

// Trace names the withdrawer of a double-spent coin from the two deposited
// transcripts. Each transcript carries, for the coin, a group signature
// whose linear encryption is the identity escrow the coin commits to, so
// both open to the member whose credential the withdrawer put in the coin —
// whoever presented them. The same transcript twice proves nothing against
// the user (ErrReplayedTranscript).
//
// A withdrawer revoked since is still named: the coin's module key was made
// for the user epoch of its escrow and used only while that epoch was
// current, so the escrow is older than the revocation that published the
// withdrawer's key (see doc.go, "Revocation").
func (u *UserRegistry) Trace(ctx context.Context, ds DoubleSpend) (string, error) {
	var first, second Payment
	if err := first.UnmarshalBinary(ds.FirstPayment); err != nil {
		return "", fmt.Errorf("ecash: trace: first transcript: %w", err)
	}
	if err := second.UnmarshalBinary(ds.SecondPayment); err != nil {
		return "", fmt.Errorf("ecash: trace: second transcript: %w", err)
	}
	if string(first.Challenge.Encode()) == string(second.Challenge.Encode()) {
		return "", ErrReplayedTranscript
	}
	var names [2]string
	for i, p := range []*Payment{&first, &second} {
		name, err := u.openCoin(ctx, p, ds.Serial)
		if err != nil {
			return "", fmt.Errorf("ecash: trace: transcript %d: %w", i+1, err)
		}
		names[i] = name
	}
	if names[0] != names[1] { // impossible unless the escrow binding failed
		return "", fmt.Errorf("ecash: trace: transcripts of one coin open to %q and %q", names[0], names[1])
	}
	return names[0], nil
}

// openCoin opens the group signature p carries for the coin with serial.
func (u *UserRegistry) openCoin(ctx context.Context, p *Payment, serial [SerialSize]byte) (string, error) {
	i := slices.IndexFunc(p.Coins, func(c Coin) bool { return c.Message.Serial == serial })
	if i < 0 || len(p.GroupSigs) != len(p.Coins) {
		return "", fmt.Errorf("%w: the transcript does not carry coin %x…", ErrMalformed, serial[:6])
	}
	m, sig := &p.Coins[i].Message, &p.GroupSigs[i]
	esc := sig.Escrow()
	if sig.Epoch != m.Users || EscrowHash(&esc) != m.Escrow {
		return "", fmt.Errorf("%w: the signature is not for the coin's escrow", ErrNotMember)
	}
	d := p.Digest()
	mem, err := u.opener.Open(ctx, d[:], sig)
	var pub *registry.PublishedKeyError
	if errors.As(err, &pub) {
		return pub.Member.ID, nil // the coin's key dates the escrow before the revocation
	}
	return mem.ID, err
}
