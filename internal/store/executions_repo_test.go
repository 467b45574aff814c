package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var repoT0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// seedWorkflow stores an enabled manual workflow id with version 1, published at repoT0.
func seedWorkflow(t *testing.T, db *store.DB, id string) {
	t.Helper()
	one := 1
	published := repoT0
	storetest.Insert(t, db,
		&store.Workflow{ID: id, Name: "Workflow " + id, Enabled: true, ActiveVersion: &one, LatestVersion: 1,
			TriggerType: "manual", CreatedAt: repoT0, UpdatedAt: repoT0},
		&store.WorkflowVersion{WorkflowID: id, Version: 1, Definition: store.JSON(`{"steps": []}`),
			Status: store.VersionPublished, CreatedAt: repoT0, PublishedAt: &published})
}

// newExecution is a running execution of wf at revision 1.
func newExecution(id, wf string) *store.Execution {
	return &store.Execution{ID: id, WorkflowID: wf, WorkflowVersion: 1, Status: "running", StartedAt: repoT0,
		UpdatedAt: repoT0, Variables: store.JSON(`{}`), Outputs: store.JSON(`{}`), State: store.JSON(`{"branches": []}`),
		Revision: 1}
}

var _ = exercise("executions/update-batch", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	fresh, stale := newExecution("fresh", "wf"), newExecution("stale", "wf")
	storetest.Insert(t, db, fresh, stale)
	done := repoT0.Add(time.Minute)
	wake := repoT0.Add(time.Hour)
	writes := []store.ExecutionWrite{
		{ID: "fresh", Revision: 1, Status: "completed", CurrentStep: "b", Variables: `{"x": 1}`, Outputs: `{"a": {"y": 2}}`,
			State: `{"branches": [{"id": 1}]}`, Error: "e", FailedStep: "f", WaitingUntil: &wake, CompletedAt: &done, UpdatedAt: done},
		{ID: "stale", Revision: 4, Status: "completed", Variables: `{}`, Outputs: `{}`, State: `{}`, UpdatedAt: done},
	}
	var updated map[string]bool
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		updated, err = tx.Executions().UpdateBatch(ctx, writes)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !updated["fresh"] || updated["stale"] || len(updated) != 1 {
		t.Fatalf("updated %v, want only fresh", updated)
	}
	got, err := db.Executions().ByID(ctx, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	var vars, state map[string]any
	if err := got.Variables.Decode(&vars); err != nil {
		t.Fatal(err)
	}
	if err := got.State.Decode(&state); err != nil {
		t.Fatal(err)
	}
	if got.Status != "completed" || got.Revision != 2 || got.CurrentStep != "b" || vars["x"] != 1.0 ||
		len(state["branches"].([]any)) != 1 || got.Error != "e" || got.FailedStep != "f" ||
		got.WaitingUntil == nil || !got.WaitingUntil.Equal(wake) || got.CompletedAt == nil || !got.CompletedAt.Equal(done) ||
		!got.UpdatedAt.Equal(done) {
		t.Fatalf("fresh after the update: %+v", got)
	}
	untouched, err := db.Executions().ByID(ctx, "stale")
	if err != nil {
		t.Fatal(err)
	}
	if untouched.Status != "running" || untouched.Revision != 1 {
		t.Fatalf("stale was written: %s rev %d", untouched.Status, untouched.Revision)
	}
	if _, err := db.Executions().ByID(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ByID of a missing execution = %v, want ErrNotFound", err)
	}
})

