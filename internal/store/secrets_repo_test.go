package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

var _ = exercise("secrets/create", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	s := &store.Secret{Name: "API_KEY", Sealed: []byte("sealed"), KeyID: "k1", Version: 1, CreatedBy: "a@example.com",
		CreatedAt: repoT0, UpdatedBy: "a@example.com", UpdatedAt: repoT0}
	err := db.Tx(ctx, func(tx *store.Tx) error { return tx.SecretsRepo().Create(ctx, s) })
	if err != nil {
		t.Fatal(err)
	}
	again := *s
	if err := db.SecretsRepo().Create(ctx, &again); !errors.Is(err, store.ErrExists) {
		t.Fatalf("creating API_KEY again = %v, want ErrExists", err)
	}
	rows, err := db.SealedSecrets(ctx, []string{"API_KEY", "OTHER"})
	if err != nil || len(rows) != 1 || string(rows[0].Sealed) != "sealed" || rows[0].KeyID != "k1" {
		t.Fatalf("sealed secrets: %+v (%v)", rows, err)
	}
	// A rolled-back transaction creates nothing.
	boom := errors.New("boom")
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.SecretsRepo().Create(ctx, &store.Secret{Name: "GONE", Sealed: []byte("x"), KeyID: "k1", Version: 1,
			CreatedAt: repoT0, UpdatedAt: repoT0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("transaction = %v, want boom", err)
	}
	if names, err := db.SecretNames(ctx); err != nil || len(names) != 1 || names[0] != "API_KEY" {
		t.Fatalf("secret names %v (%v), want API_KEY only", names, err)
	}
})
