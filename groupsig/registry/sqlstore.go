package registry

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"trustbank/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// SQLStore is the Store on SQLite or PostgreSQL (package sqldb).
type SQLStore struct {
	db *sqldb.DB
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore applies the registry's migrations to db and returns the store.
// The caller owns db and closes it.
func NewSQLStore(ctx context.Context, db *sqldb.DB) (*SQLStore, error) {
	if err := sqldb.MigrateEmbedded(ctx, db, "groupsig-registry", migrations); err != nil {
		return nil, err
	}
	return &SQLStore{db: db}, nil
}

func (s *SQLStore) q(query string) string { return s.db.Rebind(query) }

// CreateGroup implements Store.
func (s *SQLStore) CreateGroup(ctx context.Context, g Group) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO gs_groups (name, epoch, created_at) VALUES (?, ?, ?)`),
			g.Name, int64(g.Epoch), g.CreatedAt.UnixNano()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO gs_epochs (group_name, epoch, public_key) VALUES (?, ?, ?)`),
			g.Name, int64(g.Epoch), g.PublicKey)
		return err
	})
	if s.db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %q", ErrGroupExists, g.Name)
	}
	return wrap("create group", err)
}

// Group implements Store.
func (s *SQLStore) Group(ctx context.Context, name string) (Group, error) {
	g := Group{Name: name}
	var epoch, created, perEpoch int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT g.epoch, g.created_at, g.per_epoch_tags, e.public_key FROM gs_groups g
		JOIN gs_epochs e ON e.group_name = g.name AND e.epoch = g.epoch WHERE g.name = ?`), name).
		Scan(&epoch, &created, &perEpoch, &g.PublicKey)
	g.Epoch, g.CreatedAt, g.PerEpochTags = uint64(epoch), time.Unix(0, created), perEpoch != 0
	return g, notFound(err, "group %q", name)
}

// PublicKey implements Store.
func (s *SQLStore) PublicKey(ctx context.Context, group string, epoch uint64) ([]byte, error) {
	var pk []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT public_key FROM gs_epochs WHERE group_name = ? AND epoch = ?`),
		group, int64(epoch)).Scan(&pk)
	return pk, notFound(err, "group %q epoch %d", group, epoch)
}

// lockEpoch checks that the group is at epoch and moves it to next, taking
// the group's row lock (PostgreSQL) for the rest of the transaction.
func (s *SQLStore) lockEpoch(ctx context.Context, tx *sql.Tx, group string, epoch, next uint64) error {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE gs_groups SET epoch = ? WHERE name = ? AND epoch = ?`),
		int64(next), group, int64(epoch))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var cur int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT epoch FROM gs_groups WHERE name = ?`), group).Scan(&cur); err != nil {
		return notFound(err, "group %q", group)
	}
	return fmt.Errorf("%w: group %q is at epoch %d, not %d", ErrEpochConflict, group, cur, epoch)
}

