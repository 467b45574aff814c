package server_test

import (
	"net/http"
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
}
