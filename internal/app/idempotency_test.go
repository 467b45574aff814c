package app

import (
	"context"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// TestKeySweepersForgetOldKeys: two sweepers running at once (two instances) forget the keys claimed 48
// hours ago on the app's clock, keep the younger ones, and stop when told.
func TestKeySweepersForgetOldKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		clk := clock.NewFake(t0.Add(48*time.Hour + time.Second))
		for key, at := range map[string]time.Time{"old": t0, "young": t0.Add(time.Hour)} {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				return store.ClaimKeyTx(ctx, tx, &store.IdempotencyKey{Scope: "user:1", RequestKey: key, Fingerprint: "f", Status: 201, CreatedAt: at}, t0.Add(-KeepKeys))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		a, b := NewKeySweeper(db, clk, storetest.Quiet(), 5*time.Millisecond), NewKeySweeper(db, clk, storetest.Quiet(), 5*time.Millisecond)
		a.Start(ctx)
		b.Start(ctx)
		keys := func() []string {
			out, err := db.IdempotencyKeys(ctx, "user:1")
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		for deadline := time.Now().Add(10 * time.Second); len(keys()) != 1; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the sweepers left %v", keys())
			}
		}
		a.Stop()
		b.Stop()
		if got := keys(); len(got) != 1 || got[0] != "young" {
			t.Fatalf("after the sweep: %v, want [young]", got)
		}
	})
}
