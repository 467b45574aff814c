package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

func taskIDs(rows []store.HumanTask) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

var _ = exercise("tasks/list-get-reassign", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := seedRuns(t, db)
	// A second open task of bob's without a due date, and one of ann's due sooner than his.
	soon := t0.Add(time.Hour)
	create(t, db,
		&store.HumanTask{ID: "task-b2", ExecutionID: "run-b", WorkflowID: "wf", StepID: "ask2", Activation: 2, Assignee: r.bob.Email,
			AssigneeID: &r.bob.ID, Title: "Later", FormFields: store.MustJSON([]any{}), Status: "open", CreatedAt: t0, UpdatedAt: t0},
		&store.HumanTask{ID: "task-a", ExecutionID: "run-a", WorkflowID: "wf", StepID: "ask", Activation: 1, Assignee: r.ann.Email,
			AssigneeID: &r.ann.ID, Title: "Soon", FormFields: store.MustJSON([]any{}), DueAt: &soon, Status: "open", CreatedAt: t0.Add(time.Hour), UpdatedAt: t0})
	tasks := db.Tasks()
	all := store.ReadScope{All: true}
	dueBefore := t0.Add(2 * time.Hour)
	tests := []struct {
		name      string
		scope     store.ReadScope
		q         store.TaskQuery
		want      []string
		wantTotal int64
	}{
		{"open, soonest due first, undated last", all, store.TaskQuery{Status: "open", Limit: 10}, []string{"task-a", "task-b", "task-b2"}, 3},
		{"the inbox's order is the same", all, store.TaskQuery{Status: "open", Order: store.TaskOrderInbox, Limit: 10}, []string{"task-a", "task-b", "task-b2"}, 3},
		{"a rep sees their own", r.scope(r.bob), store.TaskQuery{Limit: 10}, []string{"task-b", "task-b2"}, 2},
		{"every status", all, store.TaskQuery{Limit: 10}, []string{"task-a", "task-b", "task-b2", "task-c"}, 4},
		{"by run", all, store.TaskQuery{ExecutionID: "run-c", Limit: 10}, []string{"task-c"}, 1},
		{"by assignee id", all, store.TaskQuery{AssigneeID: &r.ann.ID, Limit: 10}, []string{"task-a"}, 1},
		{"by assignee email", all, store.TaskQuery{Assignee: r.max.Email, Limit: 10}, []string{"task-c"}, 1},
		{"due soon", all, store.TaskQuery{DueBefore: &dueBefore, Limit: 10}, []string{"task-a"}, 1},
		{"a page", all, store.TaskQuery{Status: "open", Limit: 1, Offset: 1}, []string{"task-b"}, 3},
	}
	for _, tt := range tests {
		rows, total, err := tasks.ListTasks(ctx, tt.scope, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := taskIDs(rows)
		if total != tt.wantTotal || len(got) != len(tt.want) {
			t.Errorf("%s: %v (total %d), want %v (total %d)", tt.name, got, total, tt.want, tt.wantTotal)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}

	if task, err := tasks.Task(ctx, r.scope(r.bob), "task-b"); err != nil || task.Title != "Approve" {
		t.Fatalf("Task = %+v, %v", task, err)
	}
	if _, err := tasks.Task(ctx, r.scope(r.ann), "task-b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("someone else's task: %v, want ErrNotFound", err)
	}

	done, err := tasks.CompletedTasksOf(ctx, []string{"run-b", "run-c"})
	if err != nil || len(done) != 1 || done[0].ID != "task-c" || done[0].CompletedBy != r.max.Email {
		t.Fatalf("CompletedTasksOf = %+v, %v", done, err)
	}
	var values map[string]any
	if err := done[0].Values.Decode(&values); err != nil || values["ok"] != "yes, approved" {
		t.Fatalf("the answers read = %s (%v)", done[0].Values, err)
	}

	// Reassigning bob's open task to ann: she holds it now, and bob still holds it too.
	must(t, db.Tx(ctx, func(tx *store.Tx) error {
		ok, err := tx.Tasks().Reassign(ctx, "task-b", r.ann.ID, r.ann.Email, t0.Add(time.Hour))
		if err == nil && !ok {
			t.Error("Reassign of an open task did nothing")
		}
		return err
	}))
	task, err := tasks.Task(ctx, r.scope(r.ann), "task-b")
	if err != nil || task.Assignee != r.ann.Email || !task.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after Reassign: %+v, %v", task, err)
	}
	for _, u := range []*store.User{r.ann, r.bob} {
		if rows, _, err := db.Executions().ListExecutions(ctx, r.scope(u), store.ExecutionFilter{Limit: 10}); err != nil || len(rows) == 0 {
			t.Fatalf("%s no longer reads the run after the reassignment: %v, %v", u.Email, ids(rows), err)
		}
	}
	if ok, err := tasks.Reassign(ctx, "task-c", r.ann.ID, r.ann.Email, t0); err != nil || ok {
		t.Fatalf("Reassign of a completed task = %v, %v; want false", ok, err)
	}
})

var _ = exercise("tasks/open-todos", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := seedRuns(t, db)
	due := t0.Add(time.Hour)
	create(t, db,
		&store.CRMTask{ID: "todo-1", Title: "Call", AssigneeID: &r.ann.ID, Priority: "high", DueAt: &due, Status: "open", CreatedAt: t0, UpdatedAt: t0},
		&store.CRMTask{ID: "todo-2", Title: "Mail", AssigneeID: &r.bob.ID, Priority: "low", Status: "open", CreatedAt: t0, UpdatedAt: t0},
		&store.CRMTask{ID: "todo-3", Title: "Done", AssigneeID: &r.ann.ID, Priority: "low", Status: "done", CreatedAt: t0, UpdatedAt: t0})
	todos := db.Tasks()
	rows, total, err := todos.OpenTodos(ctx, store.ReadScope{All: true}, store.TodoQuery{Limit: 10})
	if err != nil || total != 2 || len(rows) != 2 || rows[0].ID != "todo-1" || rows[1].ID != "todo-2" {
		t.Fatalf("every open to-do = %+v (%d), %v", rows, total, err)
	}
	rows, total, err = todos.OpenTodos(ctx, r.scope(r.bob), store.TodoQuery{Limit: 10})
	if err != nil || total != 1 || rows[0].ID != "todo-2" {
		t.Fatalf("bob's = %+v (%d), %v", rows, total, err)
	}
	before := t0.Add(2 * time.Hour)
	rows, total, err = todos.OpenTodos(ctx, store.ReadScope{All: true}, store.TodoQuery{AssigneeID: &r.ann.ID, DueBefore: &before, Limit: 10})
	if err != nil || total != 1 || rows[0].ID != "todo-1" {
		t.Fatalf("ann's due soon = %+v (%d), %v", rows, total, err)
	}
})
