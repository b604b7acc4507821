package ecash

import (
	"context"
	"time"
)

// Account is a customer account at a bank.
type Account struct {
	Bank    string
	ID      string
	Owner   string // the user identity I_U (or merchant id)
	Key     []byte // Ed25519 public key that authorises withdrawals and deposits
	Balance Amount
}

// User is a registered user: identity I_U and the platform's attestation
// key (AIK) public area, as the user registry GU keeps them.
type User struct {
	Identity     string
	AIK          []byte
	RegisteredAt time.Time
}

// Withdrawal is everything one withdrawal commits at once.
type Withdrawal struct {
	RequestID   [RequestIDSize]byte
	RequestHash [32]byte // of the request encoding; a retry must match it
	Bank        string
	Account     string
	Amount      Amount
	Epoch       Epoch
	Users       uint64 // the user epoch the coins escrow (their keys')
	Items       []BlindItem
	BankSig     []byte // the bank-group signature on the issue request (openable by the module)
	Response    []byte // WithdrawResponse encoding, returned again on retry
	At          time.Time
}

// Deposit is everything one deposit commits at once.
type Deposit struct {
	RequestID   [RequestIDSize]byte
	RequestHash [32]byte
	Bank        string
	Account     string
	Amount      Amount
	Coins       []SpentCoin
	Payment     []byte // the transcript, kept as evidence
	At          time.Time
}

// Swap is everything one swap commits at once: the inputs spent (recorded
// like a deposit to SwapMerchant, their transcript kept as evidence) and the
// outputs issued (recorded like a withdrawal, without an account). The
// float does not change.
type Swap struct {
	RequestID   [RequestIDSize]byte
	RequestHash [32]byte
	Amount      Amount
	Coins       []SpentCoin
	Payment     []byte
	Epoch       Epoch
	Users       uint64
	Items       []BlindItem
	Response    []byte
	At          time.Time
}

// SpentCoin is one coin a deposit marks spent.
type SpentCoin struct {
	Epoch  Epoch
	Serial [SerialSize]byte
}

// DoubleSpend is recorded evidence: the same coin in two deposits.
type DoubleSpend struct {
	ID            int64
	Epoch         Epoch
	Serial        [SerialSize]byte
	FirstDeposit  [RequestIDSize]byte
	FirstPayment  []byte
	SecondPayment []byte
	SecondBank    string
	At            time.Time
}

// Totals are the money figures the invariant is checked on: Balances +
// Float = PaidIn, and Positions = −Float. PaidIn is at most
// money.MaxSupply, so no sum here can overflow.
type Totals struct {
	Balances  Amount // sum of all account balances
	Float     Amount // value of coins issued and not yet deposited (the module's liability)
	Positions int64  // sum of the banks' clearing positions with the module (= −Float)
	PaidIn    Amount // sum of all opening balances: the money paid in at the counter
}

// Store persists banks' accounts, the module's issuance log, float and
// spent-coin registry. Every method is atomic and durable on return, and
// safe for concurrent use. A method that would take an amount, a balance,
// the money paid in or a clearing position out of its range (package
// trustbank/internal/money) fails with ErrAmountRange and changes nothing.
type Store interface {
	// OpenAccount creates an account with an opening balance (cash paid in
	// at the counter), at most MaxBalance, and adds it to the money paid in
	// (at most money.MaxSupply). ErrAccountExists, ErrAmountRange.
	OpenAccount(ctx context.Context, a Account) error
	// Account returns an account. ErrUnknownAccount.
	Account(ctx context.Context, bank, id string) (Account, error)
	// Withdraw commits w: debit the account (ErrInsufficientFunds), add
	// w.Amount to the float, charge the bank's clearing position, log the
	// issuance. If w.RequestID was committed before, it returns the stored
	// response when the hashes match and ErrRequestReused otherwise; the
	// bool reports whether this call committed.
	Withdraw(ctx context.Context, w Withdrawal) (response []byte, committed bool, err error)
	// Withdrawal returns a committed withdrawal's record (the issuance log
	// entry: items and the bank-group signature). ErrUnknownKey if none.
	Withdrawal(ctx context.Context, id [RequestIDSize]byte) (Withdrawal, error)
	// Withdrawn returns the stored response of a committed withdrawal with
	// this id and request hash, nil if there is none, ErrRequestReused if
	// the id was used for another request.
	Withdrawn(ctx context.Context, id [RequestIDSize]byte, hash [32]byte) ([]byte, error)
	// Deposited is Withdrawn for deposits: the receipt, or nil.
	Deposited(ctx context.Context, id [RequestIDSize]byte, hash [32]byte) (*DepositReceipt, error)
	// Deposit commits d: mark every coin spent (all or none; a coin spent
	// before gives a *DoubleSpendError and the evidence is recorded once per
	// serial and transcript: a replay finds the same evidence), credit the
	// account (ErrAmountRange past MaxBalance), take d.Amount from the
	// float, credit the bank's position.
	// A retry of a committed request id returns its receipt.
	Deposit(ctx context.Context, d Deposit) (DepositReceipt, error)
	// Swap commits s (all or nothing; a spent input gives a
	// *DoubleSpendError). A retry of a committed swap returns its response.
	Swap(ctx context.Context, s Swap) ([]byte, error)
	// Blinded returns the blind signature the module issued for a blinded
	// message (wallet restore). ErrUnknownKey if none.
	BlindSignature(ctx context.Context, blinded []byte) ([]byte, error)
	// IsSpent reports whether a coin is in the spent registry (false for a
	// pruned epoch: its coins are refused as expired anyway).
	IsSpent(ctx context.Context, c SpentCoin) (bool, error)
	// SpentBucket returns the first 8 bytes of the serial of every spent
	// coin of epoch e whose serial's first `bits` bits (≤ 32) are prefix,
	// in serial order; none for a pruned epoch.
	SpentBucket(ctx context.Context, e Epoch, bits uint8, prefix uint32) ([]uint64, error)
	// DoubleSpends returns recorded double-spending evidence.
	DoubleSpends(ctx context.Context) ([]DoubleSpend, error)
	// Totals returns the money figures.
	Totals(ctx context.Context) (Totals, error)
	// LiveEpochs returns the epochs whose spent-coin partition exists.
	LiveEpochs(ctx context.Context) ([]Epoch, error)
	// Prune drops the spent-coin partitions of every epoch < before and
	// returns the epochs dropped.
	Prune(ctx context.Context, before Epoch) ([]Epoch, error)
	// SpentCount returns how many coins of epoch e are registered spent.
	SpentCount(ctx context.Context, e Epoch) (int64, error)
	// AddUser registers a user with the user registry. Registering the same
	// identity again with the same AIK is a no-op; with another AIK it is
	// ErrAccountExists.
	AddUser(ctx context.Context, u User) error
	// User returns a registered user. ErrUnknownUser.
	User(ctx context.Context, identity string) (User, error)
	// SaveModuleKey stores a sealed coin private key; LoadModuleKeys returns all.
	SaveModuleKey(ctx context.Context, id KeyID, sealed []byte) error
	LoadModuleKeys(ctx context.Context) (map[KeyID][]byte, error)
}
