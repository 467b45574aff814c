package secrets

import (
	"context"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Vault stores secrets sealed in the database and opens them for the steps that use them.
type Vault struct {
	DB  *store.DB
	Box *Box // nil when PANTRYFLOW_SECRET_KEY is not set
}

// Ready reports whether secrets can be stored and read here.
func (v *Vault) Ready() bool { return v != nil && v.Box != nil }

// Create seals and stores a new secret.
func (v *Vault) Create(ctx context.Context, name, value, by string, at time.Time) (*store.Secret, error) {
	var s *store.Secret
	err := v.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		s, err = v.CreateTx(ctx, tx, name, value, by, at)
		return err
	})
	return s, err
}

// CreateTx is Create inside tx.
func (v *Vault) CreateTx(ctx context.Context, tx *store.Tx, name, value, by string, at time.Time) (*store.Secret, error) {
	sealed, err := v.Box.Seal(name, value)
	if err != nil {
		return nil, err
	}
	s := &store.Secret{Name: name, Sealed: sealed, KeyID: v.Box.KeyID(), Version: 1, CreatedBy: by, CreatedAt: at,
		UpdatedBy: by, UpdatedAt: at}
	if err := tx.SecretsRepo().Create(ctx, s); err != nil {
		return nil, err
	}
	s.Sealed = nil
	return s, nil
}

// Rotate replaces a secret's value; runs started from now on use the new one.
func (v *Vault) Rotate(ctx context.Context, name, value, by string, at time.Time) (*store.Secret, error) {
	sealed, err := v.Box.Seal(name, value)
	if err != nil {
		return nil, err
	}
	return v.DB.RotateSecret(ctx, name, sealed, v.Box.KeyID(), by, at)
}

// MissingError names the secrets a step needs that do not exist.
type MissingError struct{ Names []string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("the secret %q does not exist any more; a manager can create it again under Settings → Secrets", e.Names[0])
}

// Values opens the named secrets, as the engine gives them to a step.
func (v *Vault) Values(ctx context.Context, names []string) (map[string]string, error) {
	if v == nil || v.Box == nil {
		return nil, ErrNoKey
	}
	rows, err := v.DB.SealedSecrets(ctx, names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		value, err := v.Box.Open(r.Name, r.KeyID, r.Sealed)
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", r.Name, err)
		}
		out[r.Name] = value
	}
	var missing []string
	for _, n := range names {
		if _, ok := out[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingError{Names: missing}
	}
	return out, nil
}
