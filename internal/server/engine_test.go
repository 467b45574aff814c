package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// def builds a small manual workflow from steps; variables x, y, z (numbers) and note (text) are declared.
func def(name string, steps ...map[string]any) map[string]any {
	return map[string]any{
		"name": name, "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"steps": steps,
		"variables": []map[string]any{
			{"name": "x", "type": "number"}, {"name": "y", "type": "number"}, {"name": "z", "type": "number"},
			{"name": "note", "type": "string"}, {"name": "approved", "type": "boolean"},
		},
	}
}

func setVar(id, variable string, value any, next ...string) map[string]any {
	return map[string]any{"id": id, "name": "Set " + variable, "type": "action", "nextSteps": orEmpty(next),
		"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": variable, "value": value}}}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestParallelBranchesJoinExactlyOnceThenContinue(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Three branches",
			map[string]any{"id": "fan_out", "name": "Fan out", "type": "parallel", "nextSteps": []string{"after_join"},
				"configuration": map[string]any{"parallelSteps": []string{"a1", "b1", "c1"}}},
			setVar("a1", "x", 1),
			setVar("b1", "y", 1, "b2"), setVar("b2", "y", 2),
			setVar("c1", "z", 1, "c2"), setVar("c2", "z", 2, "c3"), setVar("c3", "z", 3),
			setVar("after_join", "note", "{{ 'x=' + string(x) + ' y=' + string(y) + ' z=' + string(z) }}"),
		))
		ids := make([]string, 10)
		for i := range ids {
			ids[i] = h.startRun(wf, nil)
		}
		for _, id := range ids {
			e := h.waitStatus(id, "completed")
			if got := countLog(e, "fan_out", workflow.LogCompleted); got != 1 {
				t.Fatalf("the parallel step completed %d times, want exactly 1\n%s", got, logText(e))
			}
			if got := countLog(e, "after_join", workflow.LogCompleted); got != 1 {
				t.Fatalf("the step after the join ran %d times, want exactly 1\n%s", got, logText(e))
			}
			// The join happens after every branch step, and after_join sees all their variables.
			last := map[string]int{}
			for i, le := range e.ExecutionLog {
				last[le.StepID+"/"+string(le.Action)] = i
			}
			for _, s := range []string{"a1", "b2", "c3"} {
				if last[s+"/completed"] > last["fan_out/completed"] {
					t.Fatalf("branch step %s completed after the join\n%s", s, logText(e))
				}
			}
			if e.Variables["note"] != "x=1 y=2 z=3" {
				t.Fatalf("after the join note = %v, want x=1 y=2 z=3", e.Variables["note"])
			}
		}
	})
}

