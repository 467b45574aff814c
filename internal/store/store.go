// Package store owns the database: opening PostgreSQL or the embedded SQLite file, migrating it (our goose
// migrations and River's), the GORM models, and the transaction helpers the rest of the code commits through.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect is the kind of database.
type Dialect string

// Dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// DB is an open database.
type DB struct {
	gdb     *gorm.DB
	sqlDB   *sql.DB
	pool    *pgxpool.Pool // PostgreSQL only: River's listener uses it
	Dialect Dialect
	// Path of the SQLite file; empty for PostgreSQL.
	Path   string
	unlock func()
	health healthCheck
	// within is set on the DB of Within: it works inside another DB's transaction and closes nothing.
	within bool
}

// DefaultURL is the embedded database used when no URL is configured.
const DefaultURL = "sqlite://./data/pantryflow.db"

// Open connects to url: postgres:// or postgresql:// for PostgreSQL, sqlite://PATH (or a plain file path)
// for SQLite. A SQLite file is locked so a second process on it is refused with a clear message.
func Open(ctx context.Context, rawURL string, log *slog.Logger) (*DB, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		return openPostgres(ctx, rawURL)
	}
	return openSQLite(ctx, sqlitePath(rawURL))
}

func sqlitePath(rawURL string) string {
	if p, ok := strings.CutPrefix(rawURL, "sqlite://"); ok {
		return p
	}
	if p, ok := strings.CutPrefix(rawURL, "sqlite:"); ok {
		return p
	}
	return rawURL
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("PANTRYFLOW_DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	if cfg.MaxConns < 20 {
		cfg.MaxConns = 20
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", redact(rawURL), err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), gormConfig())
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	return &DB{gdb: gdb, sqlDB: sqlDB, pool: pool, Dialect: Postgres, unlock: func() {}}, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	gdb, err := gorm.Open(sqlite.Open(dsn), gormConfig())
	if err != nil {
		unlock()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		unlock()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	// One connection: SQLite has one writer, and River advises a single connection for it.
	sqlDB.SetMaxOpenConns(1)
	if err := sqlDB.PingContext(ctx); err != nil {
		unlock()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	return &DB{gdb: gdb, sqlDB: sqlDB, Dialect: SQLite, Path: path, unlock: unlock}, nil
}

// checkSQLitePath makes sure path can be a SQLite database before SQLite tries, because SQLite's own words
// for a wrong path mislead ("out of memory (14)" for a directory). It creates the missing folders.
func checkSQLitePath(path string) error {
	example := "like sqlite://./data/pantryflow.db"
	if path == "" {
		return fmt.Errorf("PANTRYFLOW_DATABASE_URL names no SQLite file; give the path of a database file, %s", example)
	}
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return fmt.Errorf("PANTRYFLOW_DATABASE_URL: %s is a directory; give the path of a database file, %s", path, example)
	case err == nil && !info.Mode().IsRegular():
		return fmt.Errorf("PANTRYFLOW_DATABASE_URL: %s is not a regular file; give the path of a database file, %s", path, example)
	case err == nil:
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("PANTRYFLOW_DATABASE_URL: the database file %s cannot be opened for writing (%v); "+
				"let the user Pantryflow runs as write it", path, unwrapPath(err))
		}
		return f.Close()
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR): // ENOTDIR: a file where a folder should be
		return fmt.Errorf("PANTRYFLOW_DATABASE_URL: %s cannot be read (%v)", path, unwrapPath(err))
	}
	// A new database: its folder must exist, or be made, and take new files (SQLite adds the -wal and -shm
	// files beside the database, and Pantryflow its .lock).
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("PANTRYFLOW_DATABASE_URL: the folder %s for the database %s cannot be created (%v); "+
			"give a path in a folder Pantryflow may write in, %s", dir, path, err, example)
	}
	probe, err := os.CreateTemp(dir, ".pantryflow-write-check-*")
	if err != nil {
		return fmt.Errorf("PANTRYFLOW_DATABASE_URL: the folder %s of the database %s does not take new files (%v); "+
			"let the user Pantryflow runs as write in it, or give another path, %s", dir, path, unwrapPath(err), example)
	}
	_ = probe.Close()
	return os.Remove(probe.Name())
}

// unwrapPath is the reason of a path error without the path, which the message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Close closes the connections and releases the SQLite lock.
func (db *DB) Close() error {
	if db.within {
		return nil
	}
	err := db.sqlDB.Close()
	if db.pool != nil {
		db.pool.Close()
	}
	if db.unlock != nil {
		db.unlock()
	}
	return err
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sqlDB.PingContext(ctx) }

func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
