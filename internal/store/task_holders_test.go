package store_test

import (
	"context"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/migrations"
)

// TestTaskHoldersBackfill checks that migration 00014 records who holds the tasks that exist when it runs:
// each task's assignee and, when someone else completed it, its completer — so a rep keeps reading the runs
// they worked in from the day the scope applies.
// laterUserColumns are the users' columns that migrations after 00013 added.
var laterUserColumns = []string{"timezone", "notify", "manager_id", "away_from", "away_to", "away_delegate_id", "digest_sent_at"}

func TestTaskHoldersBackfill(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sub, err := fs.Sub(migrations.FS, string(db.Dialect))
		if err != nil {
			t.Fatal(err)
		}
		dialect := goose.DialectPostgres
		if db.Dialect == store.SQLite {
			dialect = goose.DialectSQLite3
		}
		provider, err := goose.NewProvider(dialect, store.SQLOf(db), sub, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		// Back to just before 00014 (later migrations go down with it, and come back with Migrate).
		if _, err := provider.DownTo(ctx, 13); err != nil {
			t.Fatalf("undo 00014 and later: %v", err)
		}

		// Before 00014: two reps and a manager, one run with a task of each kind.
		now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		users := map[string]*store.User{}
		for _, email := range []string{"ann@example.com", "bob@example.com", "max@example.com"} {
			u := &store.User{Email: email, Role: "rep", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
			if err := store.GormOf(db).Omit(laterUserColumns...).Create(u).Error; err != nil {
				t.Fatal(err)
			}
			users[email] = u
		}
		rows := []any{
			&store.Workflow{ID: "wf", Name: "Approval", LatestVersion: 1, CreatedAt: now, UpdatedAt: now},
			&store.Execution{ID: "run", WorkflowID: "wf", WorkflowVersion: 1, Status: "paused", StartedAt: now, UpdatedAt: now,
				Variables: store.MustJSON(map[string]any{}), Outputs: store.MustJSON(map[string]any{}), State: store.MustJSON(map[string]any{}), Revision: 1},
		}
		task := func(id string, activation int64, assignee *store.User, status, completedBy string) *store.HumanTask {
			return &store.HumanTask{ID: id, ExecutionID: "run", WorkflowID: "wf", StepID: "s", Activation: activation,
				Assignee: assignee.Email, AssigneeID: &assignee.ID, Title: id, FormFields: store.MustJSON([]any{}),
				Status: status, CompletedBy: completedBy, CreatedAt: now, UpdatedAt: now}
		}
		rows = append(rows,
			task("open", 1, users["ann@example.com"], "open", ""),
			task("done-by-self", 2, users["ann@example.com"], "completed", "ann@example.com"),
			task("done-by-manager", 3, users["bob@example.com"], "completed", "MAX@example.com"),
			&store.HumanTask{ID: "nobody", ExecutionID: "run", WorkflowID: "wf", StepID: "s", Activation: 4, Assignee: "gone@example.com",
				Title: "nobody", FormFields: store.MustJSON([]any{}), Status: "cancelled", CreatedAt: now, UpdatedAt: now},
		)
		for _, r := range rows {
			// The schema is the one before the backfill: leave out the columns later migrations added.
			if err := store.GormOf(db).Omit("input", "test", "team", "delegated_from", "touched_at", "sla", "next_timer_at", "about",
				"subject_entity", "subject_id", "subject_label", "business_keys").Create(r).Error; err != nil {
				t.Fatalf("create %T: %v", r, err)
			}
		}

		if err := db.Migrate(ctx, storetest.Quiet()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		var holders []store.TaskHolder
		if err := store.GormOf(db).Order("task_id, user_id").Find(&holders).Error; err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range holders {
			if h.ExecutionID != "run" {
				t.Errorf("holder %+v is not of the run", h)
			}
			for email, u := range users {
				if u.ID == h.UserID {
					got = append(got, h.TaskID+" "+email)
				}
			}
		}
		slices.Sort(got)
		want := []string{"done-by-manager bob@example.com", "done-by-manager max@example.com",
			"done-by-self ann@example.com", "open ann@example.com"}
		if !slices.Equal(got, want) {
			t.Errorf("holders after 00014 = %q, want %q", got, want)
		}
	})
}