var _ = exercise("executions/insert-logs", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	storetest.Insert(t, db, newExecution("a", "wf"), newExecution("b", "wf"))
	ms := int64(12)
	rows := []store.LogRow{{ExecutionID: "a", Timestamp: repoT0, StepID: "s", StepName: "S", Action: "started", Message: "go"},
		{ExecutionID: "a", Timestamp: repoT0, StepID: "s", StepName: "S", Action: "completed", Message: "done",
			Data: store.JSON(`{"k": "v"}`), DurationMs: &ms, Reason: "r"}}
	// More than one SQLite statement holds.
	for i := range 1201 {
		rows = append(rows, store.LogRow{ExecutionID: "b", Timestamp: repoT0.Add(time.Duration(i) * time.Millisecond),
			StepID: "s", StepName: "S", Action: "failed", Message: "again"})
	}
	err := db.Tx(ctx, func(tx *store.Tx) error { return tx.Executions().InsertLogs(ctx, rows) })
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int64{"a": 2, "b": 1201} {
		n, err := db.Executions().LogCount(ctx, id)
		if err != nil || n != want {
			t.Fatalf("log of %s: %d entries (%v), want %d", id, n, err, want)
		}
	}
	if err := db.Executions().InsertLogs(ctx, nil); err != nil {
		t.Fatalf("no entries: %v", err)
	}
})

