package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// runs is a fixture of three runs and their people: ann (a rep) started run-a; max (a manager) started run-b,
// which has a task bob (a rep) holds, and run-c. Each run started an hour after the one before.
type runs struct {
	ann, bob, max *store.User
}

func (r runs) scope(u *store.User) store.ReadScope {
	return store.ReadScope{UserID: u.ID, Email: u.Email}
}

func seedRuns(t *testing.T, db *store.DB) runs {
	t.Helper()
	var r runs
	for _, p := range []**store.User{&r.ann, &r.bob, &r.max} {
		*p = &store.User{Role: "rep", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0}
	}
	r.ann.Email, r.bob.Email, r.max.Email, r.max.Role = "ann@example.com", "bob@example.com", "max@example.com", "manager"
	r.ann.Name, r.bob.Name = "Ann", "Bob"
	create(t, db, r.ann, r.bob, r.max,
		&store.Workflow{ID: "wf", Name: "Approval", LatestVersion: 1, CreatedAt: t0, UpdatedAt: t0})
	for i, run := range []struct{ id, by, status string }{{"run-a", r.ann.Email, "completed"}, {"run-b", r.max.Email, "paused"}, {"run-c", r.max.Email, "failed"}} {
		create(t, db, &store.Execution{ID: run.id, WorkflowID: "wf", WorkflowVersion: 1, Status: run.status,
			StartedAt: t0.Add(time.Duration(i) * time.Hour), UpdatedAt: t0, StartedBy: run.by, Error: "err " + run.id,
			Variables: store.MustJSON(map[string]any{"amount": 12.5}), Outputs: store.MustJSON(map[string]any{"ask": map[string]any{"ok": true}}),
			State: store.MustJSON(map[string]any{"branches": []any{map[string]any{"id": 1, "step": "ask"}}}), Revision: 1, TriggerType: "manual"})
	}
	due := t0.Add(24 * time.Hour)
	create(t, db,
		&store.HumanTask{ID: "task-b", ExecutionID: "run-b", WorkflowID: "wf", StepID: "ask", Activation: 1, Assignee: r.bob.Email,
			AssigneeID: &r.bob.ID, Title: "Approve", FormFields: store.MustJSON([]any{}), DueAt: &due, Status: "open", CreatedAt: t0, UpdatedAt: t0},
		&store.TaskHolder{TaskID: "task-b", UserID: r.bob.ID, ExecutionID: "run-b"},
		&store.HumanTask{ID: "task-c", ExecutionID: "run-c", WorkflowID: "wf", StepID: "ask", Activation: 1, Assignee: r.max.Email,
			AssigneeID: &r.max.ID, Title: "Check", FormFields: store.MustJSON([]any{}), Status: "completed",
			Values: store.MustJSON(map[string]any{"ok": "yes, approved"}), CompletedBy: r.max.Email, CreatedAt: t0.Add(time.Minute), UpdatedAt: t0},
		&store.LogRow{ExecutionID: "run-b", Timestamp: t0, StepID: "ask", StepName: "Ask", Action: "started", Message: "asked"},
		&store.LogRow{ExecutionID: "run-b", Timestamp: t0.Add(time.Second), StepID: "ask", StepName: "Ask", Action: "completed",
			Data: store.MustJSON(map[string]any{"task": "task-b"})})
	return r
}

func ids(rows []store.ExecutionListRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

var _ = exercise("executions/list-in-scope", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := seedRuns(t, db)
	ex := db.Executions()
	tests := []struct {
		name      string
		scope     store.ReadScope
		f         store.ExecutionFilter
		want      []string
		wantTotal int64
	}{
		{"a manager reads every run, newest first", store.ReadScope{All: true}, store.ExecutionFilter{Limit: 10}, []string{"run-c", "run-b", "run-a"}, 3},
		{"a rep reads the runs they started", r.scope(r.ann), store.ExecutionFilter{Limit: 10}, []string{"run-a"}, 1},
		{"a rep reads the runs they hold a task in", r.scope(r.bob), store.ExecutionFilter{Limit: 10}, []string{"run-b"}, 1},
		{"nobody reads nothing", store.ReadScope{}, store.ExecutionFilter{Limit: 10}, []string{}, 0},
		{"by status", store.ReadScope{All: true}, store.ExecutionFilter{Status: "failed", Limit: 10}, []string{"run-c"}, 1},
		{"by start", store.ReadScope{All: true}, store.ExecutionFilter{Since: t0.Add(time.Hour), Until: t0.Add(2 * time.Hour), Limit: 10}, []string{"run-b"}, 1},
		{"by workflow", store.ReadScope{All: true}, store.ExecutionFilter{WorkflowID: "nope", Limit: 10}, []string{}, 0},
		{"a page", store.ReadScope{All: true}, store.ExecutionFilter{Limit: 1, Offset: 1}, []string{"run-b"}, 3},
		{"counting up to 2", store.ReadScope{All: true}, store.ExecutionFilter{Limit: 1, CountUpTo: 2}, []string{"run-c"}, 2},
	}
	for _, tt := range tests {
		rows, total, err := ex.ListExecutions(ctx, tt.scope, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := ids(rows); total != tt.wantTotal || len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("%s: %v (total %d), want %v (total %d)", tt.name, got, total, tt.want, tt.wantTotal)
		}
	}
	rows, _, err := ex.ListExecutions(ctx, store.ReadScope{All: true}, store.ExecutionFilter{Status: "completed", Limit: 1})
	if err != nil || len(rows) != 1 || rows[0].StartedAt.IsZero() || rows[0].Error != "err run-a" || rows[0].WorkflowVersion != 1 {
		t.Fatalf("a listed run = %+v, %v", rows, err)
	}

	got, err := ex.ExecutionsByID(ctx, r.scope(r.bob), []string{"run-a", "run-b", "gone"})
	if err != nil || len(got) != 1 || got[0].ID != "run-b" || got[0].Status != "paused" {
		t.Fatalf("ExecutionsByID for bob = %+v, %v; want run-b only", got, err)
	}
})

