package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
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

// A create_task step with wait makes its to-do and waits: the run is paused, its page lists the to-do as the
// one it waits for, and when the rep marks it done from the lead's page the run goes on with the done to-do
// as the step's output. A to-do deleted before it is done fails the step in words; a retry makes it again.
// A wait that is neither true nor false is refused at save.
func TestAWorkflowWaitsUntilItsToDoIsDone(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		var lead struct {
			ID string `json:"id"`
		}
		h.must(http.StatusCreated, h.manager, "POST", "/api/leads", map[string]any{"firstName": "Ana", "lastName": "Lopez",
			"email": "ana@bistro.example", "assignedTo": "rep@example.com"}, &lead)
		step := func(wait any) map[string]any {
			return map[string]any{"id": "call", "name": "Call Ana", "type": "action", "nextSteps": []string{"after"},
				"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
					"title": "Call {{ lead.firstName }} back", "assignee": "rep@example.com", "wait": wait}}}
		}
		after := map[string]any{"id": "after", "name": "Note the call", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "calledBy", "value": "{{ steps.call.completedBy }}"}}}
		d := def("Call Ana and wait", step(true), after)
		d["variables"] = []map[string]any{{"name": "lead", "type": "object"}, {"name": "calledBy", "type": "string"}}

		bad := def("Call Ana and maybe wait", step("maybe"), after)
		bad["variables"] = d["variables"]
		var problem struct {
			Details []struct{ Path, Message string }
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/workflows", bad, &problem)
		if len(problem.Details) != 1 || problem.Details[0].Path != "steps[0].configuration.parameters.wait" ||
			problem.Details[0].Message != `create_task parameter "wait" is "maybe"; use true or false` {
			t.Errorf("a wait of maybe is refused with %+v", problem.Details)
		}

		wf := h.createWorkflow(d)
		run := h.startRun(wf, map[string]any{"lead": map[string]any{"id": lead.ID, "firstName": "Ana"}})
		e := h.waitStatus(run, "paused")
		if len(e.Todos) != 1 || !e.Todos[0].Waiting || e.Todos[0].Title != "Call Ana back" || e.Todos[0].Status != "open" ||
			len(e.Branches) != 1 || e.Branches[0].Wait != engine.WaitTodo || e.Branches[0].TodoID != e.Todos[0].ID {
			t.Fatalf("the waiting run: todos %+v, branches %+v", e.Todos, e.Branches)
		}
		if countLog(e, "after", workflow.LogStarted) != 0 {
			t.Fatalf("the next step ran before the to-do was done:\n%s", logText(e))
		}
		_, page := h.session("manager@example.com").get("/executions/" + run)
		if link, _ := page.Find(`#run-todos a[href^="/crm/todos/"]`).Attr("href"); link != "/crm/todos/"+e.Todos[0].ID ||
			!strings.Contains(squash(page.Find("#run-todos")), "The run goes on when this is done.") {
			t.Fatalf("the run's page lists its to-dos as %q", squash(page.Find("#run-todos")))
		}

		rep := h.session("rep@example.com")
		_, page = rep.get("/crm/leads/" + lead.ID)
		action, _ := page.Find("#record-todos form.todo-done").Attr("action")
		if action != "/crm/todos/"+e.Todos[0].ID+"/done" {
			t.Fatalf("the lead's page offers Done at %q", action)
		}
		if code, _ := rep.post(action, url.Values{"back": {"/crm/leads/" + lead.ID}}); code != http.StatusSeeOther {
			t.Fatalf("Done answered %d", code)
		}
		e = h.waitStatus(run, "completed")
		out, _ := e.StepOutputs["call"].(map[string]any)
		if out["status"] != "done" || out["completedBy"] != "rep@example.com" || out["taskId"] != e.Todos[0].ID || out["completedAt"] == nil {
			t.Errorf("the step's output is %v", out)
		}
		if e.Variables["calledBy"] != "rep@example.com" {
			t.Errorf("the step after the wait read %v", e.Variables["calledBy"])
		}
		if n := countLog(e, "call", workflow.LogCompleted); n != 1 || !strings.Contains(logText(e), `The to-do "Call Ana back" was done by rep@example.com`) {
			t.Errorf("call completed %d times; log:\n%s", n, logText(e))
		}

		// Deleted before it is done: the step fails in words, and a retry makes the to-do again.
		run = h.startRun(wf, map[string]any{"lead": map[string]any{"id": lead.ID, "firstName": "Ana"}})
		e = h.waitStatus(run, "paused")
		if code := h.call(h.manager, "DELETE", "/api/crm-tasks/"+e.Todos[0].ID, nil, nil); code != http.StatusNoContent {
			t.Fatalf("deleting the to-do answered %d", code)
		}
		e = h.waitStatus(run, "failed")
		if e.FailedStep != "call" || !strings.Contains(e.Error, "the to-do was deleted before it was done") {
			t.Fatalf("failed at %q with %q", e.FailedStep, e.Error)
		}
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/retry", nil, nil)
		e = h.waitFor(run, "waiting on a new to-do", func(e execution) bool {
			return e.Status == "paused" && len(e.Todos) == 1 && e.Todos[0].Waiting
		})
		if len(e.Branches) != 1 || e.Branches[0].TodoID != e.Todos[0].ID {
			t.Fatalf("after the retry: todos %+v, branches %+v", e.Todos, e.Branches)
		}
	})
}

