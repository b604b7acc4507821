package ecash

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"time"

	"trustbank/groupsig"
)

// Issuer is the module as a bank sees it (in one process: *Module; across
// processes: an HTTP client).
type Issuer interface {
	Issue(ctx context.Context, q *IssueRequest) ([][]byte, error)
	KeySet() *KeySet
}

// AttestationVerifier checks a platform quote made by aik over nonce
// against the golden PCR allowlist (package attest implements it).
type AttestationVerifier interface {
	VerifyQuote(aik, evidence []byte, nonce [32]byte) error
}

// Directory answers the bank's questions to the user registry GU.
type Directory interface {
	AIK(ctx context.Context, identity string) ([]byte, error)
	Keys(ctx context.Context) UserKeys
	CheckActive(ctx context.Context, identity string) error
}

// BankConfig configures a bank B_i.
type BankConfig struct {
	ID     string
	Member *groupsig.MemberKey // the bank's bank-group key
	// Rekey returns the bank's current bank-group key after the group has
	// moved to a new epoch (another bank was revoked); nil: never moves.
	Rekey      func(ctx context.Context) (*groupsig.MemberKey, error)
	GroupKey   func() *groupsig.PublicKey
	Module     Issuer
	Users      Directory
	Attest     AttestationVerifier // nil: the bank takes no platform evidence
	RequireTPM bool                // refuse withdrawals without platform evidence
	Now        func() time.Time
}

// Bank is B_i: it keeps accounts, serves withdrawals by asking the module
// for blind signatures under its bank-group signature, and takes deposits
// of payments in coins issued by any bank of the module.
type Bank struct {
	cfg      BankConfig
	store    Store
	accounts sync.Map // id → Account (owner and key only)
	memberMu sync.Mutex
	member   *groupsig.MemberKey
	// verifying admits as many verifications at once as there are cores, so
	// a burst of requests does not starve the group-commit loop of CPU.
	verifying chan struct{}
}

// NewBank returns bank cfg.ID over store.
func NewBank(cfg BankConfig, store Store) (*Bank, error) {
	if cfg.ID == "" || cfg.Member == nil || cfg.Module == nil || cfg.Users == nil || cfg.GroupKey == nil {
		return nil, fmt.Errorf("ecash: bank: incomplete configuration")
	}
	if cfg.RequireTPM && cfg.Attest == nil {
		return nil, fmt.Errorf("ecash: bank: RequireTPM needs an attestation verifier")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Bank{cfg: cfg, store: store, member: cfg.Member, verifying: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// ID returns the bank's identifier.
func (b *Bank) ID() string { return b.cfg.ID }

// OpenAccount opens an account for owner with an opening balance.
func (b *Bank) OpenAccount(ctx context.Context, id, owner string, key ed25519.PublicKey, balance Amount) error {
	if id == "" || len(id) > maxAccountID || len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: account id must be 1 to %d bytes and the key an Ed25519 key", ErrMalformed, maxAccountID)
	}
	return b.store.OpenAccount(ctx, Account{Bank: b.cfg.ID, ID: id, Owner: owner, Key: key, Balance: balance})
}

// Account returns one of the bank's accounts.
func (b *Bank) Account(ctx context.Context, id string) (Account, error) {
	return b.store.Account(ctx, b.cfg.ID, id)
}

// Withdraw serves a withdrawal: it checks the account holder's signature,
// the platform evidence, the epoch and denominations, obtains the blind
// signatures from the module under the bank's group signature, and commits
// debit, float and issuance log in one transaction. A retry with the same
// request id returns the same signatures and debits once.
func (b *Bank) Withdraw(ctx context.Context, q *WithdrawRequest) (*WithdrawResponse, error) {
	enc, _ := q.MarshalBinary()
	hash := sha256.Sum256(enc)
	if prior, err := b.store.Withdrawn(ctx, q.ID, hash); prior != nil || err != nil {
		return decodeResponse(prior, err) // a retry: same signatures, no second debit
	}
	acct, err := b.store.Account(ctx, b.cfg.ID, q.Account)
	if err != nil {
		return nil, err
	}
	d := q.SignedDigest()
	if !ed25519.Verify(acct.Key, d[:], q.Sig) {
		return nil, fmt.Errorf("%w: withdrawal not signed by the holder of %s", ErrBadSignature, q.Account)
	}
	if err := b.cfg.Users.CheckActive(ctx, acct.Owner); err != nil {
		return nil, err
	}
	if err := b.checkEvidence(ctx, acct.Owner, q); err != nil {
		return nil, err
	}
	ks := b.cfg.Module.KeySet()
	for i, it := range q.Items {
		if _, err := ks.Key(KeyID{Epoch: q.Epoch, Denom: it.Denom, Users: q.Users}); err != nil {
			return nil, fmt.Errorf("coin %d: %w", i, err)
		}
	}
	iq := &IssueRequest{ID: q.ID, Epoch: q.Epoch, Users: q.Users, Items: q.Items}
	id := iq.Digest()
	gsig, err := b.groupSign(ctx, id[:])
	if err != nil {
		return nil, fmt.Errorf("ecash: bank %s: group signature: %w", b.cfg.ID, err)
	}
	iq.GroupSig = *gsig
	sigs, err := b.cfg.Module.Issue(ctx, iq)
	if err != nil {
		return nil, err
	}
	resp := &WithdrawResponse{ID: q.ID, BlindSigs: sigs}
	respEnc, _ := resp.MarshalBinary()
	gsigEnc, _ := gsig.MarshalBinary()
	stored, _, err := b.store.Withdraw(ctx, Withdrawal{
		RequestID: q.ID, RequestHash: hash, Bank: b.cfg.ID, Account: q.Account, Amount: q.Value(),
		Epoch: q.Epoch, Users: q.Users, Items: q.Items, BankSig: gsigEnc, Response: respEnc, At: b.cfg.Now(),
	})
	return decodeResponse(stored, err)
}

func decodeResponse(b []byte, err error) (*WithdrawResponse, error) {
	if err != nil {
		return nil, err
	}
	var out WithdrawResponse
	if err := out.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &out, nil
}

func (b *Bank) checkEvidence(ctx context.Context, owner string, q *WithdrawRequest) error {
	if len(q.Evidence) == 0 {
		if b.cfg.RequireTPM {
			return fmt.Errorf("%w: this bank requires platform evidence", ErrAttestation)
		}
		return nil
	}
	if b.cfg.Attest == nil {
		return fmt.Errorf("%w: this bank does not take platform evidence", ErrAttestation)
	}
	aik, err := b.cfg.Users.AIK(ctx, owner)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAttestation, err)
	}
	if err := b.cfg.Attest.VerifyQuote(aik, q.Evidence, q.QuoteNonce()); err != nil {
		return fmt.Errorf("%w: %w", ErrAttestation, err)
	}
	return nil
}

