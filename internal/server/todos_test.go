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

// A to-do opens on its own page: whom it is about (the lead, one click away), who has it, and its
// comments. The rep comments (an empty comment is refused in words, the page kept), gives it to the
// manager, and no longer sees it; the manager reads the comment through the API, adds one, and marks it
// done there. Another rep can neither read nor comment on it.
func TestAToDoOpensIsCommentedAndGivenToSomeoneElse(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		var lead struct {
			ID string `json:"id"`
		}
		h.must(http.StatusCreated, h.manager, "POST", "/api/leads", map[string]any{"firstName": "Ana", "lastName": "Lopez",
			"email": "ana@bistro.example", "phone": "+1 555 0101", "assignedTo": "rep@example.com"}, &lead)
		d := def("Call Ana", map[string]any{"id": "todo", "name": "Make a to-do", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
				"title": "Call {{ lead.firstName }} back", "description": "She asked about the spring menu", "assignee": "rep@example.com"}}})
		d["variables"] = []map[string]any{{"name": "lead", "type": "object"}}
		wf := h.createWorkflow(d)
		h.waitStatus(h.startRun(wf, map[string]any{"lead": map[string]any{"id": lead.ID, "firstName": "Ana"}}), "completed")

		rep := h.session("rep@example.com")
		_, inbox := rep.get("/inbox")
		href, _ := inbox.Find(`#todos a[href^="/crm/todos/"]`).Attr("href")
		if href == "" {
			t.Fatalf("the inbox's to-do does not open: %q", squash(inbox.Find("#todos")))
		}
		id := strings.TrimPrefix(href, "/crm/todos/")
		status, page := rep.get(href)
		if status != http.StatusOK || squash(page.Find("h1")) != "Call Ana back" || !strings.Contains(squash(page.Find("#todo")), "She asked about the spring menu") {
			t.Fatalf("the to-do's page (%d): %q", status, squash(page.Find("main")))
		}
		if got := squash(page.Find("#todo-about .customer-name strong")); got != "Ana Lopez" {
			t.Errorf("the to-do is about %q", got)
		}
		if link, _ := page.Find(`#todo-about a:contains("Open the lead")`).Attr("href"); link != "/crm/leads/"+lead.ID {
			t.Errorf("the lead's page is at %q", link)
		}
		if got := squash(page.Find("#todo-assignee")); !strings.Contains(got, "rep@example.com") {
			t.Errorf("the to-do is assigned to %q", got)
		}

		// Comments: an empty one is refused, and the page says why.
		code, page := rep.post(href+"/comments", url.Values{"body": {"   "}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(squash(page.Find("#todo-comment-form")), "write something to comment") {
			t.Fatalf("an empty comment: %d %q", code, squash(page.Find("#todo-comment-form")))
		}
		if code, _ := rep.post(href+"/comments", url.Values{"body": {"Left a voicemail <b>twice</b>"}}); code != http.StatusSeeOther {
			t.Fatalf("commenting answered %d", code)
		}
		_, page = rep.get(href)
		if got := squash(page.Find("#todo-comments .comment-list")); !strings.Contains(got, "rep@example.com") || !strings.Contains(got, "Left a voicemail <b>twice</b>") {
			t.Errorf("the comments read %q", got)
		}
		if page.Find("#todo-comments b").Length() != 0 {
			t.Error("a comment's markup is drawn, not shown as text")
		}

		// Another rep sees nothing of it.
		h.person("bob@example.com", "rep")
		bob := h.session("bob@example.com")
		if code, _ := bob.get(href); code != http.StatusNotFound {
			t.Errorf("another rep opening the to-do got %d", code)
		}
		if code, _ := bob.post(href+"/comments", url.Values{"body": {"mine now"}}); code != http.StatusNotFound {
			t.Errorf("another rep commenting got %d", code)
		}

		// Given to the manager, it leaves the rep's sight.
		if code, _ := rep.post(href+"/reassign", url.Values{"assignee": {"manager@example.com"}}); code != http.StatusSeeOther {
			t.Fatalf("giving the to-do away answered %d", code)
		}
		_, inbox = rep.get("/inbox")
		if !strings.Contains(squash(inbox.Find(".flash")), "Gave “Call Ana back” to manager@example.com.") || strings.Contains(squash(inbox.Find("section.card")), "Call Ana back") {
			t.Errorf("after giving it away the inbox says %q and lists %q", squash(inbox.Find(".flash")), squash(inbox.Find("#todos")))
		}
		if code, _ := rep.get(href); code != http.StatusNotFound {
			t.Errorf("the rep still opens the to-do they gave away: %d", code)
		}

		// The manager reads and adds comments through the API, and marks it done.
		var list struct {
			Comments []struct{ Author, Body string }
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/crm-tasks/"+id+"/comments", nil, &list)
		if len(list.Comments) != 1 || list.Comments[0].Author != "rep@example.com" || list.Comments[0].Body != "Left a voicemail <b>twice</b>" {
			t.Fatalf("the comments through the API: %+v", list.Comments)
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/crm-tasks/"+id+"/comments", map[string]any{"body": strings.Repeat("x", 4001)}, nil)
		h.must(http.StatusCreated, h.manager, "POST", "/api/crm-tasks/"+id+"/comments", map[string]any{"body": "Called her: demo on Friday"}, nil)
		h.must(http.StatusOK, h.manager, "GET", "/api/crm-tasks/"+id+"/comments", nil, &list)
		if len(list.Comments) != 2 || list.Comments[1].Author != "manager@example.com" {
			t.Fatalf("after the manager's comment: %+v", list.Comments)
		}
		mgr := h.session("manager@example.com")
		if code, _ := mgr.post(href+"/done", url.Values{"back": {href}}); code != http.StatusSeeOther {
			t.Fatalf("Done answered %d", code)
		}
		_, page = mgr.get(href)
		if !strings.Contains(squash(page.Find("#todo")), "Done") || page.Find("form.todo-done").Length() != 0 {
			t.Errorf("the done to-do's page: %q", squash(page.Find("#todo")))
		}
	})
}
