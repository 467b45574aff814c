package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

type record = map[string]any

type apiError struct {
	Error   string `json:"error"`
	Details []struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"details"`
}

type recordList struct {
	Items []record `json:"items"`
	Total int64    `json:"total"`
}

// executionsOf lists a workflow's executions through the API.
func (h *harness) executionsOf(workflowID string) recordList {
	h.t.Helper()
	var out recordList
	h.must(http.StatusOK, h.manager, "GET", "/api/executions?workflowId="+workflowID, nil, &out)
	return out
}

// waitExecutions waits up to 10 s until a workflow has at least want executions, then checks for half a
// second that no more come; it returns them.
func (h *harness) waitExecutions(workflowID string, want int64) recordList {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.executionsOf(workflowID).Total < want {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s has %d executions after 10 s, want %d", workflowID, h.executionsOf(workflowID).Total, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.waitDispatched()
	time.Sleep(500 * time.Millisecond)
	got := h.executionsOf(workflowID)
	if got.Total != want {
		h.t.Fatalf("%s has %d executions, want exactly %d", workflowID, got.Total, want)
	}
	return got
}

// waitDispatched waits until every recorded event has been dispatched (a River job after the commit), so
// that "nothing started" means the event was looked at and started nothing.
func (h *harness) waitDispatched() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, err := h.srv.DB.Triggers().PendingEvents(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d events still not dispatched after 10 s", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventTypes lists the recorded events of a record, oldest first.
func (h *harness) eventTypes(entityID string) []string {
	h.t.Helper()
	types, err := h.srv.DB.CRM().EventTypesOf(context.Background(), entityID)
	if err != nil {
		h.t.Fatal(err)
	}
	return types
}

func TestCRMThroughTheAPI(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		var company, lead record
		h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner", "city": "Lyon"}, &company)
		if company["id"] == "" || company["assignedTo"] != "rep@example.com" || company["createdAt"] != "2026-11-26T09:00:00Z" {
			t.Fatalf("created company = %v, want an id, owned by its creator, created now", company)
		}
		cid := company["id"].(string)

		// Bad data: every problem at once, nothing saved.
		var verr apiError
		h.must(http.StatusUnprocessableEntity, h.rep, "POST", "/api/leads",
			record{"firstName": "Jane", "email": "jane@", "status": "hot", "companyId": "nope", "nickname": "JD"}, &verr)
		type detail struct{ Path, Message string }
		var got []detail
		for _, d := range verr.Details {
			got = append(got, detail{d.Path, d.Message})
		}
		want := []detail{
			{"lastName", "the last name is required"},
			{"email", `"jane@" is not an email address`},
			{"companyId", `there is no company with id "nope"`},
			{"status", `"hot" is not a lead status; use new, contacted, qualified, unqualified or converted`},
			{"nickname", `a lead has no field "nickname"; its fields are firstName, lastName, email, phone, title, companyId, status, source, score, lastInteraction, notes, assignedTo`},
		}
		if verr.Error != "the lead has 5 problems; nothing was saved" || !slices.Equal(got, want) {
			t.Fatalf("422 = %q %v\nwant %v", verr.Error, got, want)
		}
		var bad apiError
		h.must(http.StatusBadRequest, h.rep, "POST", "/api/leads", `{"firstName": "Jane",`, &bad)
		if bad.Error == "" {
			t.Fatal("a malformed body got no error message")
		}
		var empty recordList
		h.must(http.StatusOK, h.rep, "GET", "/api/leads", nil, &empty)
		if empty.Total != 0 || empty.Items == nil {
			t.Fatalf("leads after refused creates = %+v, want an empty list", empty)
		}

		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", record{"firstName": "Jane", "lastName": "Doe",
			"email": "jane@acme.example", "companyId": cid, "assignedTo": "rep@example.com", "source": "webinar"}, &lead)
		id := lead["id"].(string)
		if company := lead["company"].(map[string]any); company["name"] != "Acme Diner" || lead["status"] != "new" {
			t.Fatalf("created lead = %v, want company Acme Diner expanded and status new", lead)
		}
		var read record
		h.must(http.StatusOK, h.rep, "GET", "/api/leads/"+id, nil, &read)
		if !sameJSON(t, read, lead) {
			t.Fatalf("GET = %v\nwant %v", read, lead)
		}

		// PATCH changes only what it names.
		var patched record
		h.clock.Advance(time.Hour)
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+id, record{"score": 60, "notes": "asked for a demo"}, &patched)
		for k, v := range lead {
			switch k {
			case "score":
				v = 60.0
			case "notes":
				v = "asked for a demo"
			case "updatedAt":
				v = "2026-11-26T10:00:00Z"
			}
			if !sameJSON(t, patched[k], v) {
				t.Errorf("after PATCH %s = %v, want %v", k, patched[k], v)
			}
		}
		h.must(http.StatusUnprocessableEntity, h.rep, "PATCH", "/api/leads/"+id, record{"firstName": ""}, &verr)
		if len(verr.Details) != 1 || verr.Details[0].Path != "firstName" {
			t.Fatalf("PATCH emptying the first name: %+v", verr)
		}

		var nf apiError
		h.must(http.StatusNotFound, h.rep, "GET", "/api/leads/no-such-lead", nil, &nf)
		if nf.Error != `there is no lead with id "no-such-lead"` {
			t.Fatalf("404 error = %q", nf.Error)
		}
		h.must(http.StatusNotFound, h.rep, "PATCH", "/api/opportunities/no-such-deal", record{"stage": "won"}, nil)
		h.must(http.StatusNotFound, h.manager, "DELETE", "/api/contacts/no-such-contact", nil, nil)

		// Lists and their filters.
		// John is the manager's: the manager lists both, the rep only their own Jane.
		h.must(http.StatusCreated, h.manager, "POST", "/api/leads", record{"firstName": "John", "lastName": "Smith", "status": "contacted"}, nil)
		lists := []struct {
			token string
			query string
			want  []string
			total int
		}{
			{h.manager, "", []string{"John", "Jane"}, 2},
			{h.rep, "", []string{"Jane"}, 1},
			{h.manager, "?status=new", []string{"Jane"}, 1},
			{h.manager, "?assignedTo=rep@example.com", []string{"Jane"}, 1},
			{h.rep, "?assignedTo=me", []string{"Jane"}, 1},
			{h.manager, "?assignedTo=manager@example.com&status=contacted", []string{"John"}, 1},
			{h.rep, "?assignedTo=manager@example.com&status=contacted", nil, 0},
			{h.rep, "?q=jane%20doe", []string{"Jane"}, 1},
			{h.rep, "?q=john", nil, 0},
			{h.rep, "?companyId=" + cid, []string{"Jane"}, 1},
			{h.manager, "?limit=1&offset=1", []string{"Jane"}, 2},
		}
		for _, l := range lists {
			var page recordList
			h.must(http.StatusOK, l.token, "GET", "/api/leads"+l.query, nil, &page)
			var names []string
			for _, r := range page.Items {
				names = append(names, r["firstName"].(string))
			}
			if !slices.Equal(names, l.want) {
				t.Errorf("GET /api/leads%s = %v, want %v", l.query, names, l.want)
			}
			if int(page.Total) != l.total {
				t.Errorf("total of GET /api/leads%s = %d, want %d", l.query, page.Total, l.total)
			}
		}
		h.must(http.StatusUnprocessableEntity, h.rep, "GET", "/api/leads?stage=won", nil, &verr)
		if len(verr.Details) != 1 || verr.Details[0].Path != "stage" {
			t.Fatalf("filtering leads by stage: %+v", verr)
		}
		h.must(http.StatusUnprocessableEntity, h.rep, "GET", "/api/opportunities?stage=closed", nil, nil)
		h.must(http.StatusUnprocessableEntity, h.rep, "GET", "/api/leads?limit=5000", nil, nil)

		// A task about the lead.
		var task record
		h.must(http.StatusCreated, h.rep, "POST", "/api/crm-tasks", record{"title": "Send the menu", "relatedType": "lead",
			"relatedId": id, "dueDate": "2026-11-27"}, &task)
		if related := task["related"].(map[string]any); related["firstName"] != "Jane" || task["assignedTo"] != "rep@example.com" ||
			task["priority"] != "medium" || task["status"] != "open" || task["dueDate"] != "2026-11-27T00:00:00Z" {
			t.Fatalf("task = %v", task)
		}
		h.must(http.StatusOK, h.rep, "PATCH", "/api/crm-tasks/"+task["id"].(string), record{"status": "done"}, &task)
		if task["completedAt"] != "2026-11-26T10:00:00Z" {
			t.Fatalf("done task = %v, want completedAt now", task)
		}

		// Deleting: managers only, and not while other records point at the record.
		h.must(http.StatusForbidden, h.rep, "DELETE", "/api/leads/"+id, nil, nil)
		var conflict apiError
		h.must(http.StatusConflict, h.manager, "DELETE", "/api/companies/"+cid, nil, &conflict)
		if conflict.Error != "Acme Diner is still the company of 1 lead; move or delete them first" {
			t.Fatalf("409 error = %q", conflict.Error)
		}
		h.noContent(h.manager, "/api/leads/"+id)
		h.must(http.StatusNotFound, h.rep, "GET", "/api/leads/"+id, nil, nil)
		h.noContent(h.admin, "/api/companies/"+cid)
		h.must(http.StatusUnauthorized, "", "GET", "/api/leads", nil, nil)

		wantEvents := []string{"lead_created", "lead_updated", "lead_deleted"}
		if got := h.eventTypes(id); !slices.Equal(got, wantEvents) {
			t.Fatalf("events of the lead = %v, want %v", got, wantEvents)
		}
	})
}

func TestQualifyingALeadStartsTheNurtureSequenceOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
		var company, lead record
		h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &company)
		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", record{"firstName": "Jane", "lastName": "Doe",
			"email": "jane@acme.example", "companyId": company["id"], "assignedTo": "rep@example.com"}, &lead)
		id := lead["id"].(string)
		h.waitDispatched()
		if n := h.executionsOf(wf).Total; n != 0 {
			t.Fatalf("creating a new lead started %d executions", n)
		}

		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+id, record{"status": "qualified"}, nil)
		runs := h.waitExecutions(wf, 1)
		e := h.get(runs.Items[0]["id"].(string))
		l, _ := e.Variables["lead"].(map[string]any)
		c, _ := l["company"].(map[string]any)
		if l["id"] != id || l["firstName"] != "Jane" || l["status"] != "qualified" || c["name"] != "Acme Diner" || l["assignedTo"] != "rep@example.com" {
			t.Fatalf("variables.lead = %v, want Jane of Acme Diner, qualified, assigned to rep@example.com", l)
		}
		// The welcome mail is rendered from the expanded payload (lead.firstName, lead.company.name).
		e = h.waitLog(e.ID, "welcome_email", workflow.LogCompleted)
		if mails := h.outbox(e.ID); len(mails) != 1 || mails[0].To != "jane@acme.example" ||
			mails[0].Subject != "Welcome to Kitchen Pantry, Jane" || !strings.Contains(mails[0].Body, "Acme Diner") {
			t.Fatalf("outbox = %+v, want the welcome mail to Jane of Acme Diner", mails)
		}

		// Another change while still qualified starts nothing new; neither does qualifying again.
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+id, record{"notes": "called back", "status": "qualified"}, nil)
		h.waitExecutions(wf, 1)
		want := []string{"lead_created", "lead_updated", "lead_qualified", "lead_updated"}
		if got := h.eventTypes(id); !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
	})
}

func TestCreatingAnOpportunityStartsThePipeline(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		wf := h.createWorkflow(examples("opportunity_pipeline.json"))
		var company, contact, opp record
		h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &company)
		h.must(http.StatusCreated, h.rep, "POST", "/api/contacts", record{"firstName": "Sam", "lastName": "Lee",
			"email": "sam@acme.example", "companyId": company["id"]}, &contact)
		h.must(http.StatusCreated, h.manager, "POST", "/api/opportunities", record{"name": "Kitchen refit", "amount": 12500,
			"companyId": company["id"], "contactId": contact["id"], "assignedTo": "rep@example.com"}, &opp)

		runs := h.waitExecutions(wf, 1)
		e := h.waitLog(runs.Items[0]["id"].(string), "initial_research", workflow.LogCompleted)
		o, _ := e.Variables["opportunity"].(map[string]any)
		if ct, _ := o["contact"].(map[string]any); ct["email"] != "sam@acme.example" || o["assignedTo"] != "rep@example.com" {
			t.Fatalf("variables.opportunity = %v, want contact sam@acme.example, assigned to rep@example.com", o)
		}
		var tasks recordList
		h.must(http.StatusOK, h.rep, "GET", "/api/crm-tasks?assignedTo=rep@example.com", nil, &tasks)
		if tasks.Total != 1 || tasks.Items[0]["title"] != "Research prospect company" || tasks.Items[0]["assignedTo"] != "rep@example.com" ||
			tasks.Items[0]["dueDate"] != "2026-11-28T09:00:00Z" || tasks.Items[0]["executionId"] != e.ID || tasks.Items[0]["stepId"] != "initial_research" {
			t.Fatalf("the rep's CRM tasks = %+v, want the research task due in 2 days", tasks)
		}
	})
}

func TestEventFilterThatFailsStartsNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		d := def("Hot lead", setVar("mark", "note", "hot"))
		d["variables"] = append(d["variables"].([]map[string]any), map[string]any{"name": "lead", "type": "object", "required": true})
		wf := h.createWorkflow(withTrigger(d, "event", map[string]any{"event": "lead_created", "filter": "lead.score > 50"}))

		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", record{"firstName": "Cold", "lastName": "Lead", "score": 10}, nil)
		h.waitDispatched()
		time.Sleep(200 * time.Millisecond)
		if n := h.executionsOf(wf).Total; n != 0 {
			t.Fatalf("a lead with score 10 started %d runs of a workflow filtered on lead.score > 50", n)
		}
		delivery, err := h.srv.DB.Triggers().DeliveryOfWorkflow(context.Background(), wf)
		if err != nil || delivery.Status != store.DeliveryFiltered {
			t.Fatalf("delivery = %+v, %v; want it recorded as filtered", delivery, err)
		}
		// The filter is not simply always false.
		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", record{"firstName": "Hot", "lastName": "Lead", "score": 80}, nil)
		h.waitExecutions(wf, 1)
	})
}

func TestWorkflowsCreateAndUpdateRecords(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := start(t, url)
		d := def("Follow up",
			map[string]any{"id": "touch", "name": "Touch the lead", "type": "action", "nextSteps": []string{"todo"},
				"configuration": map[string]any{"action": "update_record", "parameters": map[string]any{
					"entity": "lead", "id": "{{leadId}}", "data": map[string]any{"status": "contacted", "notes": "mailed by {{note}}"}}}},
			map[string]any{"id": "todo", "name": "Make a task", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "create_record", "parameters": map[string]any{
					"entity": "task", "data": map[string]any{"title": "Call {{note}}", "relatedType": "lead", "relatedId": "{{leadId}}",
						"assignedTo": "rep@example.com", "priority": "high"}}}},
		)
		d["variables"] = append(d["variables"].([]map[string]any), map[string]any{"name": "leadId", "type": "string"})
		wf := h.createWorkflow(d)

		var lead record
		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", record{"firstName": "Jane", "lastName": "Doe"}, &lead)
		id := lead["id"].(string)
		run := h.waitStatus(h.startRun(wf, map[string]any{"leadId": id, "note": "Ann"}), "completed")
		var after record
		h.must(http.StatusOK, h.rep, "GET", "/api/leads/"+id, nil, &after)
		if after["status"] != "contacted" || after["notes"] != "mailed by Ann" {
			t.Fatalf("lead after the workflow = %v", after)
		}
		var tasks recordList
		h.must(http.StatusOK, h.rep, "GET", "/api/crm-tasks?relatedId="+id, nil, &tasks)
		if tasks.Total != 1 || tasks.Items[0]["title"] != "Call Ann" || tasks.Items[0]["priority"] != "high" {
			t.Fatalf("tasks about the lead = %+v", tasks)
		}
		out, _ := run.StepOutputs["todo"].(map[string]any)
		if out["entity"] != "task" || out["id"] != tasks.Items[0]["id"] {
			t.Fatalf("create_record output = %v, want the task's id", out)
		}
		ev, err := h.srv.DB.CRM().EventOf(context.Background(), id, "lead_contacted")
		if err != nil || ev.CreatedBy != "workflow "+wf {
			t.Fatalf("lead_contacted event = %+v, %v; want it made by the workflow", ev, err)
		}

		// A record that does not exist fails the step, once, with a message that names it.
		failed := h.waitStatus(h.startRun(wf, map[string]any{"leadId": "no-such-lead", "note": "Ann"}), "failed")
		if failed.FailedStep != "touch" || !strings.HasSuffix(failed.Error, `: update_record: there is no lead with id "no-such-lead"`) ||
			countLog(failed, "touch", workflow.LogFailed) != 1 {
			t.Fatalf("run on a missing lead: failed at %q with %q\n%s", failed.FailedStep, failed.Error, logText(failed))
		}
	})
}

// noContent deletes a record and fails the test unless the answer is 204.
func (h *harness) noContent(token, path string) {
	h.t.Helper()
	if got := h.call(token, "DELETE", path, nil, nil); got != http.StatusNoContent {
		h.t.Fatalf("DELETE %s = %d, want 204", path, got)
	}
}

func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	return mustMarshal(t, a) == mustMarshal(t, b)
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
