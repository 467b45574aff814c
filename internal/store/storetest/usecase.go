package storetest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// UseCase gives a use-case test its database, inside a transaction rolled back when the test ends, so
// use-case tests run in parallel (t.Parallel) and leave nothing behind. On "sqlite" each test has a copy of
// a template migrated once per test binary (SQLite has one writer: tests on one file would queue behind each
// other's transactions); on "postgres" every test of the binary shares one migrated database, each in its
// own transaction, so tests must not write the same unique keys (use names of their own).
func UseCase(t *testing.T, dialect store.Dialect) *store.DB {
	t.Helper()
	var db *store.DB
	switch dialect {
	case store.SQLite:
		db = open(t, "sqlite://"+sqliteCopy(t))
	case store.Postgres:
		db = sharedPostgres(t)
	default:
		t.Fatalf("no database of kind %q", dialect)
	}
	in, rollback, err := db.Within(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rollback(); err != nil {
			t.Errorf("roll back the test's transaction: %v", err)
		}
	})
	return in
}

// EachUseCase runs fn as a parallel subtest on every available database (see UseCase).
func EachUseCase(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, UseCase(t, d))
		})
	}
}

var template struct {
	once sync.Once
	path string
	err  error
}

// sqliteCopy copies the migrated SQLite template into the test's folder. The template is kept in the
// system's temporary folder under a name that carries the migrations' hash (store.MigrationsHash), made
// once and reused by the next runs, like the PostgreSQL one.
func sqliteCopy(t testing.TB) string {
	t.Helper()
	template.once.Do(func() { template.path, template.err = sqliteTemplate() })
	if template.err != nil {
		t.Fatalf("the migrated SQLite template: %v", template.err)
	}
	dst := filepath.Join(t.TempDir(), "pantryflow.db")
	if err := copyFile(template.path, dst); err != nil {
		t.Fatalf("copy the SQLite template: %v", err)
	}
	return dst
}

func sqliteTemplate() (string, error) {
	sum, err := store.MigrationsHash()
	if err != nil {
		return "", err
	}
	path := filepath.Join(os.TempDir(), "pantryflow-template-"+sum[:16]+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	dir, err := os.MkdirTemp("", "pantryflow-template-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	build := filepath.Join(dir, "template.db")
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+build, Quiet())
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, Quiet())
	if cerr := db.Close(); err == nil {
		err = cerr // closing checkpoints the WAL into the file, so the file alone is the database
	}
	if err != nil {
		return "", err
	}
	// Another test binary may be making the same template: renaming is atomic, and either copy is complete.
	return path, os.Rename(build, path)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

var shared struct {
	once sync.Once
	db   *store.DB
	drop func()
	err  error
}

// Main runs the tests of a package that uses UseCase and then drops the shared PostgreSQL database UseCase
// made for the whole binary: call it from TestMain,
// os.Exit(storetest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.db != nil {
		_ = shared.db.Close()
	}
	if shared.drop != nil {
		shared.drop()
	}
	return code
}

// sharedPostgres is the one migrated PostgreSQL database of the test binary (Main drops it).
func sharedPostgres(t *testing.T) *store.DB {
	t.Helper()
	base := PostgresServer(t)
	shared.once.Do(func() {
		ctx := context.Background()
		url, drop, err := store.Scratch(ctx, base, "usecase", false)
		shared.drop = drop
		if err != nil {
			shared.err = err
			return
		}
		if shared.db, err = store.Open(ctx, url, Quiet()); err != nil {
			shared.err = err
			return
		}
		shared.err = shared.db.Migrate(ctx, Quiet())
	})
	if shared.err != nil {
		t.Fatalf("the shared PostgreSQL database: %v", shared.err)
	}
	return shared.db
}
