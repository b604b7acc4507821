package ca

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"math/big"
	"time"

	"trustbank/internal/sqldb"
)

// Record is one line of the issuance log.
type Record struct {
	Serial   *big.Int
	Subject  string
	IssuedAt time.Time
	NotAfter time.Time
	DER      []byte
}

// Revocation is one revoked certificate.
type Revocation struct {
	Serial    *big.Int
	Reason    Reason
	RevokedAt time.Time
}

// Store keeps the authority's issuance log, revocations and CRL number.
// Every write is durable when it returns.
//
//	Record         ErrSerialTaken if the serial was ever issued
//	Lookup         ErrUnknownSerial
//	Revoke         ErrUnknownSerial, ErrAlreadyRevoked
//	Revocations    all revocations, oldest first
//	NextCRLNumber  one more than the last it returned, across restarts
type Store interface {
	Record(ctx context.Context, r Record) error
	Lookup(ctx context.Context, serial *big.Int) (Record, error)
	Revoke(ctx context.Context, rv Revocation) error
	Revocations(ctx context.Context) ([]Revocation, error)
	NextCRLNumber(ctx context.Context) (int64, error)
}

//go:embed migrations
var migrations embed.FS

type sqlStore struct{ db *sqldb.DB }

var _ Store = (*sqlStore)(nil)

// NewSQLStore migrates db (SQLite or PostgreSQL) and returns a Store on it.
func NewSQLStore(ctx context.Context, db *sqldb.DB) (Store, error) {
	if err := sqldb.MigrateEmbedded(ctx, db, "ca", migrations); err != nil {
		return nil, err
	}
	return &sqlStore{db: db}, nil
}

func serialText(n *big.Int) string { return n.Text(16) }

func (s *sqlStore) Record(ctx context.Context, r Record) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO ca_certificates (serial, subject, issued_at, not_after, der) VALUES (?, ?, ?, ?, ?)`),
		serialText(r.Serial), r.Subject, r.IssuedAt.UnixMilli(), r.NotAfter.UnixMilli(), r.DER)
	if s.db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %x", ErrSerialTaken, r.Serial)
	}
	return err
}

func (s *sqlStore) Lookup(ctx context.Context, serial *big.Int) (Record, error) {
	r := Record{Serial: serial}
	var issued, notAfter int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT subject, issued_at, not_after, der FROM ca_certificates WHERE serial = ?`),
		serialText(serial)).Scan(&r.Subject, &issued, &notAfter, &r.DER)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("%w: %x", ErrUnknownSerial, serial)
	}
	r.IssuedAt, r.NotAfter = time.UnixMilli(issued), time.UnixMilli(notAfter)
	return r, err
}

func (s *sqlStore) Revoke(ctx context.Context, rv Revocation) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT count(*) FROM ca_certificates WHERE serial = ?`), serialText(rv.Serial)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: %x", ErrUnknownSerial, rv.Serial)
		}
		_, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO ca_revocations (serial, reason, revoked_at) VALUES (?, ?, ?)`),
			serialText(rv.Serial), int(rv.Reason), rv.RevokedAt.UnixMilli())
		if s.db.IsUniqueViolation(err) {
			return fmt.Errorf("%w: %x", ErrAlreadyRevoked, rv.Serial)
		}
		return err
	})
}

func (s *sqlStore) Revocations(ctx context.Context) ([]Revocation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT serial, reason, revoked_at FROM ca_revocations ORDER BY revoked_at, serial`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Revocation
	for rows.Next() {
		var serial string
		var reason int
		var at int64
		if err := rows.Scan(&serial, &reason, &at); err != nil {
			return nil, err
		}
		n, ok := new(big.Int).SetString(serial, 16)
		if !ok {
			return nil, fmt.Errorf("ca: store holds a bad serial %q", serial)
		}
		out = append(out, Revocation{Serial: n, Reason: Reason(reason), RevokedAt: time.UnixMilli(at)})
	}
	return out, rows.Err()
}

func (s *sqlStore) NextCRLNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE ca_crl_number SET number = number + 1 WHERE id = 1`); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT number FROM ca_crl_number WHERE id = 1`).Scan(&n)
	})
	return n, err
}
