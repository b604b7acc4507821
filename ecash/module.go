package ecash

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/cloudflare/circl/blindsign/blindrsa"

	"trustbank/groupsig"
	"trustbank/groupsig/registry"
)

// ModuleConfig configures the bank module GB.
type ModuleConfig struct {
	Schedule  Schedule
	Identity  ed25519.PrivateKey // signs key sets; wallets and merchants pin its public key
	MasterKey [32]byte           // seals coin private keys at rest (AES-256-GCM)
	KeyBits   int                // coin key size; default 2048
	Now       func() time.Time   // default time.Now
	// GenerateKey makes a coin key; default rsa.GenerateKey with crypto/rand.
	GenerateKey func(bits int) (*rsa.PrivateKey, error)
	// RestoreAnonymity is the least average number of spent coins in a
	// bucket of the spent registry that restoring wallets download
	// (default DefaultRestoreAnonymity).
	RestoreAnonymity int
	// UserEpoch returns the user group's current key epoch; coin keys are
	// made and used per user epoch (see doc.go). Default: always 0.
	UserEpoch func() uint64
}

// Validate checks the configuration.
func (c *ModuleConfig) Validate() error {
	if err := c.Schedule.Validate(); err != nil {
		return err
	}
	if len(c.Identity) != ed25519.PrivateKeySize {
		return fmt.Errorf("ecash: module: identity key missing")
	}
	if c.KeyBits == 0 {
		c.KeyBits = 2048
	}
	if c.KeyBits < MinKeyBits {
		return fmt.Errorf("ecash: module: coin keys must have at least %d bits", MinKeyBits)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RestoreAnonymity <= 0 {
		c.RestoreAnonymity = DefaultRestoreAnonymity
	}
	if c.UserEpoch == nil {
		c.UserEpoch = func() uint64 { return 0 }
	}
	if c.GenerateKey == nil {
		c.GenerateKey = func(bits int) (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, bits) }
	}
	return nil
}

// Module is the cloud e-bank module GB: it manages the bank group, holds the
// coin keys, signs blinded coins for member banks, and (through the Store)
// keeps the float and the spent-coin registry shared by all banks.
type Module struct {
	cfg        ModuleConfig
	store      Store
	banks      *registry.Issuer
	bankOpener *registry.Opener
	aead       cipher.AEAD

	mu      sync.RWMutex
	signers map[KeyID]blindrsa.Signer
	public  map[KeyID]*rsa.PublicKey
	keyset  *KeySet
}

// NewModule loads the module's coin keys from store and makes sure the keys
// of the current and lookahead epochs exist. banks and bankOpener manage
// the bank group.
func NewModule(ctx context.Context, cfg ModuleConfig, store Store, banks *registry.Issuer, bankOpener *registry.Opener) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cfg.MasterKey[:])
	if err != nil {
		return nil, err
	}
	aead, _ := cipher.NewGCM(block)
	m := &Module{cfg: cfg, store: store, banks: banks, bankOpener: bankOpener, aead: aead,
		signers: map[KeyID]blindrsa.Signer{}, public: map[KeyID]*rsa.PublicKey{}}
	sealed, err := store.LoadModuleKeys(ctx)
	if err != nil {
		return nil, err
	}
	for id, b := range sealed {
		if err := m.addSealed(id, b); err != nil {
			return nil, err
		}
	}
	return m, m.EnsureKeys(ctx)
}

// keyAAD binds a sealed coin key to its id. Keys of user epoch 0 keep the
// data they were first sealed with.
func keyAAD(id KeyID) []byte {
	b := binary.BigEndian.AppendUint32([]byte("trustbank/ecash/v1/coin-key\x00"), uint32(id.Epoch)<<8|uint32(id.Denom))
	if id.Users != 0 {
		b = binary.BigEndian.AppendUint64(b, id.Users)
	}
	return b
}

