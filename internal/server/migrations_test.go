package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// waitingWorkflow routes each run by its note: "task" waits in a human task (call), "long" in a week's
// delay (wait_long), anything else in a day's delay (wait_a_day). In v2 the call is renamed in place, a step
// is added after the day's wait, and the week's wait is gone.
func waitingWorkflow(v2 bool) map[string]any {
	callName, afterWait, long := "Call the lead", []string{}, "wait_long"
	if v2 {
		callName, afterWait, long = "Call the customer", []string{"extra"}, "wait_a_day"
	}
	steps := []map[string]any{
		{"id": "route", "name": "Route", "type": "condition", "nextSteps": []string{},
			"configuration": map[string]any{"condition": "note == 'task'", "trueSteps": []string{"call"}, "falseSteps": []string{"route_wait"}}},
		{"id": "route_wait", "name": "Route the wait", "type": "condition", "nextSteps": []string{},
			"configuration": map[string]any{"condition": "note == 'long'", "trueSteps": []string{long}, "falseSteps": []string{"wait_a_day"}}},
		{"id": "call", "name": callName, "type": "human_task", "nextSteps": []string{"after_call"},
			"configuration": map[string]any{"assignee": "rep@example.com", "title": "Call",
				"formFields": []map[string]any{{"name": "outcome", "type": "text", "required": true}}}},
		setVar("after_call", "x", 1),
		{"id": "wait_a_day", "name": "Wait a day", "type": "delay", "nextSteps": []string{"after_wait"}, "configuration": map[string]any{"duration": 86400}},
		setVar("after_wait", "y", 1, afterWait...),
	}
	if v2 {
		steps = append(steps, setVar("extra", "z", 2))
	} else {
		steps = append(steps, map[string]any{"id": "wait_long", "name": "Wait a week", "type": "delay", "nextSteps": []string{"after_wait"},
			"configuration": map[string]any{"duration": 7 * 86400}})
	}
	return def("Waiting runs", steps...)
}

type migrationPreview struct {
	BatchID string
	Movable int
	Blocked int
	Preview string
	Runs    []struct {
		ExecutionID string
		CanMove     bool
		Reason      string
		Step        string
		Moves       []struct{ From, FromName, To, ToName string }
	}
	Stuck []struct {
		Step, StepName, Reason string
		Runs                   int
	}
}

