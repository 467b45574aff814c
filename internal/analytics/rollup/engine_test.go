package rollup_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

const approvalDef = `{
  "name": "Approve big deals",
  "trigger": {"type": "manual", "configuration": {}},
  "variables": [{"name": "amount", "type": "number", "required": true}, {"name": "note", "type": "string"}],
  "steps": [
    {"id": "check", "name": "Big deal?", "type": "condition",
     "configuration": {"condition": "amount > 10", "trueSteps": ["review"], "falseSteps": ["done"]}},
    {"id": "review", "name": "Review", "type": "human_task", "nextSteps": ["done"],
     "configuration": {"assignee": "rep@example.com", "title": "Review", "dueDate": "+1 hour"}},
    {"id": "done", "name": "Done", "type": "action", "nextSteps": [],
     "configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "done"}}}
  ]
}`

// TestMetricsOfRunsTheEngineMade checks the figures that come from joining the log with other rows — a
// condition's result, a task's due date — on rows the engine itself wrote (not rows a test inserted): six
// big deals wait for a review due an hour after it opens, four small ones go straight through; two
// reviews are done at once, three two hours later (late), one stays open (overdue).
func TestMetricsOfRunsTheEngineMade(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, b *bundle) {
		wf := b.workflow(approvalDef)
		if err := b.srv.Start(b.ctx); err != nil {
			t.Fatal(err)
		}
		var big []string
		for i := range 10 {
			amount := 5.0
			if i < 6 {
				amount = 20
			}
			id, err := b.srv.App.StartExecution(b.ctx, b.manager, wf, map[string]any{"amount": amount}, engine.StartMeta{TriggerType: workflow.TriggerManual, StartedBy: b.manager.Email})
			if err != nil {
				t.Fatal(err)
			}
			if amount == 20 {
				big = append(big, id)
			}
		}
		// A test run, which no metric counts.
		if _, err := b.srv.App.StartTest(b.ctx, b.manager, wf, 1, map[string]any{"amount": 20.0}); err != nil {
			t.Fatal(err)
		}
		tasks := make([]string, len(big))
		for i, id := range big {
			tasks[i] = b.waitTask(id)
		}
		for _, task := range tasks[:2] {
			if err := b.srv.App.CompleteTask(b.ctx, b.manager, task, nil); err != nil {
				t.Fatal(err)
			}
		}
		b.clock.Advance(2 * time.Hour)
		for _, task := range tasks[2:5] {
			if err := b.srv.App.CompleteTask(b.ctx, b.manager, task, nil); err != nil {
				t.Fatal(err)
			}
		}
		b.waitCompleted(wf, 9)
		b.flush()

		m, err := b.srv.App.WorkflowMetrics(b.ctx, wf, "day", 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := (analytics.StatusCounts{Completed: 9, Paused: 1}); m.Statuses != want || m.SuccessRate != 100 || m.CompletionRate != 90 {
			t.Fatalf("statuses %+v, success %v, completion %v; want %+v, 100, 90", m.Statuses, m.SuccessRate, m.CompletionRate, want)
		}
		byID := map[string]analytics.StepStats{}
		for _, s := range m.Steps {
			byID[s.StepID] = s
		}
		check, review, done := byID["check"], byID["review"], byID["done"]
		if check.Runs != 10 || check.ConditionTrue == nil || *check.ConditionTrue != 6 || *check.ConditionFalse != 4 {
			t.Errorf("check = %s; want 10 runs, 6 true, 4 false", asJSON(t, check))
		}
		if review.Runs != 5 || review.TasksWithDueDate == nil || *review.TasksWithDueDate != 5 || *review.TasksLate != 3 ||
			review.WaitP50Ms == nil || *review.WaitP50Ms != 2*3600_000 || *review.WaitP95Ms != 2*3600_000 {
			t.Errorf("review = %s; want 5 runs, 5 with a due date, 3 late, waits of 0 and 2 h (p50 and p95 2 h)", asJSON(t, review))
		}
		if done.Runs != 9 || done.Failures != 0 {
			t.Errorf("done = %s", asJSON(t, done))
		}
		list, err := b.srv.App.Suggestions(b.ctx, wf)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].ID != "task_overdue.review" || list.Runs != 10 {
			t.Fatalf("suggestions over %d runs: %s; want only task_overdue.review (3 late and 1 overdue of 6)", list.Runs, asJSON(t, list.Items))
		}
		ev := map[string]float64{}
		for _, e := range list.Items[0].Evidence {
			ev[e.Name] = e.Value
		}
		if ev["tasksWithDueDate"] != 6 || ev["lateOrOverdue"] != 4 || ev["overdueNow"] != 1 || list.Items[0].PotentialImpact != analytics.High {
			t.Errorf("task_overdue.review: %s", asJSON(t, list.Items[0]))
		}
	})
}

// waitTask waits until the execution waits on an open task, and returns the task's id.
func (b *bundle) waitTask(execution string) string {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		id, err := b.srv.DB.History().OpenTaskOf(b.ctx, execution)
		if err == nil {
			return id
		}
		if !errors.Is(err, store.ErrNotFound) {
			b.t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.t.Fatalf("execution %s opened no task", execution)
	return ""
}

// waitCompleted waits until n executions of the workflow (test runs aside) have completed.
func (b *bundle) waitCompleted(wf string, n int64) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got int64
	for time.Now().Before(deadline) {
		var err error
		if got, err = b.srv.DB.History().CompletedRuns(b.ctx, wf); err != nil {
			b.t.Fatal(err)
		}
		if got == n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.t.Fatalf("%d executions completed, want %d", got, n)
}