// AddMember implements Store.
func (s *SQLStore) AddMember(ctx context.Context, group string, m Member) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockEpoch(ctx, tx, group, m.Epoch, m.Epoch); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO gs_members
			(group_name, id, seq, secret, tag, epoch, status, joined_at)
			VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM gs_members WHERE group_name = ?), ?, ?, ?, ?, ?)`),
			group, m.ID, group, m.Secret, m.Tag, int64(m.Epoch), string(Active), m.JoinedAt.UnixNano())
		return err
	})
	if s.db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %q in group %q", ErrMemberExists, m.ID, group)
	}
	return wrap("add member", err)
}

const memberColumns = `id, secret, tag, epoch, status, joined_at, revoked_epoch`

func scanMember(row interface{ Scan(...any) error }) (Member, error) {
	var m Member
	var epoch, joined, revoked int64
	var status string
	err := row.Scan(&m.ID, &m.Secret, &m.Tag, &epoch, &status, &joined, &revoked)
	m.Epoch, m.Status, m.JoinedAt, m.RevokedEpoch = uint64(epoch), Status(status), time.Unix(0, joined), uint64(revoked)
	return m, err
}

// Member implements Store.
func (s *SQLStore) Member(ctx context.Context, group, id string) (Member, error) {
	m, err := scanMember(s.db.QueryRowContext(ctx, s.q(`SELECT `+memberColumns+
		` FROM gs_members WHERE group_name = ? AND id = ?`), group, id))
	return m, notFound(err, "member %q in group %q", id, group)
}

// Members implements Store.
func (s *SQLStore) Members(ctx context.Context, group string) ([]Member, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+memberColumns+
		` FROM gs_members WHERE group_name = ? ORDER BY seq`), group)
	if err != nil {
		return nil, wrap("members", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, wrap("members", err)
		}
		out = append(out, m)
	}
	return out, wrap("members", rows.Err())
}

// Identify implements Store.
func (s *SQLStore) Identify(ctx context.Context, group string, tag []byte) (Member, error) {
	m, err := scanMember(s.db.QueryRowContext(ctx, s.q(`SELECT `+memberColumns+
		` FROM gs_members WHERE group_name = ? AND tag = ?`), group, tag))
	return m, notFound(err, "no member of group %q has this tag", group)
}

// Revoke implements Store.
func (s *SQLStore) Revoke(ctx context.Context, group string, r Revocation) error {
	if r.Epoch == 0 {
		return fmt.Errorf("%w: revocation to epoch 0", ErrEpochConflict)
	}
	return wrap("revoke", s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockEpoch(ctx, tx, group, r.Epoch-1, r.Epoch); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE gs_members SET status = ?, revoked_epoch = ?
			WHERE group_name = ? AND id = ? AND status = ?`), string(Revoked), int64(r.Epoch), group, r.MemberID, string(Active))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err == nil {
				_, err = s.Member(ctx, group, r.MemberID)
				if err == nil {
					err = fmt.Errorf("%w: %q", ErrNotActive, r.MemberID)
				}
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO gs_epochs (group_name, epoch, public_key) VALUES (?, ?, ?)`),
			group, int64(r.Epoch), r.PublicKey); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO gs_revocations (group_name, epoch, member_id, update_enc, revoked_at)
			VALUES (?, ?, ?, ?, ?)`), group, int64(r.Epoch), r.MemberID, r.Update, r.At.UnixNano())
		return err
	}))
}

// Revocations implements Store.
func (s *SQLStore) Revocations(ctx context.Context, group string, after uint64) ([]Revocation, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.epoch, r.member_id, r.update_enc, r.revoked_at, e.public_key
		FROM gs_revocations r JOIN gs_epochs e ON e.group_name = r.group_name AND e.epoch = r.epoch
		WHERE r.group_name = ? AND r.epoch > ? ORDER BY r.epoch`), group, int64(after))
	if err != nil {
		return nil, wrap("revocations", err)
	}
	defer rows.Close()
	var out []Revocation
	for rows.Next() {
		var r Revocation
		var epoch, at int64
		if err := rows.Scan(&epoch, &r.MemberID, &r.Update, &at, &r.PublicKey); err != nil {
			return nil, wrap("revocations", err)
		}
		r.Epoch, r.At = uint64(epoch), time.Unix(0, at)
		out = append(out, r)
	}
	return out, wrap("revocations", rows.Err())
}

// RebaseTags implements Store.
func (s *SQLStore) RebaseTags(ctx context.Context, group string, epoch uint64, tags []MemberTag) error {
	return wrap("rebase tags", s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockEpoch(ctx, tx, group, epoch, epoch); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE gs_groups SET per_epoch_tags = 0 WHERE name = ? AND per_epoch_tags <> 0`), group)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // already converted
		}
		var members int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM gs_members WHERE group_name = ?`), group).Scan(&members); err != nil {
			return err
		}
		if members != len(tags) {
			return fmt.Errorf("%w: %d members, %d base tags", ErrEpochConflict, members, len(tags))
		}
		for _, mt := range tags {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE gs_members SET tag = ?,
				epoch = COALESCE((SELECT MIN(t.epoch) FROM gs_tags t WHERE t.group_name = ? AND t.member_id = ?), epoch)
				WHERE group_name = ? AND id = ?`), mt.Tag, group, mt.MemberID, group, mt.MemberID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errors.Join(err, fmt.Errorf("%w: %q is not a member", ErrEpochConflict, mt.MemberID))
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM gs_tags WHERE group_name = ?`), group)
		return err
	}))
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: "+format, append([]any{ErrNotFound}, args...)...)
	}
	return wrap("query", err)
}

// wrap prefixes storage errors; the package's own sentinels pass unchanged.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{ErrNotFound, ErrGroupExists, ErrMemberExists, ErrEpochConflict, ErrNotActive} {
		if errors.Is(err, e) {
			return err
		}
	}
	return fmt.Errorf("registry: %s: %w", op, err)
}
