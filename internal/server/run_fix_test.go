package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// welcomeOnCreate mails every new lead, then marks the run: a lead without an email fails its first step.
// Its business keys are the lead's email and source.
func welcomeOnCreate() map[string]any {
	d := def("Welcome new leads",
		map[string]any{"id": "welcome", "name": "Send welcome email", "type": "action", "nextSteps": []string{"mark"},
			"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{
				"template": "welcome_qualified_lead", "recipient": "{{ lead.email }}",
				"data": map[string]any{"firstName": "{{ lead.firstName }}", "companyName": "Acme"}}}},
		setVar("mark", "note", "welcomed"),
	)
	d["businessKeys"] = []map[string]any{{"name": "Lead email", "value": "{{ lead.email }}"}, {"name": "Source", "value": "{{ lead.source }}"}}
	return withTrigger(d, "event", map[string]any{"event": "lead_created"})
}

type runChange struct {
	At      time.Time      `json:"at"`
	By      string         `json:"by"`
	Kind    string         `json:"kind"`
	StepID  string         `json:"stepId"`
	Message string         `json:"message"`
	Before  map[string]any `json:"before"`
	After   map[string]any `json:"after"`
}

type runWithRecord struct {
	execution
	Subject *struct{ Entity, ID, Label, Page string } `json:"subject"`
	Keys    map[string]string                         `json:"keys"`
	Changes []runChange                               `json:"changes"`
}

func (h *harness) getWithRecord(id string) runWithRecord {
	h.t.Helper()
	var e runWithRecord
	h.must(http.StatusOK, h.manager, "GET", "/api/executions/"+id, nil, &e)
	return e
}

// The manager after a bad day: a lead with no email failed its run; the email is fixed in the CRM,
// the run's copy of the lead is refreshed and the run retried from the failed step: it completes, and the
// run's changes show the refresh with the email before and after. The run knows its lead, and is found by
// the lead and by the new email.
func TestFixTheLeadRefreshTheRunAndRetry(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		wf := h.createWorkflow(welcomeOnCreate())
		lead := h.createLead(h.rep, record{"firstName": "Ana", "lastName": "Lopez", "source": "trade show"})
		runs := h.waitExecutions(wf, 1)
		run := runs.Items[0]["id"].(string)
		failed := h.waitStatus(run, "failed")
		if failed.FailedStep != "welcome" || !strings.Contains(failed.Error, "recipient") {
			t.Fatalf("the run failed at %q: %q; want the welcome step, on its recipient", failed.FailedStep, failed.Error)
		}

		// A plain retry fails the same way: the run keeps its own copy of the lead.
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+lead, record{"email": "ana@bistro.example"}, nil)
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/retry", nil, nil)
		again := h.waitFor(run, "failed again", func(e execution) bool {
			return e.Status == "failed" && countLog(e, "welcome", workflow.LogFailed) == 2
		})
		if again.Variables["lead"].(map[string]any)["email"] != nil && again.Variables["lead"].(map[string]any)["email"] != "" {
			t.Fatalf("a plain retry changed the run's lead: %v", again.Variables["lead"])
		}

		// Refresh and retry: done.
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/retry", map[string]any{"refreshRecord": true}, nil)
		done := h.waitStatus(run, "completed")
		if got := done.Variables["lead"].(map[string]any)["email"]; got != "ana@bistro.example" {
			t.Fatalf("after the refresh the run's lead has email %v", got)
		}
		if n := countLog(done, "welcome", workflow.LogCompleted); n != 1 {
			t.Fatalf("the welcome step completed %d times", n)
		}
		e := h.getWithRecord(run)
		if len(e.Changes) != 1 {
			t.Fatalf("the run logs %d changes, want the one refresh: %+v", len(e.Changes), e.Changes)
		}
		c := e.Changes[0]
		before, _ := c.Before["lead"].(map[string]any)
		after, _ := c.After["lead"].(map[string]any)
		if c.Kind != "record" || c.By != "manager@example.com" || !strings.Contains(c.Message, "Refreshed lead from the CRM") ||
			before == nil || after == nil || (before["email"] != nil && before["email"] != "") || after["email"] != "ana@bistro.example" {
			t.Fatalf("the refresh is logged as %+v", c)
		}

		// The run knows its lead, and its keys follow the refreshed data.
		if e.Subject == nil || e.Subject.Entity != "lead" || e.Subject.ID != lead || e.Subject.Label != "Ana Lopez" || e.Subject.Page != "/crm/leads/"+lead {
			t.Fatalf("the run is about %+v", e.Subject)
		}
		if e.Keys["Lead email"] != "ana@bistro.example" || e.Keys["Source"] != "trade show" {
			t.Fatalf("the run's keys are %v", e.Keys)
		}
		for _, q := range []string{"subject=lead:" + lead, "q=ana@bistro", "q=" + url.QueryEscape("LOPEZ"), "q=" + url.QueryEscape("trade sh")} {
			var list recordList
			h.must(http.StatusOK, h.manager, "GET", "/api/executions?"+q, nil, &list)
			if list.Total != 1 || list.Items[0]["id"] != run {
				t.Fatalf("/api/executions?%s found %d runs: %v", q, list.Total, list.Items)
			}
		}
		for _, q := range []string{"subject=lead:someone-else", "q=bob", "q=ana@bistro.example+lopez+x"} {
			var list recordList
			h.must(http.StatusOK, h.manager, "GET", "/api/executions?"+q, nil, &list)
			if list.Total != 0 {
				t.Fatalf("/api/executions?%s found %d runs, want none", q, list.Total)
			}
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "GET", "/api/executions?subject=lead", nil, nil)
	})
}

