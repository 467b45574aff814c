package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The record comes with the trigger and a form's answers come with its step: a workflow started by
// lead_qualified reads lead.email, lead.company.name and a human task's answer without declaring a
// variable, saves with no problems and runs end to end; a misspelt field of the lead is a save-time problem
// that says what was meant.
func TestImpliedVariablesRunEndToEnd(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		def := map[string]any{
			"name":    "Nurture without declarations",
			"trigger": map[string]any{"type": "event", "configuration": map[string]any{"event": "lead_qualified"}},
			"steps": []map[string]any{
				{"id": "welcome", "name": "Welcome", "type": "action", "nextSteps": []string{"call"},
					"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{"template": "welcome_qualified_lead",
						"recipient": "{{ lead.email }}", "data": map[string]any{"firstName": "{{ lead.firstName }}", "companyName": "{{ lead.company.name }}"}}}},
				{"id": "call", "name": "Schedule the call", "type": "human_task", "nextSteps": []string{"todo"},
					"configuration": map[string]any{"assignee": "{{ lead.assignedTo }}", "title": "Call {{ lead.firstName }}",
						"formFields": []map[string]any{{"name": "callDate", "type": "date", "required": true}}}},
				{"id": "todo", "name": "Prepare", "type": "action", "nextSteps": []string{},
					"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
						"title": "Prepare the call with {{ lead.company.name }} on {{ callDate }}", "assignee": "rep@example.com"}}},
			},
			"variables": []any{},
		}
		wf := h.createWorkflow(def) // 201, published: no problems

		var company, lead record
		h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Bistro Ana"}, &company)
		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", record{"firstName": "Ana", "lastName": "Lopez",
			"email": "ana@bistro.example", "companyId": company["id"], "assignedTo": "rep@example.com"}, &lead)
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+lead["id"].(string), record{"status": "qualified"}, nil)
		runs := h.waitExecutions(wf, 1)
		id := runs.Items[0]["id"].(string)
		tk := h.openTask(id)
		if tk.Title != "Call Ana" || tk.Assignee != "rep@example.com" {
			t.Fatalf("the task: %+v", tk)
		}
		// Where the run waits is said by the step's name: in the API, the executions list and the lead's
		// page; a real run carries no test badge.
		var list struct {
			Items []struct {
				ID              string `json:"id"`
				CurrentStep     string `json:"currentStep"`
				CurrentStepName string `json:"currentStepName"`
				Test            bool   `json:"test"`
			} `json:"items"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/executions?workflowId="+wf, nil, &list)
		if len(list.Items) != 1 || list.Items[0].CurrentStep != "call" || list.Items[0].CurrentStepName != "Schedule the call" || list.Items[0].Test {
			t.Fatalf("the API's run: %+v", list.Items)
		}
		m := h.session("manager@example.com")
		_, doc := m.get("/executions")
		if got := squash(doc.Find(`tr[data-execution="` + id + `"] td[data-label="Where"]`)); got != "Schedule the call" {
			t.Errorf("the executions list says the run is at %q", got)
		}
		if doc.Find(`tr[data-execution="`+id+`"] .badge.test-run`).Length() != 0 {
			t.Error("a real run has a test badge")
		}
		_, doc = m.get("/crm/leads/" + lead["id"].(string))
		if got := squash(doc.Find(`.run-list li[data-execution="` + id + `"]`)); !strings.Contains(got, "at Schedule the call") {
			t.Errorf("the lead's page lists the run as %q", got)
		}
		if mails := h.outbox(id); len(mails) != 1 || mails[0].To != "ana@bistro.example" || !strings.Contains(mails[0].Body, "Bistro Ana") {
			t.Fatalf("the welcome mail: %+v", mails)
		}
		h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{"callDate": "2026-12-08"}}, nil)
		e := h.waitStatus(id, "completed")
		if e.Variables["callDate"] != "2026-12-08" {
			t.Fatalf("the answer is a variable: %v", e.Variables)
		}
		out, _ := e.StepOutputs["todo"].(map[string]any)
		var todo record
		h.must(http.StatusOK, h.manager, "GET", "/api/crm-tasks/"+fmt.Sprint(out["taskId"]), nil, &todo)
		if todo["title"] != "Prepare the call with Bistro Ana on 2026-12-08" {
			t.Fatalf("the to-do made from the record and the answer: %v", todo)
		}

		// lead.emial: a problem at save time, where it is written, saying what was meant; nothing saved.
		def["steps"].([]map[string]any)[0]["configuration"].(map[string]any)["parameters"].(map[string]any)["recipient"] = "{{ lead.emial }}"
		var problem struct {
			Error   string `json:"error"`
			Details []struct{ Path, Message string }
		}
		if status := h.call(h.manager, "POST", "/api/workflows", def, &problem); status != http.StatusUnprocessableEntity {
			t.Fatalf("saving lead.emial: %d", status)
		}
		if len(problem.Details) != 1 || problem.Details[0].Path != "steps[0].configuration.parameters.recipient" ||
			!strings.Contains(problem.Details[0].Message, `lead has no field "emial"; did you mean lead.email?`) {
			t.Fatalf("the problem: %+v", problem)
		}
	})
}

// The record and the form's answers are shown in the Variables panel as coming with the workflow, read
// only (no field to edit them), with the record's fields; a step's expression fields offer them as you type.
func TestImpliedVariablesShowInTheVariablesPanel(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	def := map[string]any{
		"name":    "Nurture without declarations",
		"trigger": map[string]any{"type": "event", "configuration": map[string]any{"event": "lead_qualified"}},
		"steps": []map[string]any{
			{"id": "call", "name": "Schedule the call", "type": "human_task", "nextSteps": []string{"todo"},
				"configuration": map[string]any{"assignee": "{{ lead.assignedTo }}", "title": "Call {{ lead.firstName }}",
					"formFields": []map[string]any{{"name": "callDate", "type": "date", "required": true}}}},
			{"id": "todo", "name": "Prepare", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
					"title": "Prepare the call on {{ callDate }}", "assignee": "rep@example.com"}}},
		},
		"variables": []any{},
	}
	raw, _ := json.Marshal(def)
	m := h.session("manager@example.com")
	m.get("/workflows")
	doc := m.panel("/designer/variables", url.Values{"definition": {string(raw)}})
	section := doc.Find("#implied-variables")
	lead := section.Find(`li.implied-var[data-name="lead"]`)
	if lead.Length() != 1 || lead.Find(".badge").Text() != "object" || !strings.Contains(lead.Find("details").Text(), "email") ||
		!strings.Contains(lead.Find("details").Text(), "company") {
		t.Errorf("the lead in the Variables panel: %q", squash(lead))
	}
	if got := squash(section.Find(`li.implied-var[data-name="callDate"]`)); !strings.Contains(got, "answered in Schedule the call") {
		t.Errorf("the form's answer in the Variables panel: %q", got)
	}
	if section.Find("input, select, textarea").Length() != 0 {
		t.Errorf("the variables that come with the workflow can be edited: %d fields", section.Find("input, select, textarea").Length())
	}
	doc = m.panel("/designer/panel", url.Values{"definition": {string(raw)}, "step": {"todo"}})
	for _, want := range []string{"{{lead.email}}", "{{lead.company.name}}", "{{callDate}}"} {
		if doc.Find(`datalist#pl-suggestions option[value="`+want+`"]`).Length() != 1 {
			t.Errorf("the step's expression fields do not offer %s", want)
		}
	}
}
