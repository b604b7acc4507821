package trust

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"trustbank/internal/sqldb"
	"trustbank/trust/score"
)

//go:embed migrations
var migrations embed.FS

// SQLStore is the Store on SQLite or PostgreSQL (package sqldb). Feedback
// is recorded through a group-commit Batcher: concurrent reports share
// one durable commit, each in its own savepoint.
type SQLStore struct {
	db    *sqldb.DB
	prep  *sqldb.Prepared
	batch *sqldb.Batcher
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore applies the trust migrations to db and returns the store.
// The caller owns db; Close stops the store's batcher, not db.
func NewSQLStore(ctx context.Context, db *sqldb.DB) (*SQLStore, error) {
	if err := sqldb.MigrateEmbedded(ctx, db, "trust", migrations); err != nil {
		return nil, err
	}
	return &SQLStore{db: db, prep: sqldb.NewPrepared(db), batch: sqldb.NewBatcher(db, 64)}, nil
}

// Close stops the group-commit loop and frees prepared statements.
func (s *SQLStore) Close() error {
	s.batch.Close()
	s.prep.Close()
	return nil
}

func (s *SQLStore) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.prep.Stmt(ctx, nil, q)
	if err != nil {
		return s.db.QueryRowContext(ctx, s.db.Rebind(q), args...) // reports err on Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// AddService implements Store.
func (s *SQLStore) AddService(ctx context.Context, r ServiceRecord) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO trust_services (id, key, created_at) VALUES (?, ?, ?)`),
		r.ID, []byte(r.Key), r.CreatedAt.UnixNano())
	if !s.db.IsUniqueViolation(err) {
		return wrap("add service", err)
	}
	old, gerr := s.Service(ctx, r.ID)
	if gerr != nil {
		return gerr
	}
	if !old.Key.Equal(r.Key) {
		return fmt.Errorf("%w: %q", ErrServiceExists, r.ID)
	}
	return nil
}

// Service implements Store.
func (s *SQLStore) Service(ctx context.Context, id string) (ServiceRecord, error) {
	r := ServiceRecord{ID: id}
	var key []byte
	var at int64
	err := s.queryRow(ctx, `SELECT key, created_at FROM trust_services WHERE id = ?`, id).Scan(&key, &at)
	r.Key, r.CreatedAt = ed25519.PublicKey(key), time.Unix(0, at)
	return r, missing(err, ErrUnknownService, "service %q", id)
}

// AddUser implements Store.
func (s *SQLStore) AddUser(ctx context.Context, u UserRecord, m Membership) error {
	state, err := u.State.MarshalBinary()
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO trust_users
			(id, client_key, revoked, state, t, tier, member, generation, version, created_at)
			VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`),
			u.ID, []byte(u.ClientKey), state, u.State.T, int(u.Tier), u.Member, int64(u.Generation), int64(u.Version),
			u.CreatedAt.UnixNano()); err != nil {
			return err
		}
		return s.insertMembership(ctx, tx, m)
	})
	if s.db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %q", ErrUserExists, u.ID)
	}
	return wrap("add user", err)
}

func (s *SQLStore) insertMembership(ctx context.Context, tx *sql.Tx, m Membership) error {
	_, err := s.prep.Exec(ctx, tx, `INSERT INTO trust_memberships (tier, member, user_id, status) VALUES (?, ?, ?, ?)`,
		int(m.Tier), m.Member, m.User, string(m.Status))
	return err
}

const userColumns = `id, client_key, revoked, state, tier, member, generation, version, created_at`

// User implements Store.
func (s *SQLStore) User(ctx context.Context, id string) (UserRecord, error) {
	var u UserRecord
	var key, state []byte
	var revoked, tier int
	var gen, ver, at int64
	err := s.queryRow(ctx, `SELECT `+userColumns+` FROM trust_users WHERE id = ?`, id).
		Scan(&u.ID, &key, &revoked, &state, &tier, &u.Member, &gen, &ver, &at)
	if err != nil {
		return u, missing(err, ErrUnknownUser, "user %q", id)
	}
	u.ClientKey, u.Revoked, u.Tier = ed25519.PublicKey(key), revoked == 1, score.Tier(tier)
	u.Generation, u.Version, u.CreatedAt = uint64(gen), uint64(ver), time.Unix(0, at)
	if err := u.State.UnmarshalBinary(state); err != nil {
		return u, fmt.Errorf("trust: stored state of user %q: %w", id, err)
	}
	return u, nil
}

// MemberUser implements Store.
func (s *SQLStore) MemberUser(ctx context.Context, tier score.Tier, member string) (string, error) {
	var user string
	err := s.queryRow(ctx, `SELECT user_id FROM trust_memberships WHERE tier = ? AND member = ?`, int(tier), member).Scan(&user)
	return user, missing(err, ErrUnknownUser, "no user holds member %q of tier %s", member, tier)
}

// Memberships implements Store.
func (s *SQLStore) Memberships(ctx context.Context, user string) ([]Membership, error) {
	return s.memberships(ctx, `SELECT tier, member, user_id, status FROM trust_memberships
		WHERE user_id = ? AND status <> 'left' ORDER BY member`, user)
}