func (m *Module) addSealed(id KeyID, sealed []byte) error {
	n := m.aead.NonceSize()
	if len(sealed) < n {
		return fmt.Errorf("ecash: module: sealed key %v too short", id)
	}
	der, err := m.aead.Open(nil, sealed[:n], sealed[n:], keyAAD(id))
	if err != nil {
		return fmt.Errorf("ecash: module: key %v does not open under this master key", id)
	}
	sk, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return fmt.Errorf("ecash: module: key %v: %w", id, err)
	}
	m.signers[id] = blindrsa.NewSigner(sk)
	m.public[id] = &sk.PublicKey
	return nil
}

// EnsureKeys generates and stores the keys of the current epoch and the
// lookahead epochs, for the user group's current epoch, that do not exist
// yet, and re-signs the key set. Call it after a user revocation (the
// node does), so that withdrawals can go on at once.
func (m *Module) EnsureKeys(ctx context.Context) error {
	now := m.cfg.Schedule.EpochAt(m.cfg.Now())
	users := m.cfg.UserEpoch()
	for e := now; e <= now+Epoch(m.cfg.Schedule.Lookahead); e++ {
		for _, d := range m.cfg.Schedule.Denoms {
			id := KeyID{Epoch: e, Denom: d, Users: users}
			m.mu.RLock()
			_, ok := m.public[id]
			m.mu.RUnlock()
			if ok {
				continue
			}
			if err := m.generate(ctx, id); err != nil {
				return err
			}
		}
	}
	m.resign()
	return nil
}

func (m *Module) generate(ctx context.Context, id KeyID) error {
	sk, err := m.cfg.GenerateKey(m.cfg.KeyBits)
	if err != nil {
		return err
	}
	nonce := make([]byte, m.aead.NonceSize())
	rand.Read(nonce)
	sealed := m.aead.Seal(nonce, nonce, x509.MarshalPKCS1PrivateKey(sk), keyAAD(id))
	if err := m.store.SaveModuleKey(ctx, id, sealed); err != nil {
		return fmt.Errorf("ecash: module: saving key %v: %w", id, err)
	}
	m.mu.Lock()
	m.signers[id] = blindrsa.NewSigner(sk)
	m.public[id] = &sk.PublicKey
	m.mu.Unlock()
	return nil
}

// resign rebuilds the published key set: keys from the oldest epoch whose
// coins can still be deposited to the last lookahead epoch, leaving out
// future keys of a past user epoch (they never signed anything).
func (m *Module) resign() {
	s := m.cfg.Schedule
	now := s.EpochAt(m.cfg.Now())
	users := m.cfg.UserEpoch()
	oldest := Epoch(0)
	if now > Epoch(s.DepositEpochs) {
		oldest = now - Epoch(s.DepositEpochs)
	}
	ks := &KeySet{Schedule: s}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, pk := range m.public {
		if id.Epoch >= oldest && id.Epoch <= now+Epoch(s.Lookahead) && (id.Epoch <= now || id.Users == users) {
			ks.Keys = append(ks.Keys, DenomKey{KeyID: id, PublicKey: pk})
		}
	}
	sortKeys(ks.Keys)
	ks.Sign(m.cfg.Identity)
	m.keyset = ks
}

// KeySet returns the current signed key set.
func (m *Module) KeySet() *KeySet {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.keyset
}

// IdentityKey returns the public key that signs key sets.
func (m *Module) IdentityKey() ed25519.PublicKey { return m.cfg.Identity.Public().(ed25519.PublicKey) }

// RegisterBank admits bank id to the bank group and returns its member key.
func (m *Module) RegisterBank(ctx context.Context, id string) (*groupsig.MemberKey, error) {
	return m.banks.Join(ctx, id)
}

// RevokeBank removes bank id from the bank group: its issue requests fail
// from now on, at no cost to verification; the other banks move their keys
// to the new epoch (Rekey).
func (m *Module) RevokeBank(ctx context.Context, id string) error {
	_, err := m.banks.Revoke(ctx, id)
	return err
}

