package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Migrate applies one component's migrations in order. files holds one
// directory per dialect ("sqlite", "postgres") of NNNN_description.sql
// files. Each step runs in one transaction with the row that records it,
// so a crash leaves all of a step or none; on PostgreSQL an advisory lock
// serialises concurrent migrators.
func Migrate(ctx context.Context, db *DB, component string, files fs.FS) error {
	sub, err := fs.Sub(files, string(db.Dialect))
	if err != nil {
		return err
	}
	steps, err := readMigrations(sub)
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", component, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`); err != nil && !isUnique(err) {
		return fmt.Errorf("sqldb: migrations table: %w", err)
	}
	for _, m := range steps {
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return db.apply(ctx, tx, component, m) }); err != nil {
			return fmt.Errorf("sqldb: %s migration %s: %w", component, m.name, err)
		}
	}
	return nil
}

// MigrateEmbedded is Migrate of the "migrations" directory of files (the
// embed.FS a component keeps its migrations in).
func MigrateEmbedded(ctx context.Context, db *DB, component string, files fs.FS) error {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		return err
	}
	return Migrate(ctx, db, component, sub)
}

func (db *DB) apply(ctx context.Context, tx *sql.Tx, component string, m migration) error {
	if db.Dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, component); err != nil {
			return err
		}
	}
	var n int
	err := tx.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM schema_migrations WHERE component = ? AND version = ?`),
		component, m.version).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, db.Rebind(`INSERT INTO schema_migrations (component, version) VALUES (?, ?)`), component, m.version)
	return err
}

type migration struct {
	version int
	name    string
	sql     string
}

func readMigrations(files fs.FS) ([]migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no migrations found")
	}
	var out []migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %q and %q share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}