// Unsettled implements Store.
func (s *SQLStore) Unsettled(ctx context.Context) ([]string, error) {
	ms, err := s.memberships(ctx, `SELECT tier, member, user_id, status FROM trust_memberships
		WHERE status IN ('pending', 'leaving') ORDER BY user_id`)
	var users []string
	for _, m := range ms {
		if len(users) == 0 || users[len(users)-1] != m.User {
			users = append(users, m.User)
		}
	}
	return users, err
}

func (s *SQLStore) memberships(ctx context.Context, q string, args ...any) ([]Membership, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, wrap("memberships", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		var tier int
		var status string
		if err := rows.Scan(&tier, &m.Member, &m.User, &status); err != nil {
			return nil, wrap("memberships", err)
		}
		m.Tier, m.Status = score.Tier(tier), MembershipStatus(status)
		out = append(out, m)
	}
	return out, wrap("memberships", rows.Err())
}

// SetMembership implements Store.
func (s *SQLStore) SetMembership(ctx context.Context, tier score.Tier, member string, from, to MembershipStatus) error {
	if err := from.Next(to); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE trust_memberships SET status = ? WHERE tier = ? AND member = ? AND status = ?`),
		string(to), int(tier), member, string(from))
	return oneRow(res, err, fmt.Errorf("%w: membership %s/%s is not %s", errVersion, tier, member, from))
}

// Feedback implements Store.
func (s *SQLStore) Feedback(ctx context.Context, service string, txn [NonceSize]byte) (FeedbackRecord, error) {
	f := FeedbackRecord{Service: service, Transaction: txn}
	var digest []byte
	var at int64
	err := s.queryRow(ctx, `SELECT user_id, tc, t_after, digest, at FROM trust_feedback WHERE service = ? AND txn = ?`,
		service, txn[:]).Scan(&f.User, &f.Tc, &f.T, &digest, &at)
	copy(f.Digest[:], digest)
	f.At = time.Unix(0, at)
	return f, missing(err, errNoFeedback, "service %q transaction %x", service, txn[:8])
}

// RecordFeedback implements Store. It runs in the group-commit batcher.
func (s *SQLStore) RecordFeedback(ctx context.Context, f FeedbackRecord, u UserRecord, move *Membership) error {
	state, err := u.State.MarshalBinary()
	if err != nil {
		return err
	}
	err = s.batch.Do(ctx, func(tx *sql.Tx) error {
		if _, err := s.prep.Exec(ctx, tx, `INSERT INTO trust_feedback (service, txn, user_id, tc, t_after, digest, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, f.Service, f.Transaction[:], f.User, f.Tc, f.T, f.Digest[:], f.At.UnixNano()); err != nil {
			if s.db.IsUniqueViolation(err) {
				return errDuplicateFeedback
			}
			return err
		}
		if move != nil {
			if err := s.leave(ctx, tx, u.ID); err != nil {
				return err
			}
			if err := s.insertMembership(ctx, tx, *move); err != nil {
				return err
			}
		}
		res, err := s.prep.Exec(ctx, tx, `UPDATE trust_users SET state = ?, t = ?, tier = ?, member = ?, generation = ?, version = ?
			WHERE id = ? AND version = ? AND revoked = 0`,
			state, u.State.T, int(u.Tier), u.Member, int64(u.Generation), int64(u.Version), u.ID, int64(u.Version-1))
		return oneRow(res, err, fmt.Errorf("%w: %q", errVersion, u.ID))
	})
	return wrap("record feedback", err)
}

// leave moves the user's current (pending or active) membership to leaving.
func (s *SQLStore) leave(ctx context.Context, tx *sql.Tx, user string) error {
	res, err := s.prep.Exec(ctx, tx, `UPDATE trust_memberships SET status = 'leaving'
		WHERE user_id = ? AND status IN ('pending', 'active')`, user)
	return oneRow(res, err, fmt.Errorf("%w: user %q has no current membership", errVersion, user))
}

// RevokeUser implements Store.
func (s *SQLStore) RevokeUser(ctx context.Context, id string, version uint64) error {
	return wrap("revoke user", s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE trust_users SET revoked = 1, version = ? WHERE id = ? AND version = ? AND revoked = 0`),
			int64(version+1), id, int64(version))
		if err := oneRow(res, err, fmt.Errorf("%w: %q", errVersion, id)); err != nil {
			return err
		}
		return s.leave(ctx, tx, id)
	}))
}

// oneRow turns "no row changed" into miss.
func oneRow(res sql.Result, err error, miss error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, miss)
	}
	return nil
}

func missing(err, sentinel error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
	}
	return wrap("query", err)
}

// wrap prefixes storage errors; the package's own sentinels pass unchanged.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{ErrUnknownUser, ErrUserExists, ErrUnknownService, ErrServiceExists,
		errDuplicateFeedback, errVersion, errNoFeedback} {
		if errors.Is(err, e) {
			return err
		}
	}
	return fmt.Errorf("trust: %s: %w", op, err)
}
