package node

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"trustbank/groupsig"
	"trustbank/internal/atomicfile"
	"trustbank/ledger"
)

// secrets are the long-term keys of an all-in-one deployment. They live in
// <data>/secrets.json (mode 0600), written atomically and durably before
// anything that depends on them is stored in the database.
type secrets struct {
	ModuleIdentity  []byte `json:"module_identity"`   // Ed25519 private key: signs key sets
	MasterKey       []byte `json:"master_key"`        // seals coin keys at rest
	BankGroupIssuer []byte `json:"bank_group_issuer"` // groupsig issuer key of the bank group (GB)
	BankGroupOpener []byte `json:"bank_group_opener"`
	UserGroupIssuer []byte `json:"user_group_issuer"` // groupsig issuer key of the user group (GU)
	UserGroupOpener []byte `json:"user_group_opener"`
	// AdminToken authorises the operator endpoints (opening accounts,
	// registering users): bearer token, 32 random bytes in hex.
	AdminToken string `json:"admin_token"`
	// The ledger bank's SM2 signing key and its SM2 key for balance batch
	// keys (β), 32-byte scalars.
	LedgerSign []byte `json:"ledger_sign"`
	LedgerEnc  []byte `json:"ledger_enc"`
	// LedgerScheme is the ledger's signature scheme, fixed at first use
	// ("sm2" or "sm9"); LedgerSM9Master its SM9 master key (ASN.1) if sm9.
	LedgerScheme    string `json:"ledger_scheme,omitempty"`
	LedgerSM9Master []byte `json:"ledger_sm9_master,omitempty"`
	// Shield holds the shield bank's CA and server key (sealed) and
	// certificates, made at first use.
	Shield *shieldSecrets `json:"shield,omitempty"`
	// Einvoice holds the tax e-invoice system's registration key and
	// invoice-signing key (sealed) and the signing certificate, made at
	// first use.
	Einvoice *einvoiceSecrets `json:"einvoice,omitempty"`
	// Trust holds the identity provider's tier-group keys and the example
	// service's keys (seed 004), made at first use.
	Trust *trustSecrets `json:"trust,omitempty"`
}

const secretsFile = "secrets.json"

// loadOrCreateSecrets reads the data directory's secrets, creating them on
// first use.
func loadOrCreateSecrets(dir string) (*secrets, error) {
	path := filepath.Join(dir, secretsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s, err := newSecrets()
		if err != nil {
			return nil, err
		}
		return s, atomicfile.WriteJSON(path, s)
	}
	if err != nil {
		return nil, err
	}
	var s secrets
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("node: %s: %w", path, err)
	}
	if len(s.ModuleIdentity) != ed25519.PrivateKeySize || len(s.MasterKey) != 32 {
		return nil, fmt.Errorf("node: %s is incomplete", path)
	}
	// Keys added by later versions are made once and saved.
	upgraded := false
	if s.AdminToken == "" {
		s.AdminToken, upgraded = newToken(), true
	}
	if len(s.LedgerSign) == 0 || len(s.LedgerEnc) == 0 {
		if err := s.newLedgerKeys(); err != nil {
			return nil, err
		}
		upgraded = true
	}
	if upgraded {
		if err := atomicfile.WriteJSON(path, &s); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

func newSecrets() (*secrets, error) {
	_, id, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	s := &secrets{ModuleIdentity: id, MasterKey: make([]byte, 32), AdminToken: newToken()}
	rand.Read(s.MasterKey)
	if err := s.newLedgerKeys(); err != nil {
		return nil, err
	}
	for _, pair := range [][2]*[]byte{{&s.BankGroupIssuer, &s.BankGroupOpener}, {&s.UserGroupIssuer, &s.UserGroupOpener}} {
		_, ik, ok, err := groupsig.Setup(rand.Reader)
		if err != nil {
			return nil, err
		}
		*pair[0], _ = ik.MarshalBinary()
		*pair[1], _ = ok.MarshalBinary()
	}
	return s, nil
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *secrets) newLedgerKeys() error {
	k, err := ledger.GenerateKeys(ledger.SM2)
	if err != nil {
		return err
	}
	s.LedgerSign = k.Sign.Bytes()
	s.LedgerEnc = k.Enc.D.FillBytes(make([]byte, 32))
	return nil
}

// ledgerKeys returns the ledger bank's keys for scheme. The scheme is fixed
// when the book is first opened (a book signed with one scheme cannot be
// read with another); choosing sm9 then makes the SM9 master key, saved in
// path before it is used.
func (s *secrets) ledgerKeys(path string, scheme ledger.Scheme) (*ledger.Keys, error) {
	if s.LedgerScheme == "" {
		s.LedgerScheme = scheme.String()
		if scheme == ledger.SM9 {
			m, err := ledger.GenerateSM9Master()
			if err != nil {
				return nil, err
			}
			if s.LedgerSM9Master, err = m.Bytes(); err != nil {
				return nil, err
			}
		}
		if err := atomicfile.WriteJSON(path, s); err != nil {
			return nil, err
		}
	}
	if s.LedgerScheme != scheme.String() {
		return nil, fmt.Errorf("node: the ledger's book is signed with %s; it cannot be opened as %s", s.LedgerScheme, scheme)
	}
	enc, err := ledger.ParseSM2Signer(s.LedgerEnc)
	if err != nil {
		return nil, err
	}
	k := &ledger.Keys{Enc: enc.Key()}
	if scheme == ledger.SM9 {
		k.SM9, err = ledger.ParseSM9Master(s.LedgerSM9Master)
	} else {
		k.Sign, err = ledger.ParseSM2Signer(s.LedgerSign)
	}
	return k, err
}
