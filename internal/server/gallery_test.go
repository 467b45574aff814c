package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/triggers"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The gallery's workflows run from their real triggers and do what their descriptions promise.

func importTemplate(h *harness, id string) string {
	h.t.Helper()
	var saved struct{ ID string }
	h.must(http.StatusCreated, h.manager, "POST", "/api/templates/"+id+"/import", nil, &saved)
	return saved.ID
}

func TestGalleryNewLeadRoundRobin(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := importTemplate(h, "new_lead_round_robin")
	var lead record
	h.must(http.StatusCreated, h.manager, "POST", "/api/leads", record{"firstName": "Ada", "lastName": "Byte",
		"source": "trade show", "assignedTo": nil}, &lead)
	e := h.waitStatus(h.waitExecutions(wf, 1).Items[0]["id"].(string), "completed")
	var got record
	h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+lead["id"].(string), nil, &got)
	if got["assignedTo"] != "rep@example.com" {
		t.Fatalf("the lead is assigned to %v, want the only rep", got["assignedTo"])
	}
	var tasks recordList
	h.must(http.StatusOK, h.rep, "GET", "/api/crm-tasks?assignedTo=rep@example.com", nil, &tasks)
	if tasks.Total != 1 || tasks.Items[0]["title"] != "First call with Ada Byte" || tasks.Items[0]["priority"] != "high" {
		t.Fatalf("tasks = %+v (run log:\n%s)", tasks, logText(e))
	}
	// An assigned lead is left alone.
	h.must(http.StatusCreated, h.manager, "POST", "/api/leads", record{"firstName": "Owned", "lastName": "Lead", "assignedTo": "manager@example.com"}, nil)
	h.waitDispatched()
	if n := h.executionsOf(wf).Total; n != 1 {
		t.Fatalf("an assigned lead started the round robin: %d runs", n)
	}
}

func TestGalleryStaleOpportunityReminder(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := importTemplate(h, "stale_opportunity_reminder")
	var stale, moving record
	h.must(http.StatusCreated, h.manager, "POST", "/api/opportunities", record{"name": "Quiet deal", "assignedTo": "rep@example.com"}, &stale)
	h.must(http.StatusCreated, h.manager, "POST", "/api/opportunities", record{"name": "Busy deal", "assignedTo": "rep@example.com"}, &moving)
	runs := h.waitExecutions(wf, 2)
	for _, r := range runs.Items {
		h.waitLog(r["id"].(string), "wait_two_weeks", workflow.LogStarted)
	}
	h.must(http.StatusOK, h.rep, "PATCH", "/api/opportunities/"+moving["id"].(string), record{"stage": "proposal"}, nil)
	h.clock.Advance(14*24*time.Hour + time.Minute)
	for _, r := range runs.Items {
		h.waitStatus(r["id"].(string), "completed")
	}
	var tasks recordList
	h.must(http.StatusOK, h.rep, "GET", "/api/crm-tasks?assignedTo=rep@example.com", nil, &tasks)
	if tasks.Total != 1 || tasks.Items[0]["title"] != "Quiet deal has not moved in two weeks" {
		t.Fatalf("reminders = %+v, want one for the quiet deal only", tasks)
	}
}

func TestGalleryWonDealOnboarding(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := importTemplate(h, "won_deal_onboarding")
	var company, contact, opp record
	h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &company)
	h.must(http.StatusCreated, h.rep, "POST", "/api/contacts", record{"firstName": "Sam", "lastName": "Lee",
		"email": "sam@acme.example", "companyId": company["id"]}, &contact)
	h.must(http.StatusCreated, h.rep, "POST", "/api/opportunities", record{"name": "Kitchen refit", "companyId": company["id"],
		"contactId": contact["id"], "assignedTo": "rep@example.com"}, &opp)
	h.must(http.StatusOK, h.rep, "PATCH", "/api/opportunities/"+opp["id"].(string), record{"stage": "won"}, nil)
	id := h.waitExecutions(wf, 1).Items[0]["id"].(string)
	tk := h.openTask(id)
	if tk.Title != "Confirm Kitchen refit is onboarded" {
		t.Fatalf("task %q", tk.Title)
	}
	e := h.get(id)
	if countLog(e, "start_onboarding", workflow.LogCompleted) != 1 {
		t.Fatalf("the parallel start should have joined before the confirmation task:\n%s", logText(e))
	}
	m := h.outbox(id)
	if len(m) != 1 || m[0].Subject != "Welcome aboard, Sam" || !strings.Contains(m[0].Body, "Acme Diner") {
		t.Fatalf("welcome mail = %+v", m)
	}
	h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+tk.ID+"/complete", map[string]any{"values": map[string]any{"kickoffDate": "2026-12-02"}}, nil)
	if e := h.waitStatus(id, "completed"); e.Variables["kickoffDate"] != "2026-12-02" {
		t.Fatalf("kickoffDate = %v", e.Variables["kickoffDate"])
	}
}

func TestGalleryWebFormLeadCapture(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := importTemplate(h, "web_form_lead_capture")
	var hook struct{ URL, Secret string }
	h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf+"/webhook", nil, &hook)
	body := []byte(`{"firstName": "Nia", "lastName": "Park", "email": "nia@bistro.example", "message": "We need a quote for 3 ovens", "page": "/contact"}`)
	code, out := h.webhookPost(h.http.URL+strings.TrimPrefix(hook.URL, "http://localhost:8080"), body, map[string]string{
		triggers.SignatureHeader: triggers.SignDelivery(hook.Secret, t0, "form-1", body), triggers.DeliveryHeader: "form-1"})
	if code != http.StatusAccepted {
		t.Fatalf("webhook: %d %v", code, out)
	}
	h.waitStatus(out["executionId"].(string), "completed")
	var leads recordList
	h.must(http.StatusOK, h.rep, "GET", "/api/leads?q=nia@bistro.example", nil, &leads)
	if leads.Total != 1 || leads.Items[0]["source"] != "web form" || leads.Items[0]["assignedTo"] != "rep@example.com" ||
		leads.Items[0]["notes"] != "We need a quote for 3 ovens" {
		t.Fatalf("leads = %+v", leads)
	}
	var tasks recordList
	h.must(http.StatusOK, h.rep, "GET", "/api/crm-tasks?assignedTo=rep@example.com", nil, &tasks)
	if tasks.Total != 1 || tasks.Items[0]["title"] != "Call Nia Park from the web form" {
		t.Fatalf("tasks = %+v", tasks)
	}
}