var _ = exercise("executions/reads", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	soon, later, past := repoT0.Add(time.Minute), repoT0.Add(2*time.Minute), repoT0.Add(-time.Hour)
	done := repoT0.Add(30 * time.Second)
	rows := []*store.Execution{newExecution("later", "wf"), newExecution("soon", "wf"), newExecution("paused", "wf"),
		newExecution("done", "wf"), newExecution("old", "wf")}
	rows[0].WaitingUntil, rows[0].TriggerRef = &later, "3"
	rows[1].WaitingUntil, rows[1].TriggerRef = &soon, "1"
	rows[2].WaitingUntil, rows[2].Status, rows[2].TriggerRef = &soon, "paused", "2"
	rows[3].WaitingUntil, rows[3].Status, rows[3].CompletedAt = &soon, "completed", &done
	rows[4].StartedAt, rows[4].UpdatedAt = past, past
	for _, r := range rows {
		if err := db.Executions().Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	due, err := db.Executions().Due(ctx, later, []string{"running", "paused"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 3 || due[2] != "later" || !slices.Contains(due[:2], "soon") || !slices.Contains(due[:2], "paused") {
		t.Fatalf("due at +2m: %v, want soon and paused, then later", due)
	}
	if due, _ := db.Executions().Due(ctx, soon, []string{"running"}, 1); !slices.Equal(due, []string{"soon"}) {
		t.Fatalf("due running at +1m, one at most: %v", due)
	}
	var seen []string
	batches := 0
	err = db.Executions().StatesInBatches(ctx, "running", time.Time{}, 2, func(rows []store.Execution) error {
		batches++
		for _, r := range rows {
			if len(r.State) == 0 || r.Status != "" {
				t.Errorf("execution %s: state %q, status %q; want the state only", r.ID, r.State, r.Status)
			}
			seen = append(seen, r.ID)
		}
		return nil
	})
	slices.Sort(seen)
	if err != nil || !slices.Equal(seen, []string{"later", "old", "soon"}) || batches != 2 {
		t.Fatalf("running states in batches of 2: %v in %d batches (%v)", seen, batches, err)
	}
	seen = nil
	_ = db.Executions().StatesInBatches(ctx, "running", repoT0, 2, func(rows []store.Execution) error {
		for _, r := range rows {
			seen = append(seen, r.ID)
		}
		return nil
	})
	if !slices.Equal(seen, []string{"old"}) {
		t.Fatalf("running states changed before t0: %v, want old", seen)
	}
	if n, err := db.Executions().CountByStatus(ctx, "running"); err != nil || n != 3 {
		t.Fatalf("running: %d (%v), want 3", n, err)
	}
	if refs, err := db.Executions().TriggerRefs(ctx, "wf"); err != nil || !slices.Equal(refs, []string{"", "", "1", "2", "3"}) {
		t.Fatalf("trigger refs %q (%v)", refs, err)
	}
	last, err := db.Executions().LastCompletion(ctx)
	if err != nil || !last.Equal(done) {
		t.Fatalf("last completion %v (%v), want %v", last, err, done)
	}
	times, err := db.Executions().RunTimesSince(ctx, repoT0)
	if err != nil || len(times) != 4 {
		t.Fatalf("run times since t0: %v (%v), want 4", times, err)
	}
})

var _ = exercise("tasks/engine-writes", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	storetest.Insert(t, db, newExecution("e1", "wf"), newExecution("e2", "wf"))
	task := func(id, exec string, activation int64, status string) *store.HumanTask {
		return &store.HumanTask{ID: id, ExecutionID: exec, WorkflowID: "wf", StepID: "s", Activation: activation,
			Assignee: "rep@example.com", Title: id, FormFields: store.JSON(`[]`), Status: status, CreatedAt: repoT0, UpdatedAt: repoT0}
	}
	storetest.Insert(t, db, task("a", "e1", 1, "open"), task("b", "e1", 2, "open"), task("c", "e1", 3, "completed"),
		task("d", "e2", 1, "open"))
	later := repoT0.Add(time.Hour)
	status := func(id string) string {
		t.Helper()
		got, err := db.Tasks().ByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	if err := db.Tasks().MoveOfExecution(ctx, "e1", "open", "cancelled", later); err != nil {
		t.Fatal(err)
	}
	if a, b, c, d := status("a"), status("b"), status("c"), status("d"); a != "cancelled" || b != "cancelled" || c != "completed" || d != "open" {
		t.Fatalf("after cancelling e1's open tasks: a %s, b %s, c %s, d %s", a, b, c, d)
	}
	if err := db.Tasks().Move(ctx, []string{"a", "c"}, "cancelled", "open", later); err != nil {
		t.Fatal(err)
	}
	if a, b, c := status("a"), status("b"), status("c"); a != "open" || b != "cancelled" || c != "completed" {
		t.Fatalf("after reopening a and c: a %s, b %s, c %s", a, b, c)
	}
	ok, err := db.Tasks().Complete(ctx, store.TaskCompletion{ID: "a", From: "open", To: "completed",
		Values: store.JSON(`{"ok": true}`), By: "rep@example.com", At: later})
	if err != nil || !ok {
		t.Fatalf("complete a: %t, %v", ok, err)
	}
	got, err := db.Tasks().ByID(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "completed" || got.CompletedBy != "rep@example.com" || got.CompletedAt == nil ||
		!got.CompletedAt.Equal(later) || !got.UpdatedAt.Equal(later) || string(got.Values) == "" {
		t.Fatalf("a after completing: %+v", got)
	}
	if ok, err := db.Tasks().Complete(ctx, store.TaskCompletion{ID: "a", From: "open", To: "completed", At: later}); err != nil || ok {
		t.Fatalf("completing a twice: %t, %v; want false", ok, err)
	}
	if _, err := db.Tasks().ByID(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ByID of a missing task = %v, want ErrNotFound", err)
	}
})

var _ = exercise("workflows/engine-reads", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	seedWorkflow(t, db, "other")
	v, err := db.Workflows().StoredVersion(ctx, "wf", 1)
	if err != nil || v.WorkflowID != "wf" || v.Version != 1 || len(v.Definition) == 0 {
		t.Fatalf("version 1 of wf: %+v (%v)", v, err)
	}
	if _, err := db.Workflows().StoredVersion(ctx, "wf", 2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a missing version = %v, want ErrNotFound", err)
	}
	at, err := db.Workflows().PublishedAt(ctx, "wf", 1)
	if err != nil || at == nil || !at.Equal(repoT0) {
		t.Fatalf("published at %v (%v), want %v", at, err, repoT0)
	}
	if _, err := db.Workflows().PublishedAt(ctx, "wf", 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("published at of a missing version = %v, want ErrNotFound", err)
	}
	if err := db.Workflows().SetEnabledOf(ctx, []string{"wf"}, false); err != nil {
		t.Fatal(err)
	}
	wfs, err := db.Triggers().WorkflowsTriggeredBy(ctx, "manual")
	if err != nil || len(wfs) != 1 || wfs[0].ID != "other" {
		t.Fatalf("enabled manual workflows after disabling wf: %v (%v), want other", wfs, err)
	}
})

var _ = exercise("testsupport/bulk-and-counts", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	cols := []string{"id", "workflow_id", "workflow_version", "status", "started_at", "updated_at", "variables",
		"outputs", "state", "revision"}
	var values []any
	for i := range 3 {
		status := "completed"
		if i == 0 {
			status = "failed"
		}
		values = append(values, "bulk-"+string(rune('a'+i)), "wf", 1, status, repoT0, repoT0, "{}", "{}", "{}", 1)
	}
	err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertRows(ctx, "executions", cols, values) })
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertRows(ctx, "executions", cols, values[:3]) }); err == nil {
		t.Fatal("InsertRows took 3 values for 10 columns")
	}
	if n, err := db.CountRows(ctx, &store.Execution{}); err != nil || n != 3 {
		t.Fatalf("%d executions (%v), want 3", n, err)
	}
	counts, err := db.Executions().StatusCounts(ctx)
	if err != nil || counts["completed"] != 2 || counts["failed"] != 1 || len(counts) != 2 {
		t.Fatalf("status counts %v (%v)", counts, err)
	}
	if others, err := db.Executions().NotIn(ctx, "completed", 3); err != nil || len(others) != 1 || others[0].ID != "bulk-a" {
		t.Fatalf("not completed: %v (%v)", others, err)
	}
	logs := []store.LogRow{{ExecutionID: "bulk-a", Timestamp: repoT0, StepID: "s", StepName: "S", Action: "completed", Message: "m"},
		{ExecutionID: "bulk-a", Timestamp: repoT0, StepID: "s", StepName: "S", Action: "completed", Message: "m"},
		{ExecutionID: "bulk-b", Timestamp: repoT0, StepID: "s", StepName: "S", Action: "failed", Message: "m"}}
	if err := db.Executions().InsertLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	steps, err := db.Executions().StepLogCounts(ctx, "completed")
	if err != nil || len(steps) != 1 || steps[0] != (store.StepLogCount{ExecutionID: "bulk-a", StepID: "s", N: 2}) {
		t.Fatalf("completed per step: %v (%v)", steps, err)
	}
	if n, err := db.Executions().ActionLogCount(ctx, "failed"); err != nil || n != 1 {
		t.Fatalf("failed entries: %d (%v), want 1", n, err)
	}
	if err := db.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
})

