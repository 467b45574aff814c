package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Secret is a named secret: its value sealed (see internal/secrets), never in plain text.
type Secret struct {
	Name      string `gorm:"primaryKey"`
	Sealed    []byte
	KeyID     string
	Version   int
	CreatedBy string
	CreatedAt time.Time
	UpdatedBy string
	UpdatedAt time.Time
}

// ListSecrets returns every secret, by name; the sealed values are not read.
func (db *DB) ListSecrets(ctx context.Context) ([]Secret, error) {
	var out []Secret
	err := db.gdb.WithContext(ctx).Omit("sealed").Order("name").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return out, nil
}

// SecretNames returns the names of every secret.
func (db *DB) SecretNames(ctx context.Context) ([]string, error) {
	var out []string
	if err := db.gdb.WithContext(ctx).Model(&Secret{}).Order("name").Pluck("name", &out).Error; err != nil {
		return nil, fmt.Errorf("list secret names: %w", err)
	}
	return out, nil
}

// SealedSecrets returns the named secrets that exist, with their sealed values.
func (db *DB) SealedSecrets(ctx context.Context, names []string) ([]Secret, error) {
	var out []Secret
	if err := db.gdb.WithContext(ctx).Where("name IN ?", names).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read secrets: %w", err)
	}
	return out, nil
}

// CreateSecret stores a new secret; a secret of that name already there is ErrExists.
func (db *DB) CreateSecret(ctx context.Context, s *Secret) error {
	return db.Tx(ctx, func(tx *Tx) error { return tx.SecretsRepo().Create(ctx, s) })
}

// Create stores a new secret; a secret of that name already there is ErrExists.
func (r SecretsRepo) Create(ctx context.Context, s *Secret) error {
	var n int64
	tx := r.q(ctx)
	if err := tx.Model(&Secret{}).Where("name = ?", s.Name).Count(&n).Error; err != nil {
		return fmt.Errorf("create secret %s: %w", s.Name, err)
	}
	if n > 0 {
		return ErrExists
	}
	if err := tx.Create(s).Error; err != nil {
		return fmt.Errorf("create secret %s: %w", s.Name, err)
	}
	return nil
}

// ErrExists is returned when a record to create exists already.
var ErrExists = errors.New("exists already")

// RotateSecret replaces a secret's value and bumps its version; it returns the secret as it is now.
func (db *DB) RotateSecret(ctx context.Context, name string, sealed []byte, keyID, by string, at time.Time) (*Secret, error) {
	res := db.gdb.WithContext(ctx).Model(&Secret{}).Where("name = ?", name).Updates(map[string]any{
		"sealed": sealed, "key_id": keyID, "version": gorm.Expr("version + 1"), "updated_by": by, "updated_at": at})
	if res.Error != nil {
		return nil, fmt.Errorf("rotate secret %s: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	var s Secret
	if err := db.gdb.WithContext(ctx).Omit("sealed").Where("name = ?", name).Take(&s).Error; err != nil {
		return nil, fmt.Errorf("rotate secret %s: %w", name, err)
	}
	return &s, nil
}

// DeleteSecret removes a secret.
func (db *DB) DeleteSecret(ctx context.Context, name string) error {
	res := db.gdb.WithContext(ctx).Where("name = ?", name).Delete(&Secret{})
	if res.Error != nil {
		return fmt.Errorf("delete secret %s: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
