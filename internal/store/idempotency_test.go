package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// TestAnIdempotencyKeyIsClaimedByItsTransaction: a claim that rolls back leaves the key free, one that
// commits holds it (with its answer) against every later claim, another user's key of the same text is
// another key, and a key older than the cut-off is forgotten by the next claim and by the cleanup.
func TestAnIdempotencyKeyIsClaimedByItsTransaction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		since := t0.Add(-48 * time.Hour)
		claim := func(scope string, at time.Time, fn func(tx *store.Tx) error) error {
			t.Helper()
			return db.Tx(ctx, func(tx *store.Tx) error {
				k := &store.IdempotencyKey{Scope: scope, RequestKey: "k-1", Fingerprint: "f-" + scope, Status: 201, CreatedAt: at}
				if err := store.ClaimKeyTx(ctx, tx, k, at.Add(-48*time.Hour)); err != nil {
					return err
				}
				return fn(tx)
			})
		}
		lookup := func(scope string) (*store.IdempotencyKey, error) {
			t.Helper()
			return db.IdempotencyKey(ctx, scope, "k-1", since)
		}

		boom := errors.New("the creation failed")
		if err := claim("user:1", t0, func(*store.Tx) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("a failing creation: %v", err)
		}
		if _, err := lookup("user:1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after a rollback the key is still claimed: %v", err)
		}

		answered := func(tx *store.Tx) error { return store.AnswerKeyTx(ctx, tx, "user:1", "k-1", `{"id":"a"}`+"\n") }
		if err := claim("user:1", t0, answered); err != nil {
			t.Fatalf("claiming a free key: %v", err)
		}
		got, err := lookup("user:1")
		if err != nil || got.Status != 201 || got.Answer != `{"id":"a"}`+"\n" || got.Fingerprint != "f-user:1" {
			t.Fatalf("the claimed key = %+v, %v", got, err)
		}
		if err := claim("user:1", t0.Add(time.Hour), answered); !errors.Is(err, store.ErrKeyTaken) {
			t.Fatalf("claiming a held key: %v, want ErrKeyTaken", err)
		}
		if err := claim("user:2", t0, func(*store.Tx) error { return nil }); err != nil {
			t.Fatalf("another user's key of the same text: %v", err)
		}

		// 48 hours on, the key is forgotten by the next claim of it.
		if err := claim("user:1", t0.Add(48*time.Hour+time.Second), func(*store.Tx) error { return nil }); err != nil {
			t.Fatalf("claiming a key 48 hours after its first claim: %v", err)
		}
		n, err := db.ForgetIdempotencyKeys(ctx, t0.Add(time.Second))
		if err != nil || n != 1 {
			t.Fatalf("forgetting the keys of t0 = %d, %v; want user:2's only", n, err)
		}
		if _, err := lookup("user:2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a forgotten key is still there: %v", err)
		}
		if _, err := lookup("user:1"); err != nil {
			t.Fatalf("the newer claim was forgotten: %v", err)
		}
	})
}
