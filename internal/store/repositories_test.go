package store_test

import (
	"slices"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// exercises are the repository suite, one per aggregate, registered by the file that tests it:
//
//	var _ = exercise("executions", exerciseExecutions)
//
// Like River's riverdrivertest, the one suite runs over every database: SQLite always, PostgreSQL when
// PANTRYFLOW_TEST_DATABASE_URL is set (CI requires it).
var exercises = map[string]func(t *testing.T, db *store.DB){}

func exercise(name string, fn func(t *testing.T, db *store.DB)) bool {
	if _, dup := exercises[name]; dup {
		panic("two repository exercises named " + name)
	}
	exercises[name] = fn
	return true
}

func TestRepositories(t *testing.T) {
	names := make([]string, 0, len(exercises))
	for name := range exercises {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, exercises[name])
		})
	}
}