var _ = exercise("executions/forget-test-runs", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	seedWorkflow(t, db, "wf")
	old, recent := repoT0, repoT0.Add(6*24*time.Hour)
	run := func(id string, test bool, status string, done *time.Time) *store.Execution {
		e := newExecution(id, "wf")
		e.Test, e.Status, e.CompletedAt = test, status, done
		return e
	}
	storetest.Insert(t, db,
		run("old-test", true, "completed", &old), run("old-failed-test", true, "failed", &old),
		run("recent-test", true, "completed", &recent), run("running-test", true, "running", nil),
		run("old-real", false, "completed", &old),
		&store.LogRow{ExecutionID: "old-test", Timestamp: old, StepID: "a", StepName: "A", Action: "completed", Message: "done"},
		&store.HumanTask{ID: "old-task", ExecutionID: "old-test", WorkflowID: "wf", StepID: "a", Activation: 1, Assignee: "max@example.com",
			Title: "Try", FormFields: store.MustJSON([]any{}), Status: "completed", Test: true, CreatedAt: old, UpdatedAt: old})
	n, err := db.Executions().ForgetTestRuns(ctx, repoT0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("forgot %d test runs, want the 2 that ended before", n)
	}
	for id, kept := range map[string]bool{"old-test": false, "old-failed-test": false, "recent-test": true, "running-test": true, "old-real": true} {
		_, err := db.Executions().ByID(ctx, id)
		if got := err == nil; got != kept {
			t.Errorf("%s kept = %v, want %v (%v)", id, got, kept, err)
		}
	}
	if c, err := db.Executions().LogCount(ctx, "old-test"); err != nil || c != 0 {
		t.Errorf("the forgotten run's log has %d rows (%v), want none", c, err)
	}
	if tasks, _, err := db.Tasks().ListTasks(ctx, store.ReadScope{All: true}, store.TaskQuery{ExecutionID: "old-test", Limit: 10}); err != nil || len(tasks) != 0 {
		t.Errorf("the forgotten run's tasks: %d (%v), want none", len(tasks), err)
	}
})
