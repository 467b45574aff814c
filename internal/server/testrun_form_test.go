package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The designer's Test run form is drawn by the server from the saved version's variables, as the Run page
// draws them; a submission with a problem comes back as the form with the problem under its field and no
// run started, a good one starts a test run of that version.
func TestDesignerTestRunFormIsTheServersRunForm(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	d := def("Test me", setVar("a", "note", "{{ lead.email }}"))
	d["variables"] = []map[string]any{
		{"name": "lead", "type": "object", "required": true, "description": "The lead to try it on"},
		{"name": "score", "type": "number"}, {"name": "vip", "type": "boolean"}, {"name": "note", "type": "string"},
	}
	wf := h.createWorkflow(d)
	m := h.session("manager@example.com")
	m.get("/workflows/" + wf + "/designer")

	status, doc := m.get("/workflows/" + wf + "/designer/run-form?version=1")
	form := doc.Find("form#test-run-form")
	if status != http.StatusOK || form.Length() != 1 {
		t.Fatalf("the run form: %d, %d forms", status, form.Length())
	}
	if got := form.AttrOr("action", ""); got != "/workflows/"+wf+"/designer/test?version=1" {
		t.Errorf("the form posts to %q", got)
	}
	for sel, what := range map[string]string{
		`textarea#f-lead[name="lead"]`:             "the object variable as a JSON textarea",
		`select#f-pick-lead[name="pick.lead"]`:     "a lead variable's picker of leads from the CRM",
		`input#f-score[type="number"][step="any"]`: "the number variable as a number input",
		`input#f-vip[type="checkbox"]`:             "the boolean variable as a checkbox",
		`#f-lead-help`:                             "the variable's description as help",
		`input[name="_csrf"]`:                      "the CSRF token",
		`#test-run-start`:                          "the start button",
	} {
		if form.Find(sel).Length() != 1 {
			t.Errorf("the form lacks %s (%s)", what, sel)
		}
	}
	if !strings.Contains(form.Find("#f-lead-help").Text(), "The lead to try it on") {
		t.Errorf("help %q", form.Find("#f-lead-help").Text())
	}

	// A problem: the form again, the problem under its field, nothing started.
	status, doc = m.htmx("POST", "/workflows/"+wf+"/designer/test?version=1", url.Values{"lead": {`{"email": }`}, "score": {"ten"}})
	if status != http.StatusUnprocessableEntity || doc == nil {
		t.Fatalf("a bad submission: %d (html %v)", status, doc != nil)
	}
	if got := doc.Find("#f-lead-error").Text(); !strings.Contains(got, "is not valid JSON at position 11") {
		t.Errorf("the lead's problem: %q", got)
	}
	if got := doc.Find("#f-score-error").Text(); !strings.Contains(got, `must be a number, not "ten"`) {
		t.Errorf("the score's problem: %q", got)
	}
	if doc.Find(`#f-lead[aria-invalid="true"]`).Length() != 1 || doc.Find(`textarea#f-lead`).Text() != `{"email": }` {
		t.Errorf("the lead field should keep its text and be marked invalid")
	}
	if doc.Find(".test-run-error[hidden]").Length() != 0 || !strings.Contains(doc.Find(".test-run-error").Text(), "nothing was started") {
		t.Errorf("the summary: %q", doc.Find(".test-run-error").Text())
	}
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	h.must(http.StatusOK, h.manager, "GET", "/api/executions", nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("a bad submission started %d runs", len(list.Items))
	}

	// A good one: the test run's id, and the run has the typed variables.
	req, _ := http.NewRequest("POST", h.http.URL+"/workflows/"+wf+"/designer/test?version=1",
		strings.NewReader(url.Values{"lead": {`{"email": "ana@bistro.example"}`}, "score": {"42"}, "vip": {"on"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", m.csrf)
	req.Header.Set("Accept", "application/json")
	res, err := m.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var started struct{ ExecutionID string }
	if err := json.NewDecoder(res.Body).Decode(&started); err != nil || res.StatusCode != http.StatusOK || started.ExecutionID == "" {
		t.Fatalf("a good submission: %d %v %+v", res.StatusCode, err, started)
	}
	e := h.waitStatus(started.ExecutionID, "completed")
	if e.Variables["note"] != "ana@bistro.example" || e.Variables["score"] != 42.0 || e.Variables["vip"] != true {
		t.Fatalf("the test run's variables: %v", e.Variables)
	}
}

// A workflow started by a lead's event is tried on a lead picked from the CRM, not written as JSON: the Test
// run form offers the latest leads by name, and the run gets the picked lead as its event would give it.
func TestDesignerTestRunPicksTheRecordFromTheCRM(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(withTrigger(def("Greet qualified leads", setVar("a", "note", "{{ lead.email }}")), "event",
		map[string]any{"event": "lead_qualified"}))
	lead := h.createLead(h.manager, record{"firstName": "Ana", "lastName": "Lopez", "email": "ana@bistro.example", "assignedTo": "rep@example.com"})
	m := h.session("manager@example.com")
	m.get("/workflows/" + wf + "/designer")

	_, doc := m.get("/workflows/" + wf + "/designer/run-form?version=1")
	option := doc.Find(`select[name="pick.lead"] option[value="lead:` + lead + `"]`)
	if option.Length() != 1 || !strings.Contains(option.Text(), "Ana Lopez") {
		t.Fatalf("the form offers no Ana Lopez to pick: %q", doc.Find(`select[name="pick.lead"]`).Text())
	}

	// A lead that is gone: said under the picker, nothing started.
	status, doc := m.htmx("POST", "/workflows/"+wf+"/designer/test?version=1", url.Values{"pick.lead": {"lead:no-such-lead"}, "lead": {""}})
	if status != http.StatusUnprocessableEntity || doc == nil || !strings.Contains(doc.Find("#f-pick-lead-error").Text(), "not in the CRM") {
		t.Fatalf("a lead that is gone: %d", status)
	}

	status, _ = m.htmx("POST", "/workflows/"+wf+"/designer/test?version=1", url.Values{"pick.lead": {"lead:" + lead}, "lead": {""}})
	if status != http.StatusOK {
		t.Fatalf("picked: %d", status)
	}
	var runs struct{ Items []struct{ ID string } }
	h.must(http.StatusOK, h.manager, "GET", "/api/executions?test=only&workflowId="+wf, nil, &runs)
	if len(runs.Items) != 1 {
		t.Fatalf("%d test runs, want 1", len(runs.Items))
	}
	e := h.waitStatus(runs.Items[0].ID, "completed")
	if e.Variables["note"] != "ana@bistro.example" {
		t.Fatalf("the run read lead.email as %v, want the picked lead's", e.Variables["note"])
	}
}

// The Run page of a manual workflow about a lead picks the lead from the CRM too; a required lead neither
// picked nor written is a problem under its field, and nothing starts.
func TestRunPagePicksTheRecordFromTheCRM(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	d := def("Greet a lead", setVar("a", "note", "{{ lead.email }}"))
	d["variables"] = []map[string]any{{"name": "lead", "type": "object", "required": true}, {"name": "note", "type": "string"}}
	wf := h.createWorkflow(d)
	lead := h.createLead(h.manager, record{"firstName": "Ana", "lastName": "Lopez", "email": "ana@bistro.example", "assignedTo": "rep@example.com"})
	m := h.session("manager@example.com")

	_, doc := m.get("/workflows/" + wf + "/run")
	if option := doc.Find(`select[name="pick.lead"] option[value="lead:` + lead + `"]`); option.Length() != 1 || !strings.Contains(option.Text(), "Ana Lopez") {
		t.Fatalf("the Run page offers no Ana Lopez to pick: %q", doc.Find(`select[name="pick.lead"]`).Text())
	}
	status, doc := m.post("/workflows/"+wf+"/run", url.Values{"pick.lead": {""}, "lead": {""}})
	if status != http.StatusUnprocessableEntity || doc == nil || doc.Find("#f-lead-error").Text() == "" {
		t.Fatalf("no lead at all: %d", status)
	}
	status, _ = m.post("/workflows/"+wf+"/run", url.Values{"pick.lead": {"lead:" + lead}, "lead": {""}})
	if status != http.StatusSeeOther {
		t.Fatalf("a picked lead: %d", status)
	}
	var runs struct{ Items []struct{ ID string } }
	h.must(http.StatusOK, h.manager, "GET", "/api/executions?workflowId="+wf, nil, &runs)
	if len(runs.Items) != 1 {
		t.Fatalf("%d runs, want 1", len(runs.Items))
	}
	if e := h.waitStatus(runs.Items[0].ID, "completed"); e.Variables["note"] != "ana@bistro.example" {
		t.Fatalf("the run read lead.email as %v, want the picked lead's", e.Variables["note"])
	}
}
