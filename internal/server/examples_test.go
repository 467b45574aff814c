package server_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func lead(lastInteraction time.Time) map[string]any {
	return map[string]any{
		"email": "jane@acme.example", "firstName": "Jane", "company": map[string]any{"name": "Acme Diner"},
		"assignedTo": "rep@example.com", "lastInteraction": lastInteraction.Format(time.RFC3339),
	}
}

type mail struct {
	StepID  string `json:"stepId"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	Status  string `json:"status"`
}

func (h *harness) outbox(execID string) []mail {
	h.t.Helper()
	var out struct {
		Items []mail `json:"items"`
	}
	h.must(http.StatusOK, h.manager, "GET", "/api/outbox?executionId="+execID, nil, &out)
	slices.SortFunc(out.Items, func(a, b mail) int { return strings.Compare(a.StepID, b.StepID) })
	return out.Items
}

func assertLog(t *testing.T, e execution, want [][2]string) {
	t.Helper()
	var got [][2]string
	for _, le := range e.ExecutionLog {
		got = append(got, [2]string{le.StepID, string(le.Action)})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("log = %v\nwant  %v\n%s", got, want, logText(e))
	}
}

func TestLeadNurtureEngagedLeadThroughTheAPI(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
		id := h.startRun(wf, map[string]any{"lead": lead(t0.Add(-2 * time.Hour))})

		e := h.waitLog(id, "wait_3_days", workflow.LogStarted)
		if e.Status != "running" || e.WaitingUntil == nil || !e.WaitingUntil.Equal(t0.Add(72*time.Hour)) {
			t.Fatalf("waiting: status %s until %v, want running until %v", e.Status, e.WaitingUntil, t0.Add(72*time.Hour))
		}
		// Nothing happens until someone wakes it: the clock has not moved.
		if n, err := h.srv.Engine.FireDue(t.Context()); err != nil || n != 0 {
			t.Fatalf("FireDue before the delay = %d, %v; want 0", n, err)
		}
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+id+"/wake", nil, nil)

		tk := h.openTask(id)
		if tk.Title != "Schedule Discovery Call" || tk.Assignee != "rep@example.com" {
			t.Fatalf("task = %+v", tk)
		}
		var verr struct {
			Error   string `json:"error"`
			Details []struct{ Path, Message string }
		}
		h.must(http.StatusUnprocessableEntity, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete",
			map[string]any{"values": map[string]any{"agenda": "menu costs"}}, &verr)
		if len(verr.Details) != 1 || verr.Details[0].Path != "callDate" {
			t.Fatalf("422 details = %+v, want one for callDate", verr.Details)
		}
		if h.get(id).Status != "paused" {
			t.Fatalf("after a rejected form the run should still be paused")
		}
		values := map[string]any{"callDate": "2026-12-03T15:30", "agenda": "menu costs"}
		h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": values}, nil)
		var conflict struct{ Error string }
		h.must(http.StatusConflict, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": values}, &conflict)
		if conflict.Error == "" {
			t.Fatal("409 without a message")
		}

		e = h.waitStatus(id, "completed")
		if e.Variables["callDate"] != "2026-12-03T15:30:00Z" || e.Variables["agenda"] != "menu costs" {
			t.Fatalf("variables = %v, want the form's values", e.Variables)
		}
		assertLog(t, e, [][2]string{
			{"welcome_email", "started"}, {"welcome_email", "completed"},
			{"wait_3_days", "started"}, {"wait_3_days", "completed"},
			{"check_engagement", "started"}, {"check_engagement", "completed"},
			{"send_followup", "started"}, {"send_followup", "completed"},
			{"schedule_call", "started"}, {"schedule_call", "completed"},
		})
		mails := h.outbox(id)
		if len(mails) != 2 {
			t.Fatalf("outbox has %d mails, want welcome and follow-up: %+v", len(mails), mails)
		}
		for _, m := range mails {
			if m.To != "jane@acme.example" {
				t.Fatalf("mail to %q", m.To)
			}
		}
		if mails[0].StepID != "send_followup" || mails[1].StepID != "welcome_email" ||
			mails[1].Subject != "Welcome to Kitchen Pantry, Jane" || !strings.Contains(mails[1].Body, "Acme Diner") {
			t.Fatalf("mails = %+v", mails)
		}
	})
}

func TestLeadNurtureUnengagedLeadGetsAFollowUpTask(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
		id := h.startRun(wf, map[string]any{"lead": lead(t0.Add(-time.Hour))})
		h.waitLog(id, "wait_3_days", workflow.LogStarted)

		// Three days pass on the clock: the lead's last interaction is now older than 72 hours.
		h.clock.Advance(72*time.Hour + time.Second)
		e := h.waitStatus(id, "completed")
		assertLog(t, e, [][2]string{
			{"welcome_email", "started"}, {"welcome_email", "completed"},
			{"wait_3_days", "started"}, {"wait_3_days", "completed"},
			{"check_engagement", "started"}, {"check_engagement", "completed"},
			{"create_task", "started"}, {"create_task", "completed"},
		})
		if got := e.StepOutputs["check_engagement"].(map[string]any)["result"]; got != false {
			t.Fatalf("check_engagement result = %v, want false", got)
		}
		tasks, err := h.srv.DB.CRM().TasksOfExecution(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 1 || tasks[0].Title != "Follow up with unengaged lead" || tasks[0].Priority != "medium" {
			t.Fatalf("CRM tasks = %+v", tasks)
		}
		if len(h.outbox(id)) != 1 {
			t.Fatalf("the unengaged path sends only the welcome mail")
		}
	})
}

func TestOpportunityPipelineAllThreeRoutes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(examples("opportunity_pipeline.json"))
		opportunity := map[string]any{"name": "Acme kitchen refit", "assignedTo": "rep@example.com",
			"contact": map[string]any{"email": "buyer@acme.example"}}
		research := func(id, nextAction string) {
			t.Helper()
			tk := h.openTask(id)
			if tk.StepID != "wait_for_research" {
				t.Fatalf("open task is %s, want wait_for_research", tk.StepID)
			}
			h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{
				"keyFindings": "Needs a walk-in freezer", "nextAction": nextAction}}, nil)
		}
		crmTasks := func(id string) []string {
			tasks, err := h.srv.DB.CRM().TasksOfExecution(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, tk := range tasks {
				titles = append(titles, tk.Title)
			}
			return titles
		}

		demo := h.startRun(wf, map[string]any{"opportunity": opportunity})
		research(demo, "schedule_demo")
		tk := h.openTask(demo)
		if tk.StepID != "confirm_demo" {
			t.Fatalf("second task is %s, want confirm_demo", tk.StepID)
		}
		h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{
			"demoDate": "2026-12-10T14:00", "nextSteps": "Send the freezer spec sheet"}}, nil)
		h.waitLog(demo, "demo_followup", workflow.LogStarted)
		h.clock.Advance(24*time.Hour + time.Second)
		e := h.waitStatus(demo, "completed")
		if got := steps(e, workflow.LogCompleted); !slices.Equal(got, []string{"initial_research", "wait_for_research",
			"route_next_action", "schedule_demo", "confirm_demo", "demo_followup", "send_demo_followup"}) {
			t.Fatalf("demo route completed %v", got)
		}
		m := h.outbox(demo)
		if len(m) != 1 || m[0].To != "buyer@acme.example" || !strings.Contains(m[0].Body, "Send the freezer spec sheet") || !strings.Contains(m[0].Body, "2026-12-10T14:00:00Z") {
			t.Fatalf("demo follow-up mail = %+v", m)
		}
		if got := crmTasks(demo); !slices.Equal(got, []string{"Research prospect company", "Schedule product demo"}) {
			t.Fatalf("demo route CRM tasks = %v", got)
		}

		proposal := h.startRun(wf, map[string]any{"opportunity": opportunity})
		research(proposal, "send_proposal")
		e = h.waitStatus(proposal, "completed")
		if got := steps(e, workflow.LogCompleted); !slices.Equal(got, []string{"initial_research", "wait_for_research",
			"route_next_action", "check_proposal", "send_proposal"}) {
			t.Fatalf("proposal route completed %v", got)
		}
		m = h.outbox(proposal)
		if len(m) != 1 || m[0].Subject != "Your Kitchen Pantry proposal" || !strings.Contains(m[0].Body, "Needs a walk-in freezer") {
			t.Fatalf("proposal mail = %+v", m)
		}

		qualify := h.startRun(wf, map[string]any{"opportunity": opportunity})
		research(qualify, "qualify_further")
		e = h.waitStatus(qualify, "completed")
		if got := steps(e, workflow.LogCompleted); !slices.Equal(got, []string{"initial_research", "wait_for_research",
			"route_next_action", "check_proposal", "qualify_further"}) {
			t.Fatalf("qualify route completed %v", got)
		}
		if got := crmTasks(qualify); !slices.Equal(got, []string{"Qualify opportunity further", "Research prospect company"}) {
			t.Fatalf("qualify route CRM tasks = %v", got)
		}
		if len(h.outbox(qualify)) != 0 {
			t.Fatal("the qualify route sends no mail")
		}
	})
}

func TestSeedVerbatimExamplesAreRejectedWithTheirErrors(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	cases := []struct {
		file  string
		paths []string
		words []string
	}{
		{"seed-verbatim/lead_nurture_sequence.json", []string{"steps[2].configuration.condition"},
			[]string{`the condition of step "Check Lead Engagement"`, "position 25", `date(lead.lastInteraction) > now() - duration("72h")`}},
		{"seed-verbatim/opportunity_pipeline.json",
			[]string{"steps[2].configuration.falseSteps[0]", "steps[5].configuration.parameters.data.nextSteps"},
			[]string{"check_proposal", `"nextSteps"`, "not a declared variable"}},
	}
	for _, c := range cases {
		var body struct {
			Error   string `json:"error"`
			Details []struct {
				Path    string `json:"path"`
				Message string `json:"message"`
			} `json:"details"`
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/workflows", fileBytes(t, examples(c.file)), &body)
		var paths []string
		all := ""
		for _, d := range body.Details {
			paths = append(paths, d.Path)
			all += d.Message + "\n"
		}
		slices.Sort(paths)
		if !slices.Equal(paths, c.paths) {
			t.Fatalf("%s: problems at %v, want %v", c.file, paths, c.paths)
		}
		for _, w := range c.words {
			if !strings.Contains(all, w) {
				t.Fatalf("%s: messages do not say %q:\n%s", c.file, w, all)
			}
		}
	}
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