// BankGroupKey returns the bank group's current public key.
func (m *Module) BankGroupKey() *groupsig.PublicKey { return m.banks.PublicKey() }

// Issue blind-signs the coins of an issue request from a member bank. It
// checks the bank-group signature, that the epoch is the current one (the
// withdraw window), that the coins escrow the user group's current epoch,
// and that every denomination is offered. Signing is pure: the caller
// commits the withdrawal with the result.
func (m *Module) Issue(ctx context.Context, q *IssueRequest) ([][]byte, error) {
	d := q.Digest()
	if err := m.banks.PublicKey().Verify(d[:], &q.GroupSig); err != nil {
		return nil, fmt.Errorf("%w: bank group: %w", ErrNotMember, err)
	}
	if cur := m.cfg.Schedule.EpochAt(m.cfg.Now()); q.Epoch != cur {
		return nil, fmt.Errorf("%w: withdrawals are for epoch %d, request names %d", ErrExpired, cur, q.Epoch)
	}
	return m.sign(q.Epoch, q.Users, q.Items)
}

// sign blind-signs items with the keys of epoch and user epoch users,
// which must be the user group's current epoch: a key of an earlier user
// epoch would let coins escrow a credential a revocation has published.
func (m *Module) sign(epoch Epoch, users uint64, items []BlindItem) ([][]byte, error) {
	if len(items) == 0 || len(items) > maxCoinsPerRequest {
		return nil, fmt.Errorf("%w: %d coins in one request", ErrMalformed, len(items))
	}
	if cur := m.cfg.UserEpoch(); users != cur {
		return nil, fmt.Errorf("%w: coins escrow user epoch %d, the user group is at %d", ErrUserEpoch, users, cur)
	}
	sigs := make([][]byte, len(items))
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i, it := range items {
		id := KeyID{Epoch: epoch, Denom: it.Denom, Users: users}
		signer, ok := m.signers[id]
		if !ok {
			return nil, fmt.Errorf("%w: %v", ErrUnknownKey, id)
		}
		sig, err := signer.BlindSign(it.Blinded)
		if err != nil {
			return nil, fmt.Errorf("%w: blinded coin %d: %v", ErrMalformed, i, err)
		}
		sigs[i] = sig
	}
	return sigs, nil
}

// OpenBank names the bank behind an issue request's group signature. Only
// the module can; coins and issue requests do not name their bank.
func (m *Module) OpenBank(ctx context.Context, q *IssueRequest) (string, error) {
	d := q.Digest()
	mem, err := m.bankOpener.Open(ctx, d[:], &q.GroupSig)
	if err != nil {
		return "", err
	}
	return mem.ID, nil
}

// IssuingBank names the bank that requested a committed withdrawal, by
// opening the bank-group signature kept in the issuance log.
func (m *Module) IssuingBank(ctx context.Context, id [RequestIDSize]byte) (string, error) {
	w, err := m.store.Withdrawal(ctx, id)
	if err != nil {
		return "", err
	}
	q := &IssueRequest{ID: w.RequestID, Epoch: w.Epoch, Users: w.Users, Items: w.Items}
	if err := q.GroupSig.UnmarshalBinary(w.BankSig); err != nil {
		return "", fmt.Errorf("ecash: module: stored bank signature: %w", err)
	}
	return m.OpenBank(ctx, q)
}

// Prune drops the spent-coin partitions of every epoch whose deposit window
// has closed: their coins are refused anyway (ErrExpired), so the registry
// only ever holds DepositEpochs+1 epochs.
func (m *Module) Prune(ctx context.Context) ([]Epoch, error) {
	s := m.cfg.Schedule
	cur := s.EpochAt(m.cfg.Now())
	if cur < Epoch(s.DepositEpochs)+1 {
		return nil, nil
	}
	return m.store.Prune(ctx, cur-Epoch(s.DepositEpochs))
}
