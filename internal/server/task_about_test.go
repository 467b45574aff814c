package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A task shows its customer: the rep opening "Schedule Discovery Call" sees the lead's name and company, an
// email and a phone to tap, the lead's page one click away, what the run did so far in one line, and the
// workflow by its name.
func TestATaskPageShowsWhomToCall(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	var acme record
	h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &acme)
	id := h.createLead(h.rep, record{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example", "phone": "+1 555 0100",
		"companyId": acme["id"], "assignedTo": "rep@example.com"})
	var jane record
	h.must(http.StatusOK, h.rep, "GET", "/api/leads/"+id, nil, &jane)
	jane["lastInteraction"] = t0.Add(-time.Hour).Format(time.RFC3339)
	run := h.startRun(wf, map[string]any{"lead": map[string]any(jane)})
	h.waitLog(run, "wait_3_days", "started")
	h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/wake", nil, nil)
	tk := h.openTask(run)

	rep := h.session("rep@example.com")
	status, doc := rep.get("/tasks/" + tk.ID)
	if status != http.StatusOK {
		t.Fatalf("the task page = %d", status)
	}
	card := doc.Find("#task-customer")
	if got := squash(card.Find(".customer-name strong")); got != "Jane Doe, Acme Diner" {
		t.Errorf("the task is about %q", got)
	}
	if href, _ := card.Find(`a[href^="mailto:"]`).Attr("href"); href != "mailto:jane@acme.example" {
		t.Errorf("the email link is %q", href)
	}
	if href, _ := card.Find(`a[href^="tel:"]`).Attr("href"); href != "tel:+1 555 0100" {
		t.Errorf("the phone link is %q", href)
	}
	if href, _ := card.Find(`a:contains("Open the lead")`).Attr("href"); href != "/crm/leads/"+id {
		t.Errorf("the lead's page is at %q", href)
	}
	if got := squash(doc.Find("#task-so-far")); !strings.Contains(got, "Send Welcome Email") || !strings.Contains(got, "Wait 3 Days") || !strings.HasSuffix(got, "done") {
		t.Errorf("what the run did so far: %q", got)
	}
	if got := squash(doc.Find(`a[href="/executions/` + run + `"]`)); got != "Lead Nurturing Sequence" {
		t.Errorf("the run is named %q, want the workflow's name", got)
	}

	// The inbox row says whom to call too: the customer, their page, a number to tap.
	status, inbox := rep.get("/inbox")
	if status != http.StatusOK {
		t.Fatalf("the inbox = %d", status)
	}
	row := inbox.Find(`#tasks tr:has(a[href="/tasks/` + tk.ID + `"]) .task-row-customer`)
	if got := squash(row.Find(".customer")); got != "Jane Doe, Acme Diner" {
		t.Errorf("the inbox row is about %q", got)
	}
	if href, _ := row.Find(".customer").Attr("href"); href != "/crm/leads/"+id {
		t.Errorf("the inbox row links the lead at %q", href)
	}
	if href, _ := row.Find(`a[href^="tel:"]`).Attr("href"); href != "tel:+1 555 0100" {
		t.Errorf("the inbox row's phone link is %q", href)
	}
	// And the API's task has the same card.
	var got struct {
		About struct{ Kind, ID, Label, Company, Email, Phone, Page string }
	}
	h.must(http.StatusOK, h.rep, "GET", "/api/tasks/"+tk.ID, nil, &got)
	if a := got.About; a.Kind != "lead" || a.ID != id || a.Label != "Jane Doe, Acme Diner" || a.Company != "Acme Diner" ||
		a.Email != "jane@acme.example" || a.Phone != "+1 555 0100" || a.Page != "/crm/leads/"+id {
		t.Errorf("the API's task is about %+v", a)
	}
}

// A rep in Berlin reads and writes dates in Berlin time: the date-and-time field says so, 15:30 typed is
// 14:30 UTC in the run, and the done task shows the answers as people write them (15:30 CET, the agenda as
// typed) with the task's dates in CET too. A rep with no zone set still reads UTC.
func TestATaskIsAnsweredAndShownInTheRepsTimeZone(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	h.must(http.StatusOK, h.rep, "PUT", "/api/users/me/settings", map[string]any{"timezone": "Europe/Berlin"}, nil)
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	run := h.startRun(wf, map[string]any{"lead": lead(t0.Add(-time.Hour))})
	h.waitLog(run, "wait_3_days", "started")
	h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/wake", nil, nil)
	tk := h.openTask(run)

	rep := h.session("rep@example.com")
	_, doc := rep.get("/tasks/" + tk.ID)
	if got := squash(doc.Find("#f-callDate-help")); !strings.Contains(got, "In your time zone, Europe/Berlin.") {
		t.Errorf("the date-and-time field's help says %q, want it to name Europe/Berlin", got)
	}
	if got := squash(doc.Find("dt:contains('Created') + dd")); !strings.HasSuffix(got, "CET") {
		t.Errorf("the task was created %q, want a time in CET", got)
	}
	_, inbox := rep.get("/inbox")
	if got := squash(inbox.Find(`#tasks td[data-label="Created"]`)); !strings.HasSuffix(got, "CET") {
		t.Errorf("the inbox says the task was created %q, want a time in CET", got)
	}

	status, done := rep.htmx("POST", "/tasks/"+tk.ID, url.Values{"callDate": {"2026-12-03T15:30"}, "agenda": {"menu costs"}})
	if status != http.StatusOK {
		t.Fatalf("submitting the task = %d: %s", status, squash(done.Find("body")))
	}
	if got := squash(done.Find(`dd[data-field="callDate"]`)); got != "3 Dec 2026 15:30 CET" {
		t.Errorf("the done task shows the call date as %q, want 3 Dec 2026 15:30 CET", got)
	}
	if got := squash(done.Find(`dd[data-field="agenda"]`)); got != "menu costs" {
		t.Errorf("the done task shows the agenda as %q", got)
	}
	if e := h.get(run); e.Variables["callDate"] != "2026-12-03T14:30:00Z" {
		t.Errorf("the run holds the call date as %v, want 15:30 Berlin time, 2026-12-03T14:30:00Z", e.Variables["callDate"])
	}

	// The manager, with no zone of their own, reads the same answer in UTC.
	_, page := h.session("manager@example.com").get("/tasks/" + tk.ID)
	if got := squash(page.Find(`dd[data-field="callDate"]`)); got != "3 Dec 2026 14:30 UTC" {
		t.Errorf("the manager reads the call date as %q, want 3 Dec 2026 14:30 UTC", got)
	}
}