// mailToEmail counts its runs in x, mails the address in the variable email, then sets z: a run started
// with a wrong address fails at the mail.
func mailToEmail() map[string]any {
	d := def("Mail the address",
		setVar("first", "x", "{{ (x ?? 0) + 1 }}", "mail"),
		map[string]any{"id": "mail", "name": "Mail the address", "type": "action", "nextSteps": []string{"last"},
			"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{
				"template": "welcome_qualified_lead", "recipient": "{{ email }}",
				"data": map[string]any{"firstName": "Ana", "companyName": "Acme"}}}},
		setVar("last", "z", 1))
	d["variables"] = append(d["variables"].([]map[string]any), map[string]any{"name": "email", "type": "string"})
	return d
}

// A manager edits a failed run's variables: wrong values are refused per field and change nothing; right
// ones are logged with before and after; a finished run's data cannot be edited; reps may not edit.
func TestEditARunsVariables(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(mailToEmail())
	run := h.startRun(wf, map[string]any{"email": "nobody", "note": "first"})
	h.waitStatus(run, "failed")

	var problem struct {
		Details []struct{ Path, Message string } `json:"details"`
	}
	h.must(http.StatusUnprocessableEntity, h.manager, "PATCH", "/api/executions/"+run+"/variables",
		map[string]any{"variables": map[string]any{"email": 5, "nope": 1}}, &problem)
	paths := map[string]string{}
	for _, d := range problem.Details {
		paths[d.Path] = d.Message
	}
	if !strings.Contains(paths["email"], "must be text") || !strings.Contains(paths["nope"], "not a variable") {
		t.Fatalf("the problems of a wrong edit: %+v", problem.Details)
	}
	if e := h.getWithRecord(run); len(e.Changes) != 0 || e.Variables["email"] != "nobody" {
		t.Fatalf("a refused edit changed the run: %v, changes %+v", e.Variables, e.Changes)
	}
	h.must(http.StatusForbidden, h.rep, "PATCH", "/api/executions/"+run+"/variables", map[string]any{"variables": map[string]any{"email": "ana@example.com"}}, nil)

	h.must(http.StatusOK, h.manager, "PATCH", "/api/executions/"+run+"/variables", map[string]any{"variables": map[string]any{"email": "ana@example.com", "note": "first"}}, nil)
	e := h.getWithRecord(run)
	if len(e.Changes) != 1 || e.Changes[0].Kind != "variables" || e.Changes[0].Before["email"] != "nobody" || e.Changes[0].After["email"] != "ana@example.com" {
		t.Fatalf("the edit is logged as %+v", e.Changes)
	}
	if _, ok := e.Changes[0].After["note"]; ok {
		t.Fatalf("an unchanged variable is logged as changed: %+v", e.Changes[0])
	}
	if e.Status != "failed" {
		t.Fatalf("an edit alone moved the run to %s", e.Status)
	}
	h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/retry", nil, nil)
	if done := h.waitStatus(run, "completed"); done.Variables["z"] != float64(1) || done.Variables["x"] != float64(1) {
		t.Fatalf("after the edit and a retry from the failed step: %v\n%s", done.Variables, logText(done))
	}
	h.must(http.StatusUnprocessableEntity, h.manager, "PATCH", "/api/executions/"+run+"/variables", map[string]any{"variables": map[string]any{"email": "b@example.com"}}, nil)
}