// Deposit takes a merchant's deposit: it checks the merchant's signature
// and the whole payment (offline checks again, in the deposit window), then
// marks the coins spent in the module's shared registry, credits the
// merchant and is paid from the float, in one transaction. A coin spent
// before gives a *DoubleSpendError and changes nothing but the evidence log.
func (b *Bank) Deposit(ctx context.Context, q *DepositRequest) (DepositReceipt, error) {
	enc, _ := q.MarshalBinary()
	hash := sha256.Sum256(enc)
	b.verifying <- struct{}{}
	p, err := b.checkDeposit(ctx, q)
	<-b.verifying
	if err != nil {
		// A retry of a committed deposit is answered from the log even if
		// its coins have expired since; a retry that verifies simply meets
		// its own request id in the store.
		if prior, perr := b.store.Deposited(ctx, q.ID, hash); prior != nil || perr != nil {
			if perr != nil {
				return DepositReceipt{}, perr
			}
			return *prior, nil
		}
		return DepositReceipt{}, err
	}
	coins := make([]SpentCoin, len(p.Coins))
	for i, c := range p.Coins {
		coins[i] = SpentCoin{Epoch: c.Message.Epoch, Serial: c.Message.Serial}
	}
	return b.store.Deposit(ctx, Deposit{
		RequestID: q.ID, RequestHash: hash, Bank: b.cfg.ID, Account: q.Account,
		Amount: p.Value(), Coins: coins, Payment: q.Payment, At: b.cfg.Now(),
	})
}

// checkDeposit verifies a deposit request: the merchant's signature, and
// the payment to that merchant, in the deposit window.
func (b *Bank) checkDeposit(ctx context.Context, q *DepositRequest) (*Payment, error) {
	acct, err := b.account(ctx, q.Account)
	if err != nil {
		return nil, err
	}
	d := q.SignedDigest()
	if !ed25519.Verify(acct.Key, d[:], q.Sig) {
		return nil, fmt.Errorf("%w: deposit not signed by the holder of %s", ErrBadSignature, q.Account)
	}
	var p Payment
	if err := p.UnmarshalBinary(q.Payment); err != nil {
		return nil, err
	}
	if p.Challenge.Bank != b.cfg.ID || p.Challenge.Account != q.Account {
		return nil, fmt.Errorf("%w: payment is to %s, deposit into %s@%s", ErrChallenge, p.Challenge.Payee(), q.Account, b.cfg.ID)
	}
	if err := VerifyPayment(&p, b.cfg.Module.KeySet(), b.cfg.Users.Keys(ctx), b.cfg.Now(), DepositWindow); err != nil {
		return nil, err
	}
	return &p, nil
}

// account returns an account's owner and key, cached: both are fixed when
// the account is opened (balances are always read in the transaction).
func (b *Bank) account(ctx context.Context, id string) (Account, error) {
	if a, ok := b.accounts.Load(id); ok {
		return a.(Account), nil
	}
	a, err := b.store.Account(ctx, b.cfg.ID, id)
	if err != nil {
		return a, err
	}
	a.Balance = 0 // never serve a cached balance
	b.accounts.Store(id, a)
	return a, nil
}

// groupSign signs with the bank's bank-group key, first moving the key to
// the group's current epoch if a revocation moved the group on.
func (b *Bank) groupSign(ctx context.Context, msg []byte) (*groupsig.Signature, error) {
	pk := b.cfg.GroupKey()
	b.memberMu.Lock()
	defer b.memberMu.Unlock()
	if b.member.Epoch != pk.Epoch {
		if b.cfg.Rekey == nil {
			return nil, fmt.Errorf("%w: bank key at epoch %d, group at %d", groupsig.ErrStaleKey, b.member.Epoch, pk.Epoch)
		}
		mk, err := b.cfg.Rekey(ctx)
		if err != nil {
			return nil, err
		}
		if err := mk.Check(pk); err != nil {
			return nil, err
		}
		b.member = mk
	}
	return b.member.Sign(rand.Reader, pk, msg)
}
