package storetest

import (
	"context"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Insert writes rows (store models: workflows, versions, executions, mails...) in one transaction, as a test's
// starting state; it fails the test when one cannot be written.
func Insert(t testing.TB, db *store.DB, rows ...any) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		for _, row := range rows {
			if err := (store.Insert{Row: row}).Apply(context.Background(), tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert the test's rows: %v", err)
	}
}
