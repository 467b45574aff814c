// Package storetest gives tests fresh, migrated databases: SQLite always, PostgreSQL when
// PANTRYFLOW_TEST_DATABASE_URL is set (and then required when CI=true), so one suite covers both.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for creating test databases

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// EnvURL names the variable holding the PostgreSQL server for tests.
const EnvURL = "PANTRYFLOW_TEST_DATABASE_URL"

// Quiet is a logger that drops everything below errors, for tests.
func Quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Each runs fn as a subtest on every available database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, Postgres(t))
	})
}

// SQLite opens a fresh, migrated SQLite database in a temporary folder (a copy of a template migrated once
// per test binary).
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, "sqlite://"+sqliteCopy(t))
}

// SQLiteURL is a database URL for a fresh SQLite file (not opened).
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "pantryflow.db")
}

// SQLiteMigratedURL is a database URL for a fresh, migrated SQLite file (not opened): a copy of the template.
func SQLiteMigratedURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + sqliteCopy(t)
}

func open(t testing.TB, url string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url, Quiet())
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx, Quiet()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// PostgresServer is the PostgreSQL server of the tests (PANTRYFLOW_TEST_DATABASE_URL), for a test that makes
// its own databases on it; it skips the test when no server is configured, and fails it when CI=true (CI must
// run the PostgreSQL tests).
func PostgresServer(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, but CI=true requires the PostgreSQL tests to run", EnvURL)
		}
		t.Skipf("%s is not set; skipping the PostgreSQL run", EnvURL)
	}
	return base
}

// PostgresURL creates an empty database on the test server (see PostgresServer), dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	url, drop, err := store.Scratch(context.Background(), PostgresServer(t), "test", false)
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(drop)
	return url
}

// Postgres opens a fresh, migrated PostgreSQL database (see PostgresMigratedURL).
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, PostgresMigratedURL(t))
}

var pgTemplate struct {
	once sync.Once
	name string
	err  error
}

// PostgresMigratedURL creates a migrated database on the test server, dropped when the test ends: a copy of
// the migrated template (store.MigratedTemplate), which takes a fraction of migrating a new database.
func PostgresMigratedURL(t testing.TB) string {
	t.Helper()
	server := PostgresServer(t)
	pgTemplate.once.Do(func() {
		pgTemplate.name, pgTemplate.err = store.MigratedTemplate(context.Background(), server, Quiet())
	})
	if pgTemplate.err != nil {
		t.Fatalf("the migrated template database: %v", pgTemplate.err)
	}
	url, drop, err := store.ScratchFrom(context.Background(), server, "test", pgTemplate.name)
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(drop)
	return url
}

// URLs lists a fresh database URL per available dialect, by name: "sqlite" always, "postgres" when configured.
func URLs(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return SQLiteURL(t) },
		"postgres": func(t *testing.T) string { return PostgresURL(t) },
	}
}
