package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// A use case's database inside a test's transaction: its writes are seen inside, its own transactions are
// savepoints (a failing one undoes only itself), and after the rollback nothing is left.
func TestWithinRollsEverythingBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		count := func(on *store.DB, email string) int64 {
			t.Helper()
			var n int64
			if err := store.GormOf(on).Model(&store.User{}).Where("email = ?", email).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		in, rollback, err := db.Within(ctx)
		if err != nil {
			t.Fatal(err)
		}
		insert := func(email string, fail error) error {
			return in.Tx(ctx, func(tx *store.Tx) error {
				if err := (store.Insert{Row: &store.User{Email: email, Name: email, Role: "rep"}}).Apply(ctx, tx); err != nil {
					return err
				}
				return fail
			})
		}
		if err := insert("kept@example.com", nil); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("the use case failed")
		if err := insert("undone@example.com", boom); !errors.Is(err, boom) {
			t.Fatalf("a failing transaction inside: %v", err)
		}
		if n := count(in, "kept@example.com"); n != 1 {
			t.Fatalf("inside, the committed savepoint's row is seen %d times, want 1", n)
		}
		if n := count(in, "undone@example.com"); n != 0 {
			t.Fatalf("inside, the failed savepoint's row is seen %d times, want 0", n)
		}
		if err := in.Close(); err != nil {
			t.Fatalf("closing the DB of Within closes nothing: %v", err)
		}
		if err := rollback(); err != nil {
			t.Fatal(err)
		}
		if n := count(db, "kept@example.com"); n != 0 {
			t.Fatalf("after the rollback the row is there %d times, want 0", n)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("the database is still open after the rollback: %v", err)
		}
	})
}

// Use-case tests in parallel do not see each other's writes: each runs in its own rolled-back transaction.
func TestUseCaseDatabasesAreTheirOwn(t *testing.T) {
	t.Parallel()
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			storetest.EachUseCase(t, func(t *testing.T, db *store.DB) { useCaseDatabase(t, db, i) })
		})
	}
}

func useCaseDatabase(t *testing.T, db *store.DB, i int) {
	{
		ctx := context.Background()
		// Every use-case database is migrated (the default mail templates are there) and empty of users.
		var templates, users int64
		if err := store.GormOf(db).WithContext(ctx).Model(&store.EmailTemplate{}).Count(&templates).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.GormOf(db).WithContext(ctx).Model(&store.User{}).Count(&users).Error; err != nil {
			t.Fatal(err)
		}
		if templates == 0 || users != 0 {
			t.Fatalf("a use-case database has %d mail templates and %d users, want some and none", templates, users)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return store.Insert{Row: &store.User{Email: fmt.Sprintf("only-here-%d@example.com", i), Role: "rep"}}.Apply(ctx, tx)
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // the other tests look while this one's row is written, not committed
	}
}

// TestMain lets more parallel tests run at once than one per core (they wait on the databases, not on the
// CPU) and drops the shared database at the end.
func TestMain(m *testing.M) {
	storetest.RaiseParallel(4)
	os.Exit(storetest.Main(m))
}
