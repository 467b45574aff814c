package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Effect is a write an action asks for; the engine applies it in the transaction that records the step, so
// the write and the step's completion commit together or not at all.
type Effect interface {
	Apply(ctx context.Context, tx *Tx) error
}

// InsertOnce inserts a row unless a row with the same value in the unique column exists already: the outbox
// and CRM tasks use it with their idempotency key.
type InsertOnce struct {
	Row          any
	UniqueColumn string
}

// Apply implements Effect.
func (e InsertOnce) Apply(ctx context.Context, tx *Tx) error {
	err := tx.g.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: e.UniqueColumn}},
		DoNothing: true,
	}).Create(e.Row).Error
	if err != nil {
		return fmt.Errorf("insert %T: %w", e.Row, err)
	}
	return nil
}

// Insert inserts a row.
type Insert struct{ Row any }

// Apply implements Effect.
func (e Insert) Apply(ctx context.Context, tx *Tx) error {
	if err := tx.g.WithContext(ctx).Create(e.Row).Error; err != nil {
		return fmt.Errorf("insert %T: %w", e.Row, err)
	}
	return nil
}

// IsConstraintViolation reports whether the database refused a write because it breaks a rule of the schema
// (unique, foreign key, check, not null). Such a write fails the same way every time it is retried.
func IsConstraintViolation(err error) bool {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return false
	case errors.Is(err, gorm.ErrDuplicatedKey), errors.Is(err, gorm.ErrForeignKeyViolated),
		errors.Is(err, gorm.ErrCheckConstraintViolated):
		return true
	case errors.As(err, &pgErr):
		return strings.HasPrefix(pgErr.Code, "23") // integrity_constraint_violation
	}
	msg := err.Error()
	return strings.Contains(msg, "constraint failed") // SQLite: CHECK, NOT NULL, UNIQUE, FOREIGN KEY
}
