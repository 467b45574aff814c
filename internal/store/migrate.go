package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/kitchenpantry/pantryflow/migrations"
)

// RiverDriver is River's driver for this database. Both dialects work on *sql.Tx, so jobs are inserted and
// completed inside the same transactions as GORM's writes.
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if db.Dialect == Postgres {
		return riverdatabasesql.NewWithPgxListener(db.sqlDB, db.pool)
	}
	return riversqlite.New(db.sqlDB)
}

// Migrate applies our migrations (goose, from migrations/<dialect>) and River's (rivermigrate).
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	sub, err := fs.Sub(migrations.FS, string(db.Dialect))
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", db.Dialect, err)
	}
	dialect := goose.DialectPostgres
	if db.Dialect == SQLite {
		dialect = goose.DialectSQLite3
	}
	provider, err := goose.NewProvider(dialect, db.sqlDB, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path)
	}
	migrator, err := rivermigrate.New(db.RiverDriver(), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("prepare River migrations: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("apply River migrations: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("River migration applied", "version", v.Version)
	}
	return nil
}
