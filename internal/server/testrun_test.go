package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A designer's test run of a draft records mails, HTTP calls and CRM writes instead of making them, and
// gives human tasks to the person testing.
func TestTestRunsRecordInsteadOfActing(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer api.Close()

	d := def("Everything at once",
		map[string]any{"id": "mail", "name": "Mail", "type": "action", "nextSteps": []string{"call"},
			"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{"template": "proposal",
				"recipient": "buyer@acme.example", "data": map[string]any{"findings": "ovens"}}}},
		map[string]any{"id": "call", "name": "Call", "type": "action", "nextSteps": []string{"todo"},
			"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"method": "POST", "url": api.URL + "/hook", "body": map[string]any{"x": 1}}}},
		map[string]any{"id": "todo", "name": "To-do", "type": "action", "nextSteps": []string{"approve"},
			"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{"title": "Call back", "assignee": "rep@example.com"}}},
		map[string]any{"id": "approve", "name": "Approve", "type": "human_task", "nextSteps": []string{},
			"configuration": map[string]any{"assignee": "rep@example.com", "title": "Approve", "formFields": []map[string]any{}}},
	)
	var saved struct{ ID string }
	h.must(http.StatusCreated, h.manager, "POST", "/api/workflows", d, &saved) // a draft, never published
	actor := &auth.Principal{Email: "manager@example.com", Role: auth.RoleManager}
	id, err := h.srv.App.StartTest(context.Background(), actor, saved.ID, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	tk := h.openTask(id)
	if tk.Assignee != "manager@example.com" {
		t.Fatalf("the test run's task went to %s, want the tester", tk.Assignee)
	}
	e := h.get(id)
	for _, step := range []string{"mail", "call", "todo"} {
		out, _ := e.StepOutputs[step].(map[string]any)
		if out["test"] != true || countLog(e, step, workflow.LogCompleted) != 1 {
			t.Fatalf("step %s output %v\n%s", step, out, logText(e))
		}
	}
	if mail := e.StepOutputs["mail"].(map[string]any)["mail"].(map[string]any); mail["subject"] != "Your Kitchen Pantry proposal" {
		t.Fatalf("recorded mail %v", mail)
	}
	mails, _ := h.srv.DB.CountRows(context.Background(), &store.Mail{})
	todos, _ := h.srv.DB.CountRows(context.Background(), &store.CRMTask{})
	if mails != 0 || todos != 0 || calls.Load() != 0 {
		t.Fatalf("a test run sent %d mails, created %d CRM tasks, made %d HTTP calls", mails, todos, calls.Load())
	}
	var list struct {
		Items []struct {
			ID   string `json:"id"`
			Test bool   `json:"test"`
		} `json:"items"`
	}
	h.must(http.StatusOK, h.manager, "GET", "/api/executions", nil, &list)
	if len(list.Items) != 1 || !list.Items[0].Test {
		t.Fatalf("the executions list should mark the test run: %+v", list.Items)
	}
}