func TestFailingBranchFailsTheRunAndStopsTheOthers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("One branch fails",
			map[string]any{"id": "fan_out", "name": "Fan out", "type": "parallel", "nextSteps": []string{"after_join"},
				"configuration": map[string]any{"parallelSteps": []string{"approve", "wait", "pause"}}},
			map[string]any{"id": "approve", "name": "Approve", "type": "human_task", "nextSteps": []string{},
				"configuration": map[string]any{"assignee": "rep@example.com", "title": "Approve",
					"formFields": []map[string]any{{"name": "approved", "type": "checkbox"}}}},
			map[string]any{"id": "wait", "name": "Wait a day", "type": "delay", "nextSteps": []string{"after_wait"},
				"configuration": map[string]any{"duration": 86400}},
			setVar("after_wait", "y", 1),
			map[string]any{"id": "pause", "name": "Wait a minute", "type": "delay", "nextSteps": []string{"bad_mail"},
				"configuration": map[string]any{"duration": 60}},
			map[string]any{"id": "bad_mail", "name": "Mail nobody", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{
					"template": "proposal", "recipient": "{{note}}", "data": map[string]any{"findings": "{{note}}"}}}},
			setVar("after_join", "x", 1),
		))
		id := h.startRun(wf, map[string]any{"note": "not an address"})
		// Every branch is under way: a task is open and both delays wait.
		h.openTask(id)
		h.waitFor(id, "waiting on both delays", func(e execution) bool {
			return countLog(e, "wait", workflow.LogStarted) == 1 && countLog(e, "pause", workflow.LogStarted) == 1
		})
		h.clock.Advance(time.Minute)
		e := h.waitStatus(id, "failed")
		if e.FailedStep != "bad_mail" || !strings.Contains(e.Error, "not an email address") {
			t.Fatalf("failed at %q with %q", e.FailedStep, e.Error)
		}
		if len(e.Tasks) != 1 || e.Tasks[0].Status != "cancelled" {
			t.Fatalf("the other branch's task should be cancelled: %+v", e.Tasks)
		}
		if countLog(e, "approve", workflow.LogSkipped) != 1 || countLog(e, "wait", workflow.LogSkipped) != 1 {
			t.Fatalf("the stopped branches should be logged as skipped:\n%s", logText(e))
		}
		if len(h.outbox(id)) != 0 {
			t.Fatal("no mail may be queued by the failed step")
		}
		// The stopped delay branch does not wake up later.
		h.clock.Advance(48 * time.Hour)
		if n, err := h.srv.Engine.FireDue(t.Context()); err != nil || n != 0 {
			t.Fatalf("FireDue after failure = %d, %v; want nothing", n, err)
		}
		e = h.get(id)
		if countLog(e, "after_wait", workflow.LogStarted) != 0 || countLog(e, "after_join", workflow.LogStarted) != 0 {
			t.Fatalf("a stopped branch went on:\n%s", logText(e))
		}
		if e.Status != "failed" {
			t.Fatalf("status = %s, want failed", e.Status)
		}
	})
}

func TestRetryWaitsRetryDelayOnTheClockBetweenAttempts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Flaky service",
			map[string]any{"id": "call", "name": "Call the flaky service", "type": "action", "nextSteps": []string{"done"},
				"configuration": map[string]any{"action": "flaky", "parameters": map[string]any{"failTimes": 2}},
				"errorHandling": map[string]any{"onError": "retry", "retryCount": 3, "retryDelay": 60}},
			setVar("done", "x", 1),
		))
		id := h.startRun(wf, nil)
		e := h.waitLog(id, "call", workflow.LogFailed)
		if e.WaitingUntil == nil || !e.WaitingUntil.Equal(t0.Add(60*time.Second)) {
			t.Fatalf("after the first failure waiting until %v, want %v", e.WaitingUntil, t0.Add(60*time.Second))
		}
		// Not before its time.
		h.clock.Advance(59 * time.Second)
		if n, _ := h.srv.Engine.FireDue(t.Context()); n != 0 {
			t.Fatalf("a retry fired %d runs one second early", n)
		}
		h.clock.Advance(time.Second)
		h.waitFor(id, "failed twice", func(e execution) bool { return countLog(e, "call", workflow.LogFailed) == 2 })
		h.clock.Advance(60 * time.Second)
		e = h.waitStatus(id, "completed")

		var starts []time.Time
		for _, le := range e.ExecutionLog {
			if le.StepID == "call" && le.Action == workflow.LogStarted {
				starts = append(starts, le.Timestamp)
			}
		}
		want := []time.Time{t0, t0.Add(60 * time.Second), t0.Add(120 * time.Second)}
		if len(starts) != 3 {
			t.Fatalf("attempts started at %v, want 3 attempts\n%s", starts, logText(e))
		}
		for i := range want {
			if !starts[i].Equal(want[i]) {
				t.Fatalf("attempt %d started at %v, want %v (retryDelay apart on the clock)", i+1, starts[i], want[i])
			}
		}
		if got := e.StepOutputs["call"].(map[string]any)["calls"]; got != float64(3) {
			t.Fatalf("the action succeeded on call %v, want 3", got)
		}
		if countLog(e, "call", workflow.LogCompleted) != 1 || countLog(e, "done", workflow.LogCompleted) != 1 {
			t.Fatalf("log:\n%s", logText(e))
		}
	})
}

