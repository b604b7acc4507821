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

// Each runs fn as one subtest per backend ("sqlite", "postgres"), each with
// a fresh, empty database. open returns a new handle to that database every
// time it is called (closed when the test ends), so a test can close one
// handle and open another to check what survives a restart.
func Each(t *testing.T, fn func(t *testing.T, open func() *sqldb.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		path := SQLitePath(t)
		fn(t, func() *sqldb.DB {
			db, err := sqldb.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := PostgresDSN(t)
		schema := PostgresSchema(t, dsn)
		fn(t, func() *sqldb.DB {
			db, err := sqldb.OpenPostgres(context.Background(), dsn, schema)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}