// Retry from an earlier step runs the steps from there again; skipping the failed step goes on after it.
// Both are logged with who asked; a step not on the run's path, or not the failed one, is refused in words.
func TestRetryFromAnEarlierStepAndSkipTheFailedOne(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(mailToEmail())

	run := h.startRun(wf, map[string]any{"email": "nobody"})
	h.waitStatus(run, "failed")
	h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/executions/"+run+"/retry", map[string]any{"fromStep": "last"}, nil)
	h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/executions/"+run+"/retry", map[string]any{"fromStep": "nowhere"}, nil)
	h.must(http.StatusOK, h.manager, "PATCH", "/api/executions/"+run+"/variables", map[string]any{"variables": map[string]any{"email": "ana@example.com"}}, nil)
	h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/retry", map[string]any{"fromStep": "first"}, nil)
	done := h.waitStatus(run, "completed")
	if done.Variables["x"] != float64(2) || countLog(done, "first", workflow.LogCompleted) != 2 || countLog(done, "mail", workflow.LogCompleted) != 1 {
		t.Fatalf("retried from the first step: x = %v, log\n%s", done.Variables["x"], logText(done))
	}
	if e := h.getWithRecord(run); len(e.Changes) != 2 || e.Changes[1].Kind != "retry_from" || e.Changes[1].StepID != "first" {
		t.Fatalf("changes: %+v", e.Changes)
	}

	skipped := h.startRun(wf, map[string]any{"email": "nobody"})
	h.waitStatus(skipped, "failed")
	h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/executions/"+skipped+"/skip", map[string]any{"step": "first"}, nil)
	h.must(http.StatusForbidden, h.rep, "POST", "/api/executions/"+skipped+"/skip", map[string]any{"step": "mail"}, nil)
	h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+skipped+"/skip", map[string]any{"step": "mail"}, nil)
	done = h.waitStatus(skipped, "completed")
	if countLog(done, "mail", workflow.LogSkipped) != 1 || countLog(done, "last", workflow.LogCompleted) != 1 || done.Variables["z"] != float64(1) {
		t.Fatalf("after the skip:\n%s", logText(done))
	}
	if out, _ := done.StepOutputs["mail"].(map[string]any); out["skipped"] != true {
		t.Fatalf("the skipped step's output is %v", done.StepOutputs["mail"])
	}
	if e := h.getWithRecord(skipped); len(e.Changes) != 1 || e.Changes[0].Kind != "skip" || e.Changes[0].By != "manager@example.com" {
		t.Fatalf("changes: %+v", e.Changes)
	}
}

// A run started by hand with a lead is about that lead: the lead's page lists it beside the runs its own
// changes started, and the executions page finds it by the lead's name and links the lead.
func TestARunStartedWithALeadShowsOnTheLeadsPage(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	d := def("Call back", setVar("mark", "note", "called"))
	d["variables"] = append(d["variables"].([]map[string]any), map[string]any{"name": "lead", "type": "object"})
	wf := h.createWorkflow(d)
	id := h.createLead(h.rep, record{"firstName": "Rosa", "lastName": "Diaz", "email": "rosa@cantina.example", "assignedTo": "rep@example.com"})
	var lead record
	h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+id, nil, &lead)
	run := h.startRun(wf, map[string]any{"lead": map[string]any(lead)})
	h.waitStatus(run, "completed")

	manager := h.session("manager@example.com")
	status, page := manager.get("/crm/leads/" + id)
	if status != http.StatusOK {
		t.Fatalf("the lead's page = %d", status)
	}
	item := page.Find(`.run-list li[data-execution="` + run + `"]`)
	if item.Length() != 1 || !strings.Contains(squash(item), "Call back") || !strings.Contains(squash(item), "about this lead") {
		t.Fatalf("the lead's page lists the run as %q", squash(page.Find(".run-list")))
	}
	status, list := manager.get("/executions?q=rosa+diaz")
	if status != http.StatusOK {
		t.Fatalf("the executions page = %d", status)
	}
	row := list.Find(`tr[data-execution="` + run + `"]`)
	if href, _ := row.Find(".run-subject a").Attr("href"); href != "/crm/leads/"+id || squash(row.Find(".run-subject a")) != "Rosa Diaz" {
		t.Fatalf("the run's row is about %q at %q", squash(row.Find(".run-subject")), href)
	}
	if n := list.Find("tr[data-execution]").Length(); n != 1 {
		t.Fatalf("searching rosa diaz shows %d runs", n)
	}
	if _, none := manager.get("/executions?q=nobody-like-this"); !strings.Contains(squash(none.Find("#executions")), "No runs are about a record or key matching that") {
		t.Fatalf("a search that finds nothing says %q", squash(none.Find("#executions")))
	}
}