func TestContinueLogsTheFailureAsSkippedAndGoesOn(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Best effort",
			map[string]any{"id": "notify", "name": "Notify", "type": "action", "nextSteps": []string{"after"},
				"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{
					"template": "proposal", "recipient": "{{note}}", "data": map[string]any{"findings": "{{note}}"}}},
				"errorHandling": map[string]any{"onError": "continue", "retryCount": 0, "retryDelay": 0}},
			setVar("after", "x", 7),
		))
		id := h.startRun(wf, map[string]any{"note": "nobody"})
		e := h.waitStatus(id, "completed")
		assertLog(t, e, [][2]string{{"notify", "started"}, {"notify", "skipped"}, {"after", "started"}, {"after", "completed"}})
		if e.Variables["x"] != float64(7) {
			t.Fatalf("x = %v, the run should have gone on", e.Variables["x"])
		}
		if out := e.StepOutputs["notify"].(map[string]any); out["skipped"] != true {
			t.Fatalf("the skipped step's output = %v", out)
		}
	})
}

func TestRetryAFailedRunFromItsFailedStepOnTheSameVersion(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Fix and retry",
			setVar("first", "x", 1, "mail"),
			map[string]any{"id": "mail", "name": "Mail", "type": "action", "nextSteps": []string{"last"},
				"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
					"title": "Call back", "assignee": "newrep@example.com"}}},
			setVar("last", "y", 2),
		))
		id := h.startRun(wf, nil)
		e := h.waitStatus(id, "failed")
		if e.FailedStep != "mail" || !strings.Contains(e.Error, "newrep@example.com") {
			t.Fatalf("failed at %s: %s", e.FailedStep, e.Error)
		}
		h.must(http.StatusConflict, h.manager, "POST", "/api/executions/"+id+"/wake", nil, nil)
		// Someone fixes the cause (the rep joins), publishes an unrelated new version, and retries the run.
		if _, err := h.srv.App.Auth.CreateUser(t.Context(), "newrep@example.com", "New rep", "rep", "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		var saved struct{ Version int }
		h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, def("Fix and retry v2", setVar("only", "z", 1)), &saved)
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/publish", map[string]any{"version": saved.Version}, nil)

		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+id+"/retry", nil, nil)
		e = h.waitStatus(id, "completed")
		if e.WorkflowVersion != 1 {
			t.Fatalf("retried on version %d, want its own version 1", e.WorkflowVersion)
		}
		if got := steps(e, workflow.LogCompleted); !slices.Equal(got, []string{"first", "mail", "last"}) {
			t.Fatalf("completed %v; the retry must start at the failed step, not the first one\n%s", got, logText(e))
		}
		h.must(http.StatusConflict, h.manager, "POST", "/api/executions/"+id+"/retry", nil, nil)
		h.must(http.StatusConflict, h.manager, "POST", "/api/executions/"+id+"/cancel", nil, nil)
	})
}

func TestCancelStopsARunAndItsTasks(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Approval",
			map[string]any{"id": "approve", "name": "Approve", "type": "human_task", "nextSteps": []string{"after"},
				"configuration": map[string]any{"assignee": "rep@example.com", "title": "Approve the discount",
					"formFields": []map[string]any{{"name": "approved", "type": "checkbox", "required": true}}}},
			setVar("after", "x", 1),
		))
		id := h.startRun(wf, nil)
		tk := h.openTask(id)
		h.must(http.StatusForbidden, h.rep, "POST", "/api/executions/"+id+"/cancel", nil, nil)
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+id+"/cancel", nil, nil)
		e := h.get(id)
		if e.Status != "cancelled" || e.Tasks[0].Status != "cancelled" {
			t.Fatalf("after cancel: run %s, task %s", e.Status, e.Tasks[0].Status)
		}
		var body struct{ Error string }
		h.must(http.StatusConflict, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete",
			map[string]any{"values": map[string]any{"approved": true}}, &body)
		if !strings.Contains(body.Error, "no longer open") {
			t.Fatalf("completing a cancelled task says %q", body.Error)
		}
	})
}

