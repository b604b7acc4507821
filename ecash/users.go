package ecash

import (
	"context"
	"errors"
	"fmt"
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

// Trace opens the user signatures of both transcripts of a double spend and
// names the user who signed both. Two different challenges answered with
// the same coin prove the user spent it twice (the coin key and the user's
// group signature bind each challenge); the same transcript twice proves
// nothing against the user (ErrReplayedTranscript).
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
		d := p.Digest()
		m, err := u.opener.Open(ctx, d[:], &p.GroupSig)
		if err != nil {
			return "", fmt.Errorf("ecash: trace: transcript %d: %w", i+1, err)
		}
		names[i] = m.ID
	}
	if names[0] != names[1] {
		return "", fmt.Errorf("ecash: trace: transcripts signed by different users (%q, %q): the coin leaked", names[0], names[1])
	}
	return names[0], nil
}
