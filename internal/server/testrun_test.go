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
	// Test runs are left out of lists unless asked for, and marked where they are listed.
	h.must(http.StatusOK, h.manager, "GET", "/api/executions", nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("the executions list should leave the test run out: %+v", list.Items)
	}
	for _, q := range []string{"?test=include", "?test=only"} {
		h.must(http.StatusOK, h.manager, "GET", "/api/executions"+q, nil, &list)
		if len(list.Items) != 1 || list.Items[0].ID != id || !list.Items[0].Test {
			t.Fatalf("%s: the executions list should have the test run, marked: %+v", q, list.Items)
		}
	}
	if status := h.call(h.manager, "GET", "/api/executions?test=yes", nil, nil); status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
		t.Errorf("?test=yes: %d, want a problem naming test", status)
	}
	var tasks struct {
		Items []struct{ ID string } `json:"items"`
	}
	h.must(http.StatusOK, h.manager, "GET", "/api/tasks?assignee=me", nil, &tasks)
	if len(tasks.Items) != 0 {
		t.Fatalf("the tester's task list should leave the test run's task out: %+v", tasks.Items)
	}
	h.must(http.StatusOK, h.manager, "GET", "/api/tasks?assignee=me&test=include", nil, &tasks)
	if len(tasks.Items) != 1 || tasks.Items[0].ID != tk.ID {
		t.Fatalf("with test=include the tester's task is there: %+v", tasks.Items)
	}
	m := h.session("manager@example.com")
	_, doc := m.get("/inbox")
	if doc.Find(`#tasks a[href="/tasks/`+tk.ID+`"]`).Length() != 0 {
		t.Fatal("the inbox lists a test run's task by default")
	}
	_, doc = m.get("/inbox?test=include")
	if doc.Find(`#tasks a[href="/tasks/`+tk.ID+`"]`).Length() != 1 {
		t.Fatal("the inbox with test runs included lacks the test run's task")
	}
	// The badge goes with the test run everywhere: its inbox row, its task's page, its own page, the API.
	if doc.Find(`#tasks a[href="/tasks/`+tk.ID+`"]`).Parent().Find(".badge.test-run").Length() != 1 {
		t.Error("the test run's task in the inbox has no test badge")
	}
	_, doc = m.get("/tasks/" + tk.ID)
	if doc.Find(".page-head .badge.test-run").Length() != 1 {
		t.Error("the test run's task page has no test badge")
	}
	_, doc = m.get("/executions/" + id)
	if doc.Find(".page-head .badge.test-run").Length() != 1 {
		t.Error("the test run's page has no test badge")
	}
	var apiTask struct {
		Test bool `json:"test"`
	}
	h.must(http.StatusOK, h.manager, "GET", "/api/tasks/"+tk.ID, nil, &apiTask)
	if !apiTask.Test {
		t.Error(`the API's test run task lacks "test": true`)
	}
	_, doc = m.get("/executions?test=only")
	if doc.Find(`tr[data-execution="`+id+`"] .badge.test-run`).Length() != 1 {
		t.Fatal("the executions page should list the test run with its badge")
	}
	_, doc = m.get("/executions")
	if doc.Find(`tr[data-execution="`+id+`"]`).Length() != 0 {
		t.Fatal("the executions page lists the test run by default")
	}
}
