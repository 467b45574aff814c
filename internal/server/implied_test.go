package server_test

import (
	"fmt"
	"net/http"
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
