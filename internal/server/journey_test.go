package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type journeyEntry struct {
	ID, Kind, Title, Detail, By, ExecutionID, Field, UndoneBy string
	Before, After                                             any
	Undoable                                                  bool
}

func (h *harness) journey(token, leadID string) []journeyEntry {
	h.t.Helper()
	var out struct{ Items []journeyEntry }
	h.must(http.StatusOK, token, "GET", "/api/leads/"+leadID+"/journey", nil, &out)
	return out.Items
}

// markContacted is a manual workflow about a lead whose one step marks it contacted (update_record).
func markContacted() map[string]any {
	d := def("Mark contacted", map[string]any{"id": "mark", "name": "Mark the lead contacted", "type": "action", "nextSteps": []string{},
		"configuration": map[string]any{"action": "update_record", "parameters": map[string]any{
			"entity": "lead", "id": "{{ lead.id }}", "data": map[string]any{"status": "contacted"}}}})
	d["variables"] = append(d["variables"].([]map[string]any), map[string]any{"name": "lead", "type": "object"})
	return d
}

func fieldChange(entries []journeyEntry, field string) *journeyEntry {
	for i := range entries {
		if entries[i].Kind == "field" && entries[i].Field == field {
			return &entries[i]
		}
	}
	return nil
}

// A workflow marks a lead contacted: the lead's journey shows the run, its step and the field's change with
// the value before; a manager undoes it and the lead is new again, once. When a person changed the field
// after the workflow did, the undo is refused and says who.
func TestUndoAWorkflowsChangeOfALead(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		wf := h.createWorkflow(markContacted())
		startOn := func(id string) string {
			var lead record
			h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+id, nil, &lead)
			run := h.startRun(wf, map[string]any{"lead": map[string]any(lead)})
			h.waitStatus(run, "completed")
			return run
		}

		ana := h.createLead(h.rep, record{"firstName": "Ana", "lastName": "Lopez", "assignedTo": "rep@example.com"})
		run := startOn(ana)
		entries := h.journey(h.manager, ana)
		c := fieldChange(entries, "status")
		if c == nil || c.Before != "new" || c.After != "contacted" || c.ExecutionID != run || !c.Undoable || c.By != "workflow "+wf {
			t.Fatalf("the journey's status change is %+v in %+v", c, entries)
		}
		kinds := map[string]bool{}
		for _, e := range entries {
			kinds[e.Kind] = true
		}
		if !kinds["run"] || !kinds["step"] {
			t.Fatalf("the journey lacks the run or its step: %+v", entries)
		}
		if got := h.journey(h.rep, ana); fieldChange(got, "status") == nil || fieldChange(got, "status").Undoable {
			t.Fatalf("a rep's journey: %+v", got)
		}
		h.must(http.StatusForbidden, h.rep, "POST", "/api/journey/"+c.ID+"/undo", nil, nil)
		h.must(http.StatusOK, h.manager, "POST", "/api/journey/"+c.ID+"/undo", nil, nil)
		var lead record
		h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+ana, nil, &lead)
		if lead["status"] != "new" {
			t.Fatalf("after the undo the lead is %v", lead["status"])
		}
		if again := fieldChange(h.journey(h.manager, ana), "status"); again == nil || again.By != "manager@example.com" || again.After != "new" {
			t.Fatalf("the undo is not in the journey: %+v", again)
		}
		var problem struct{ Error string }
		h.must(http.StatusConflict, h.manager, "POST", "/api/journey/"+c.ID+"/undo", nil, &problem)
		if !strings.Contains(problem.Error, "undone already, by manager@example.com") {
			t.Fatalf("a second undo says %q", problem.Error)
		}

		// A person changed the field after the workflow: undo refused, naming them.
		bo := h.createLead(h.rep, record{"firstName": "Bo", "lastName": "Diaz", "assignedTo": "rep@example.com"})
		startOn(bo)
		c = fieldChange(h.journey(h.manager, bo), "status")
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+bo, record{"status": "qualified"}, nil)
		h.must(http.StatusConflict, h.manager, "POST", "/api/journey/"+c.ID+"/undo", nil, &problem)
		if !strings.Contains(problem.Error, "rep@example.com changed status since") {
			t.Fatalf("the refused undo says %q", problem.Error)
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+bo, nil, &lead)
		if lead["status"] != "qualified" {
			t.Fatalf("a refused undo changed the lead to %v", lead["status"])
		}
		h.must(http.StatusNotFound, h.manager, "POST", "/api/journey/run:"+run+"/undo", nil, nil)
	})
}

// The lead's page shows its journey with Undo on the workflow's change, for a manager; Undo sets the field
// back and says so; a rep sees the journey without Undo.
func TestTheJourneyOnALeadsPage(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(markContacted())
	id := h.createLead(h.rep, record{"firstName": "Ana", "lastName": "Lopez", "assignedTo": "rep@example.com"})
	var lead record
	h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+id, nil, &lead)
	h.waitStatus(h.startRun(wf, map[string]any{"lead": map[string]any(lead)}), "completed")

	_, repPage := h.session("rep@example.com").get("/crm/leads/" + id)
	if got := squash(repPage.Find("#record-journey .journey-entry.field")); !strings.Contains(got, "status new → contacted") {
		t.Fatalf("the rep's journey shows %q", got)
	}
	if repPage.Find("#record-journey .journey-undo").Length() != 0 {
		t.Fatal("a rep is offered Undo")
	}
	manager := h.session("manager@example.com")
	_, page := manager.get("/crm/leads/" + id)
	entry := page.Find("#record-journey .journey-entry.field")
	action, _ := entry.Find("form.journey-undo").Attr("action")
	if entry.Length() != 1 || action == "" {
		t.Fatalf("the manager's journey: %q", squash(page.Find("#record-journey")))
	}
	if status, _ := manager.post(action, url.Values{"back": {"/crm/leads/" + id}}); status != http.StatusSeeOther {
		t.Fatalf("undo answered %d", status)
	}
	_, after := manager.get("/crm/leads/" + id)
	if !strings.Contains(squash(after.Find(".flash")), "Undone: status is new again.") {
		t.Fatalf("after the undo the page says %q", squash(after.Find(".flash")))
	}
	if got := squash(after.Find("#record-status")); got != "new" {
		t.Fatalf("after the undo the lead is %q", got)
	}
	if status, _ := manager.post(action, url.Values{"back": {"/crm/leads/" + id}}); status != http.StatusSeeOther {
		t.Fatalf("a second undo answered %d", status)
	}
	if _, again := manager.get("/crm/leads/" + id); !strings.Contains(squash(again.Find(".flash")), "Not undone: this change of status was undone already") {
		t.Fatalf("a second undo says %q", squash(again.Find(".flash")))
	}
}
