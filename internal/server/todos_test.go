package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A to-do a workflow makes about a lead belongs to the lead: it shows on the lead's page and in the rep's
// inbox, and marked done from the lead's page it leaves both.
func TestWorkflowToDoIsDoneFromTheLeadsPage(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		var lead struct {
			ID string `json:"id"`
		}
		h.must(http.StatusCreated, h.manager, "POST", "/api/leads", map[string]any{"firstName": "Ana", "lastName": "Lopez",
			"email": "ana@bistro.example", "assignedTo": "rep@example.com"}, &lead)
		d := def("Call Ana", map[string]any{"id": "todo", "name": "Make a to-do", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
				"title": "Call {{ lead.firstName }} back", "assignee": "rep@example.com"}}})
		d["variables"] = []map[string]any{{"name": "lead", "type": "object"}}
		wf := h.createWorkflow(d)
		h.waitStatus(h.startRun(wf, map[string]any{"lead": map[string]any{"id": lead.ID, "firstName": "Ana"}}), "completed")

		rep := h.session("rep@example.com")
		_, inbox := rep.get("/inbox")
		if !strings.Contains(inbox.Find("#todos").Text(), "Call Ana back") {
			t.Fatalf("the inbox does not list the to-do: %q", inbox.Find("main").Text())
		}
		status, page := rep.get("/crm/leads/" + lead.ID)
		todos := page.Find("#record-todos")
		if status != http.StatusOK || !strings.Contains(todos.Text(), "Call Ana back") {
			t.Fatalf("the lead's page (%d) does not list the to-do: %q", status, todos.Text())
		}
		action, _ := todos.Find("form.todo-done").Attr("action")
		back, _ := todos.Find("form.todo-done input[name=back]").Attr("value")
		if !strings.HasPrefix(action, "/crm/todos/") || back != "/crm/leads/"+lead.ID {
			t.Fatalf("the Done form posts to %q and comes back to %q", action, back)
		}
		// Another rep cannot mark it done.
		h.person("bob@example.com", "rep")
		if code, _ := h.session("bob@example.com").post(action, url.Values{"back": {back}}); code != http.StatusNotFound {
			t.Fatalf("another rep marking the to-do done got %d", code)
		}
		if code, _ := rep.post(action, url.Values{"back": {back}}); code != http.StatusSeeOther {
			t.Fatalf("Done answered %d", code)
		}
		_, page = rep.get("/crm/leads/" + lead.ID)
		if text := page.Find("#record-todos").Text(); strings.Contains(text, "Call Ana back") || !strings.Contains(text, "Nothing to do for this lead") {
			t.Fatalf("after Done the lead's page still lists: %q", text)
		}
		if !strings.Contains(page.Find(".flash").Text(), "Marked “Call Ana back” done.") {
			t.Fatalf("no word that it was done: %q", page.Find(".flash").Text())
		}
		_, inbox = rep.get("/inbox")
		if strings.Contains(inbox.Find("main").Text(), "Call Ana back") {
			t.Fatal("the inbox still lists the done to-do")
		}
	})
}