var _ = exercise("executions/detail-decoded", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := seedRuns(t, db)
	var state struct {
		Branches []struct {
			ID   int    `json:"id"`
			Step string `json:"step"`
		} `json:"branches"`
	}
	var d *store.ExecutionDetail
	must(t, db.Snapshot(ctx, func(tx *store.Tx) error {
		var err error
		d, err = tx.Executions().Detail(ctx, r.scope(r.bob), "run-b", &state)
		return err
	}))
	if d.ID != "run-b" || d.WorkflowName != "Approval" || d.StartedBy != r.max.Email || d.TriggerType != "manual" || d.Status != "paused" {
		t.Fatalf("Detail = %+v", d)
	}
	if d.Variables["amount"] != 12.5 || d.Outputs["ask"].(map[string]any)["ok"] != true {
		t.Fatalf("variables %v, outputs %v: not decoded", d.Variables, d.Outputs)
	}
	if len(state.Branches) != 1 || state.Branches[0].Step != "ask" {
		t.Fatalf("state = %+v, want its branch", state)
	}
	if len(d.Log) != 2 || d.Log[0].Action != workflow.LogStarted || d.Log[0].Message != "asked" || d.Log[0].Data != nil ||
		d.Log[1].Data.(map[string]any)["task"] != "task-b" {
		t.Fatalf("log = %+v", d.Log)
	}
	if len(d.Tasks) != 1 || d.Tasks[0].ID != "task-b" {
		t.Fatalf("tasks = %+v", d.Tasks)
	}
	if _, err := db.Executions().Detail(ctx, r.scope(r.ann), "run-b", &state); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a run out of scope: %v, want ErrNotFound", err)
	}
	if _, err := db.Executions().Detail(ctx, store.ReadScope{All: true}, "gone", &state); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a run that does not exist: %v, want ErrNotFound", err)
	}
})

// The designer's test runs are left out of lists unless asked for, with their tasks (which carry their run's
// test mark, as the engine copies it when it makes them); one execution's tasks are all listed.
var _ = exercise("executions/test-runs-left-out", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r := seedRuns(t, db)
	create(t, db, &store.Execution{ID: "run-t", WorkflowID: "wf", WorkflowVersion: 1, Status: "paused", Test: true,
		StartedAt: t0.Add(5 * time.Hour), UpdatedAt: t0, StartedBy: r.max.Email, Variables: store.MustJSON(map[string]any{}),
		Outputs: store.MustJSON(map[string]any{}), State: store.MustJSON(map[string]any{}), Revision: 1, TriggerType: "manual"},
		&store.HumanTask{ID: "task-t", ExecutionID: "run-t", WorkflowID: "wf", StepID: "ask", Activation: 1, Assignee: r.max.Email,
			AssigneeID: &r.max.ID, Title: "Try", FormFields: store.MustJSON([]any{}), Status: "open", Test: true, CreatedAt: t0, UpdatedAt: t0})
	all := store.ReadScope{All: true}
	for _, tt := range []struct {
		tests store.TestRuns
		runs  []string
		tasks []string
	}{
		{store.TestRunsLeftOut, []string{"run-c", "run-b", "run-a"}, []string{"task-b"}},
		{store.TestRunsIncluded, []string{"run-t", "run-c", "run-b", "run-a"}, []string{"task-b", "task-t"}},
		{store.TestRunsOnly, []string{"run-t"}, []string{"task-t"}},
	} {
		rows, total, err := db.Executions().ListExecutions(ctx, all, store.ExecutionFilter{Limit: 10, TestRuns: tt.tests})
		if err != nil || total != int64(len(tt.runs)) || !slices.Equal(ids(rows), tt.runs) {
			t.Errorf("%q: runs %v (%d), %v; want %v", tt.tests, ids(rows), total, err, tt.runs)
		}
		tasks, _, err := db.Tasks().ListTasks(ctx, all, store.TaskQuery{Status: "open", Limit: 10, TestRuns: tt.tests})
		var got []string
		for _, tk := range tasks {
			got = append(got, tk.ID)
		}
		slices.Sort(got)
		if err != nil || !slices.Equal(got, tt.tasks) {
			t.Errorf("%q: open tasks %v, %v; want %v", tt.tests, got, err, tt.tasks)
		}
	}
	tasks, _, err := db.Tasks().ListTasks(ctx, all, store.TaskQuery{ExecutionID: "run-t", Limit: 10})
	if err != nil || len(tasks) != 1 || tasks[0].ID != "task-t" {
		t.Errorf("the test run's own tasks: %+v, %v", tasks, err)
	}
})