// 50 runs wait in a delay (40 a day, 10 a week) and 50 in a human task on v1; v2 renames the task in place,
// adds a step and removes the week's wait. The dry run lists the 100 runs and the 10 whose step is gone;
// the move takes the 90 to v2, where they go on (through the added step) and finish, no step twice; the 10
// finish on v1.
func TestMoveWaitingRunsToANewVersion(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		wf := h.createWorkflow(waitingWorkflow(false))
		var day, week, calls []string
		for i := range 100 {
			note := map[bool]string{true: "task", false: "day"}[i%2 == 0]
			if i%2 == 1 && i%10 == 1 {
				note = "long"
			}
			run := h.startRun(wf, map[string]any{"note": note})
			switch note {
			case "task":
				calls = append(calls, run)
			case "long":
				week = append(week, run)
			default:
				day = append(day, run)
			}
		}
		if len(calls) != 50 || len(week) != 10 || len(day) != 40 {
			t.Fatalf("%d calls, %d week waits, %d day waits", len(calls), len(week), len(day))
		}
		for _, r := range calls {
			h.waitStatus(r, "paused")
		}
		for _, r := range append(append([]string{}, day...), week...) {
			h.waitFor(r, "waiting", func(e execution) bool { return e.WaitingUntil != nil })
		}
		var saved struct{ Version int }
		h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, waitingWorkflow(true), &saved)
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/publish", map[string]int{"version": saved.Version}, nil)

		var dry migrationPreview
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/migrations", map[string]any{"fromVersion": 1, "toVersion": 2, "dryRun": true}, &dry)
		if len(dry.Runs) != 100 || dry.Movable != 90 || dry.Blocked != 10 || dry.BatchID != "" || len(dry.Stuck) != 1 ||
			dry.Stuck[0].Step != "wait_long" || dry.Stuck[0].Runs != 10 || dry.Stuck[0].Reason != `"Wait a week" is not in version 2` {
			t.Fatalf("the dry run: %d runs, %d movable, %d blocked, stuck %+v", len(dry.Runs), dry.Movable, dry.Blocked, dry.Stuck)
		}
		for _, r := range dry.Runs {
			if r.CanMove && len(r.Moves) == 1 && r.Moves[0].From == "call" && r.Moves[0].ToName != "Call the customer" {
				t.Fatalf("a call lands at %+v", r.Moves)
			}
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/workflows/"+wf+"/migrations",
			map[string]any{"fromVersion": 1, "toVersion": 2, "mapping": map[string]string{"wait_long": "nowhere"}, "dryRun": true}, nil)
		h.must(http.StatusForbidden, h.rep, "POST", "/api/workflows/"+wf+"/migrations", map[string]any{"fromVersion": 1, "toVersion": 2}, nil)

		var moved migrationPreview
		h.must(http.StatusAccepted, h.manager, "POST", "/api/workflows/"+wf+"/migrations", map[string]any{"fromVersion": 1, "toVersion": 2}, &moved)
		batch := h.waitBatch(moved.BatchID)
		if batch.State != "done" || batch.Done != 90 || batch.Failed != 0 {
			t.Fatalf("the move: %+v", batch)
		}
		for _, r := range append(append([]string{}, day...), calls...) {
			e := h.getWithRecord(r)
			if e.WorkflowVersion != 2 || len(e.Changes) != 1 || e.Changes[0].Kind != "migrated" || !strings.Contains(e.Changes[0].Message, "Moved from version 1 to version 2") {
				t.Fatalf("run %s after the move: v%d, changes %+v", r, e.WorkflowVersion, e.Changes)
			}
		}
		for _, r := range week {
			if e := h.get(r); e.WorkflowVersion != 1 {
				t.Fatalf("a run whose step is gone moved to v%d", e.WorkflowVersion)
			}
		}
		// Moving again moves nothing: every run is on v2 or cannot move.
		var again migrationPreview
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/migrations", map[string]any{"fromVersion": 1, "toVersion": 2, "dryRun": true}, &again)
		if again.Movable != 0 || again.Blocked != 10 {
			t.Fatalf("after the move the dry run says %+v", again.Preview)
		}

		// The bulk actions offer the same over a filter: the 10 left, with their step mapped, would move.
		var bulk struct {
			ID      string
			Matched int
			Preview string
		}
		h.must(http.StatusOK, h.manager, "POST", "/api/batches", map[string]any{"action": "migrate", "dryRun": true,
			"filter": map[string]any{"workflowId": wf, "version": 1}, "toVersion": 2, "mapping": map[string]string{"wait_long": "wait_a_day"}}, &bulk)
		if bulk.ID != "" || bulk.Matched != 10 || bulk.Preview != "10 waiting runs will move from version 1 to version 2." {
			t.Fatalf("a bulk migrate's dry run: %+v", bulk)
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/batches", map[string]any{"action": "migrate", "dryRun": true,
			"filter": map[string]any{"workflowId": wf}}, nil)

		// They go on: the calls are answered, the waits end.
		for _, r := range calls {
			tk := h.openTask(r)
			h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{"outcome": "booked"}}, nil)
		}
		h.clock.Advance(8 * 24 * time.Hour)
		for _, r := range calls {
			e := h.waitStatus(r, "completed")
			if countLog(e, "call", workflow.LogCompleted) != 1 || countLog(e, "after_call", workflow.LogCompleted) != 1 {
				t.Fatalf("a moved call:\n%s", logText(e))
			}
		}
		for _, r := range day {
			e := h.waitStatus(r, "completed")
			if countLog(e, "wait_a_day", workflow.LogCompleted) != 1 || countLog(e, "after_wait", workflow.LogCompleted) != 1 || countLog(e, "extra", workflow.LogCompleted) != 1 {
				t.Fatalf("a moved wait did not go on on v2:\n%s", logText(e))
			}
		}
		for _, r := range week {
			e := h.waitStatus(r, "completed")
			if countLog(e, "wait_long", workflow.LogCompleted) != 1 || countLog(e, "extra", workflow.LogCompleted) != 0 {
				t.Fatalf("an unmoved run did not finish on v1:\n%s", logText(e))
			}
		}
		for _, r := range append(append(append([]string{}, day...), calls...), week...) {
			e := h.get(r)
			seen := map[string]bool{}
			for _, l := range e.ExecutionLog {
				if l.Action == workflow.LogCompleted {
					if seen[l.StepID] {
						t.Fatalf("run %s completed %s twice:\n%s", r, l.StepID, logText(e))
					}
					seen[l.StepID] = true
				}
			}
		}
	})
}