// A to-do done while its run stands failed (another branch failed) is not lost: the retry looks at the
// to-do again, finds it done, and the waiting branch goes on.
func TestAToDoDoneWhileItsRunFailedIsSeenOnRetry(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		d := def("Call and ask",
			map[string]any{"id": "fan", "name": "Both", "type": "parallel", "nextSteps": []string{},
				"configuration": map[string]any{"parallelSteps": []string{"call", "ask"}}},
			map[string]any{"id": "call", "name": "Call back", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
					"title": "Call back", "assignee": "rep@example.com", "wait": true}}},
			map[string]any{"id": "ask", "name": "Ask", "type": "human_task", "nextSteps": []string{"hand_over"},
				"configuration": map[string]any{"assignee": "rep@example.com", "title": "Ask",
					"formFields": []map[string]any{{"name": "x", "type": "number", "required": true}}}},
			map[string]any{"id": "hand_over", "name": "Hand over", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
					"title": "Take over", "assignee": "later@example.com"}}})
		run := h.startRun(h.createWorkflow(d), nil)
		e := h.waitFor(run, "waiting on the to-do", func(e execution) bool { return len(e.Todos) == 1 && e.Todos[0].Waiting })
		todo := e.Todos[0].ID
		tk := h.openTask(run)
		h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{"x": 1}}, nil)
		e = h.waitStatus(run, "failed") // later@example.com is nobody yet
		if e.FailedStep != "hand_over" {
			t.Fatalf("failed at %q: %s", e.FailedStep, e.Error)
		}
		h.must(http.StatusOK, h.rep, "PATCH", "/api/crm-tasks/"+todo, map[string]any{"status": "done"}, nil)
		// The to-do's event is dispatched and its job has looked at the failed run, before the retry.
		h.waitDispatched()
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := h.srv.DB.FinishedJobsOfKind(context.Background(), engine.TodoArgs{}.Kind())
			if err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the to-do's job did not run within 10 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if e := h.get(run); e.Status != "failed" {
			t.Fatalf("the run is %s after its to-do was done while it stood failed", e.Status)
		}
		h.person("later@example.com", "rep")
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/retry", nil, nil)
		e = h.waitStatus(run, "completed")
		if out, _ := e.StepOutputs["call"].(map[string]any); out["status"] != "done" || countLog(e, "call", workflow.LogCompleted) != 1 {
			t.Fatalf("call's output %v; log:\n%s", e.StepOutputs["call"], logText(e))
		}
	})
}

// The create_task panel asks whether to wait until the to-do is done: Yes stores wait true, No leaves it out.
func TestDesignerPanelMakesACreateTaskStepWait(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	m := h.session("manager@example.com")
	m.get("/workflows")
	d := def("Call and wait", map[string]any{"id": "call", "name": "Call back", "type": "action", "nextSteps": []string{},
		"configuration": map[string]any{"action": "create_task", "parameters": map[string]any{
			"title": "Call back", "assignee": "rep@example.com"}}})
	defJSON, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	doc := m.panel("/designer/panel", url.Values{"definition": {string(defJSON)}, "step": {"call"}})
	sel := doc.Find(`select[name="param.wait"]`)
	if sel.Length() != 1 || sel.Find(`option[selected]`).AttrOr("value", "x") != "" ||
		!strings.Contains(squash(sel.Closest(".field")), "Wait until it is done") {
		t.Fatalf("the wait field: %q", squash(sel.Closest(".field")))
	}
	for _, tc := range []struct {
		choice string
		want   any
	}{{"true", true}, {"", nil}} {
		doc = m.panel("/designer/panel", with(panelForm(doc), "param.wait", tc.choice))
		var step workflow.Step
		scriptJSON(t, doc, "panel-step", &step)
		params, _ := step.Configuration["parameters"].(map[string]any)
		if params["wait"] != tc.want || doc.Find(".field-error").Length() != 0 {
			t.Fatalf("chose %q: parameters %v, errors %q", tc.choice, params, doc.Find(".field-error").Text())
		}
		if got := doc.Find(`select[name="param.wait"] option[selected]`).AttrOr("value", "x"); got != tc.choice {
			t.Fatalf("chose %q, the panel shows %q", tc.choice, got)
		}
	}
}