// The run page's "Fix this run" form, without a browser: a value of the wrong type comes back beside its
// field with nothing changed; the right one is saved and the run retried, and the change is listed.
func TestTheFixThisRunForm(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(mailToEmail())
	run := h.startRun(wf, map[string]any{"email": "nobody"})
	h.waitStatus(run, "failed")
	manager := h.session("manager@example.com")
	_, page := manager.get("/executions/" + run)
	form := page.Find("#fix-run form")
	if form.Length() != 1 || form.Find(`[name="var.email"]`).AttrOr("value", "") != "nobody" {
		t.Fatalf("the fix form is %q", squash(page.Find("#fix-run")))
	}
	var options []string
	form.Find("#fix-then option").Each(func(_ int, o *goquery.Selection) { options = append(options, o.AttrOr("value", "")) })
	if strings.Join(options, ",") != "retry,from:first,skip,save" {
		t.Fatalf("the form offers %v", options)
	}

	status, doc := manager.post("/executions/"+run+"/fix", url.Values{"var.email": {"ana@example.com"}, "var.x": {"two"}, "then": {"retry"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(squash(doc.Find("#fix-run")), "x: \"two\" is not a number") {
		t.Fatalf("a wrong number answered %d: %q", status, squash(doc.Find("#fix-run")))
	}
	if e := h.getWithRecord(run); e.Variables["email"] != "nobody" || len(e.Changes) != 0 {
		t.Fatalf("a refused fix changed the run: %v %+v", e.Variables, e.Changes)
	}
	status, _ = manager.post("/executions/"+run+"/fix", url.Values{"var.email": {"ana@example.com"}, "var.x": {"1"}, "then": {"retry"}})
	if status != http.StatusSeeOther && status != http.StatusOK {
		t.Fatalf("the fix answered %d", status)
	}
	h.waitStatus(run, "completed")
	_, page = manager.get("/executions/" + run)
	if got := squash(page.Find("#run-changes")); !strings.Contains(got, "manager@example.com") || !strings.Contains(got, "email nobody → ana@example.com") {
		t.Fatalf("the changes read %q", got)
	}
	if page.Find("#fix-run").Length() != 0 {
		t.Fatal("a completed run still offers the fix form")
	}
}

// Runs stored before runs knew their record get it, and their keys, when the server starts.
func TestOlderRunsGetTheirRecordAtStart(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		wf := h.createWorkflow(welcomeOnCreate())
		lead := h.createLead(h.rep, record{"firstName": "Ana", "lastName": "Lopez", "email": "ana@bistro.example"})
		run := h.waitExecutions(wf, 1).Items[0]["id"].(string)
		h.waitStatus(run, "completed")
		if err := h.srv.DB.ForgetSubjects(context.Background()); err != nil {
			t.Fatal(err)
		}
		if e := h.getWithRecord(run); e.Subject != nil {
			t.Fatalf("the run still knows its record: %+v", e.Subject)
		}
		h.stop()
		h.open()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var list recordList
			h.must(http.StatusOK, h.manager, "GET", "/api/executions?q=ana@bistro", nil, &list)
			if list.Total == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the older run never got its record back")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if e := h.getWithRecord(run); e.Subject == nil || e.Subject.ID != lead || e.Keys["Lead email"] != "ana@bistro.example" {
			t.Fatalf("after the start the run is about %+v with keys %v", e.Subject, e.Keys)
		}
	})
}
