// Package dbtest gives tests fresh databases: a SQLite file in a temporary
// directory, and a PostgreSQL schema of its own in the database named by
// TRUSTBANK_TEST_PG_DSN (dropped when the test ends).
//
// Without TRUSTBANK_TEST_PG_DSN the PostgreSQL half of a shared store suite
// is skipped with a message saying so; CI always sets it (.ci/run), and
// fails if PostgreSQL is unreachable.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"trustbank/internal/sqldb"
)

// EnvPostgres names the environment variable with the test database DSN.
const EnvPostgres = "TRUSTBANK_TEST_PG_DSN"

// SQLitePath returns a path for a new SQLite database in a fresh temporary
// directory; tests reopen the same path to check what survives a restart.
func SQLitePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "trustbank.db")
}

// PostgresDSN returns the test DSN, skipping the test if it is unset.
func PostgresDSN(t testing.TB) string {
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skipf("%s is not set; PostgreSQL backend not tested here (CI sets it)", EnvPostgres)
	}
	return dsn
}

// PostgresSchema creates a unique schema name for t and drops the schema
// when the test ends. Open it with sqldb.OpenPostgres(ctx, dsn, schema).
func PostgresSchema(t testing.TB, dsn string) string {
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		db, err := sqldb.OpenPostgres(ctx, dsn, "")
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

// Target names one fresh test database: a SQLite file (Path) or a
// PostgreSQL schema (DSN, Schema). It is plain data, so a test can hand it
// to a child process (crash tests) through Env and FromEnv.
type Target struct {
	Path, DSN, Schema string
}

// Open opens a new handle on the target database.
func (tg Target) Open(ctx context.Context) (*sqldb.DB, error) {
	if tg.DSN != "" {
		return sqldb.OpenPostgres(ctx, tg.DSN, tg.Schema)
	}
	return sqldb.OpenSQLite(tg.Path)
}

// Env returns environment entries that carry tg to a child process.
func (tg Target) Env() []string {
	return []string{"TRUSTBANK_TEST_DB_PATH=" + tg.Path, "TRUSTBANK_TEST_DB_DSN=" + tg.DSN, "TRUSTBANK_TEST_DB_SCHEMA=" + tg.Schema}
}

// FromEnv reads the target a parent passed with Env.
func FromEnv() Target {
	return Target{Path: os.Getenv("TRUSTBANK_TEST_DB_PATH"), DSN: os.Getenv("TRUSTBANK_TEST_DB_DSN"), Schema: os.Getenv("TRUSTBANK_TEST_DB_SCHEMA")}
}

// EachTarget runs fn as one subtest per backend ("sqlite", "postgres"),
// each with a fresh, empty database.
func EachTarget(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, Target{Path: SQLitePath(t)}) })
	t.Run("postgres", func(t *testing.T) {
		dsn := PostgresDSN(t)
		fn(t, Target{DSN: dsn, Schema: PostgresSchema(t, dsn)})
	})
}

// Each runs fn as one subtest per backend, each with a fresh, empty
// database. open returns a new handle to that database every time it is
// called (closed when the test ends), so a test can open another handle to
// check what survives a restart.
func Each(t *testing.T, fn func(t *testing.T, open func() *sqldb.DB)) {
	EachTarget(t, func(t *testing.T, tg Target) {
		fn(t, func() *sqldb.DB {
			db, err := tg.Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}