func TestADelaySurvivesARestartAndWakesOnlyAfterItsTime(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Three days later",
			map[string]any{"id": "wait", "name": "Wait 3 days", "type": "delay", "nextSteps": []string{"after"},
				"configuration": map[string]any{"duration": 3 * 86400}},
			setVar("after", "x", 1),
		))
		id := h.startRun(wf, nil)
		h.waitLog(id, "wait", workflow.LogStarted)

		h.stop()
		h.clock.Advance(24 * time.Hour)
		h.open()
		if n, err := h.srv.Engine.FireDue(t.Context()); err != nil || n != 0 {
			t.Fatalf("one day in, FireDue = %d, %v; want 0", n, err)
		}
		time.Sleep(100 * time.Millisecond) // several timer ticks
		if e := h.get(id); e.Status != "running" || countLog(e, "wait", workflow.LogCompleted) != 0 {
			t.Fatalf("one day in: %s\n%s", e.Status, logText(e))
		}

		h.stop()
		h.clock.Set(t0.Add(72*time.Hour + time.Second))
		h.open()
		e := h.waitStatus(id, "completed")
		for _, le := range e.ExecutionLog {
			if le.StepID == "wait" && le.Action == workflow.LogCompleted && le.Timestamp.Before(t0.Add(72*time.Hour)) {
				t.Fatalf("the delay ended at %v, before its time", le.Timestamp)
			}
		}
		if countLog(e, "after", workflow.LogCompleted) != 1 {
			t.Fatalf("log:\n%s", logText(e))
		}
	})
}

func TestTwoVersionsRunSideBySide(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		v1 := def("Versioned",
			map[string]any{"id": "wait", "name": "Wait", "type": "delay", "nextSteps": []string{"v1_step"},
				"configuration": map[string]any{"duration": 3600}},
			setVar("v1_step", "x", 1))
		wf := h.createWorkflow(v1)
		old := h.startRun(wf, nil)
		h.waitLog(old, "wait", workflow.LogStarted)

		v2 := def("Versioned",
			map[string]any{"id": "wait", "name": "Wait", "type": "delay", "nextSteps": []string{"v2_step"},
				"configuration": map[string]any{"duration": 3600}},
			setVar("v2_step", "x", 2))
		var saved struct{ Version int }
		h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, v2, &saved)
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/publish", map[string]any{"version": saved.Version}, nil)
		fresh := h.startRun(wf, nil)
		h.waitLog(fresh, "wait", workflow.LogStarted)

		h.clock.Advance(time.Hour)
		a, b := h.waitStatus(old, "completed"), h.waitStatus(fresh, "completed")
		if a.WorkflowVersion != 1 || a.Variables["x"] != float64(1) || countLog(a, "v1_step", workflow.LogCompleted) != 1 {
			t.Fatalf("the old run: version %d x=%v\n%s", a.WorkflowVersion, a.Variables["x"], logText(a))
		}
		if b.WorkflowVersion != 2 || b.Variables["x"] != float64(2) || countLog(b, "v2_step", workflow.LogCompleted) != 1 {
			t.Fatalf("the new run: version %d x=%v\n%s", b.WorkflowVersion, b.Variables["x"], logText(b))
		}
		var versions struct {
			Items []struct {
				Version int
				Status  string
			}
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf+"/versions", nil, &versions)
		if fmt.Sprint(versions.Items) != "[{2 published} {1 archived}]" {
			t.Fatalf("versions = %v", versions.Items)
		}
	})
}

func TestAStepWhoseWritesTheDatabaseRefusesFailsInsteadOfRetryingForEver(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(def("Refused",
			map[string]any{"id": "bad", "name": "Save a bad row", "type": "action", "nextSteps": []string{"after"},
				"configuration": map[string]any{"action": "bad_row"}},
			setVar("after", "x", 1),
		))
		id := h.startRun(wf, nil)
		e := h.waitStatus(id, "failed")
		if e.FailedStep != "bad" || !strings.Contains(e.Error, "the database refused") {
			t.Fatalf("failed at %q: %s", e.FailedStep, e.Error)
		}
		if countLog(e, "after", workflow.LogStarted) != 0 {
			t.Fatalf("the run went on after the refused step:\n%s", logText(e))
		}
	})
}
