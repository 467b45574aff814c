package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The matrix (authz_test.go) checks who may use each route; this checks which rows a rep gets through
// them. Two reps, Ann and Bob, and a manager: Bob walks every GET route of the route table, by token and by
// session, with Ann's ids, and every list with and without filters and searches for Ann's markers, and no
// answer holds one of Ann's markers, while Bob's own rows are all there. Ann and the manager do see Ann's
// data, so the test cannot pass by showing nothing.

const (
	annEmail = "ann@example.com"
	bobEmail = "bob@example.com"
)

// Markers: text only Ann's rows hold (none is an email or a word a page shows anyway).
var annMarkers = map[string]string{
	"answer":      "ZQ-ANN-ANSWER-7f3a",  // what Ann typed into her task in the run Bob works in too
	"answer2":     "ZQ-ANN-ANSWER2-91c2", // what Ann typed into her task in a run of hers alone
	"started":     "ZQ-ANN-STARTED-44b0", // a variable of the run Ann started
	"lead":        "ZQ-ANN-LEAD-0d1e",    // Ann's lead's last name (and so the intake run's variables)
	"company":     "ZQ-ANN-COMPANY-5e6f",
	"contact":     "ZQ-ANN-CONTACT-a8b9",
	"opportunity": "ZQ-ANN-OPPORTUNITY-c3d4",
	"todo":        "ZQ-ANN-TODO-e7f8",
	"nobody":      "ZQ-NOBODY-LEAD-b2c3", // an unassigned lead: a rep sees it no more than another's
}

// rowsBundle is the server with Ann's, Bob's and the manager's data.
type rowsBundle struct {
	h        *harness
	ann, bob string // API tokens
	// Ann's ids, by the collection segment of the paths that take them.
	annIDs []map[string]string
	// Bob's own rows, by API collection ("executions", "tasks", "leads", …): what his lists must hold.
	bobRows map[string][]string
	// The runs: shared (Ann answered, Bob holds the next task), annOnly (Ann's task, answered), started
	// (Ann started it), handed (Ann's task, reassigned to Bob).
	shared, annOnly, started, handed string
	annTask, annLead                 string
}

// reviewDef is a workflow of two tasks: first's answer is copied to summary, then second has a task.
func reviewDef(name string) map[string]any {
	task := func(id, assignee, title string, next ...string) map[string]any {
		return map[string]any{"id": id, "name": title, "type": "human_task", "nextSteps": orEmpty(next),
			"configuration": map[string]any{"assignee": assignee, "title": title, "description": "Look at it closely",
				"formFields": []map[string]any{{"name": "note", "type": "text", "required": true}}}}
	}
	return map[string]any{
		"name": name, "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{{"name": "first", "type": "string"}, {"name": "second", "type": "string"},
			{"name": "note", "type": "string"}, {"name": "summary", "type": "string"}, {"name": "secret", "type": "string"}},
		"steps": []map[string]any{
			task("review", "{{first}}", "Review", "copy"),
			setVar("copy", "summary", "Noted: {{note}}", "check"),
			task("check", "{{second}}", "Check the review"),
		},
	}
}

func rowsSetup(t *testing.T, dbURL string) *rowsBundle {
	t.Helper()
	h := start(t, dbURL)
	ctx := context.Background()
	b := &rowsBundle{h: h, bobRows: map[string][]string{}}
	users := map[string]*auth.Principal{}
	for _, u := range []struct {
		email string
		token *string
	}{{annEmail, &b.ann}, {bobEmail, &b.bob}} {
		p, err := h.srv.App.Auth.CreateUser(ctx, u.email, strings.Split(u.email, "@")[0], auth.RoleRep, "correct horse battery")
		if err != nil {
			t.Fatalf("create %s: %v", u.email, err)
		}
		if *u.token, err = h.srv.App.Auth.CreateToken(ctx, u.email, "test"); err != nil {
			t.Fatal(err)
		}
		users[u.email] = &auth.Principal{ID: p.ID, Email: p.Email, Role: auth.RoleRep}
	}

	// A new lead starts an intake run the manager works: Bob has no part in the run about his own lead.
	intake := h.createWorkflow(map[string]any{
		"name": "Lead intake", "trigger": map[string]any{"type": "event", "configuration": map[string]any{"event": "lead_created"}},
		"variables": []map[string]any{{"name": "lead", "type": "object", "required": true}, {"name": "note", "type": "string"}},
		"steps": []map[string]any{{"id": "intake", "name": "Intake", "type": "human_task", "nextSteps": []string{},
			"configuration": map[string]any{"assignee": "manager@example.com", "title": "Look at {{lead.lastName}}",
				"formFields": []map[string]any{{"name": "note", "type": "text"}}}}},
	})
	review := h.createWorkflow(reviewDef("Review"))

	// shared: Ann answers, the answer is copied, then Bob holds the check.
	b.shared = h.startRun(review, map[string]any{"first": annEmail, "second": bobEmail})
	annShared := h.openTask(b.shared)
	h.must(http.StatusOK, b.ann, "POST", "/api/tasks/"+annShared.ID+"/complete",
		map[string]any{"values": map[string]any{"note": annMarkers["answer"]}}, nil)
	bobShared := h.waitFor(b.shared, "at Bob's check", func(e execution) bool {
		return slices.ContainsFunc(e.Tasks, func(t task) bool { return t.StepID == "check" })
	})
	// annOnly: Ann answers; Bob has no task in it.
	b.annOnly = h.startRun(review, map[string]any{"first": annEmail, "second": "manager@example.com"})
	annOnly := h.openTask(b.annOnly)
	h.must(http.StatusOK, b.ann, "POST", "/api/tasks/"+annOnly.ID+"/complete",
		map[string]any{"values": map[string]any{"note": annMarkers["answer2"]}}, nil)
	h.waitFor(b.annOnly, "at the manager's check", func(e execution) bool { return len(e.Tasks) == 2 })
	b.annTask = annOnly.ID
	// started: Ann started it (when she could: as a manager).
	annAsManager := &app.Actor{ID: users[annEmail].ID, Email: annEmail, Role: auth.RoleManager}
	var err error
	b.started, err = h.srv.App.StartExecution(ctx, annAsManager, review,
		map[string]any{"first": "manager@example.com", "second": "manager@example.com", "secret": annMarkers["started"]},
		engine.StartMeta{TriggerType: workflow.TriggerManual, StartedBy: annEmail})
	if err != nil {
		t.Fatal(err)
	}
	h.openTask(b.started)
	// handed: Ann's task, given to Bob.
	b.handed = h.startRun(review, map[string]any{"first": annEmail, "second": annEmail})
	handedTask := h.openTask(b.handed)
	if err := h.srv.App.ReassignTask(ctx, &app.Actor{Email: "manager@example.com", Role: auth.RoleManager}, handedTask.ID, bobEmail); err != nil {
		t.Fatal(err)
	}

	// The CRM: Ann's records, Bob's, and one nobody's.
	id := func(token, path string, rec record) string {
		t.Helper()
		var out record
		h.must(http.StatusCreated, token, "POST", path, rec, &out)
		return out["id"].(string)
	}
	annCompany := id(b.ann, "/api/companies", record{"name": annMarkers["company"]})
	annContact := id(b.ann, "/api/contacts", record{"firstName": "Cora", "lastName": annMarkers["contact"], "companyId": annCompany})
	b.annLead = id(b.ann, "/api/leads", record{"firstName": "Lou", "lastName": annMarkers["lead"], "companyId": annCompany})
	annOpp := id(b.ann, "/api/opportunities", record{"name": annMarkers["opportunity"], "companyId": annCompany, "contactId": annContact})
	annTodo := id(b.ann, "/api/crm-tasks", record{"title": annMarkers["todo"], "relatedType": "lead", "relatedId": b.annLead})
	nobody := id(h.manager, "/api/leads", record{"firstName": "No", "lastName": annMarkers["nobody"], "assignedTo": nil})
	bobCompany := id(b.bob, "/api/companies", record{"name": "Bob's Bistro"})
	bobContact := id(b.bob, "/api/contacts", record{"firstName": "Bea", "lastName": "Bright", "companyId": bobCompany})
	bobLead := id(b.bob, "/api/leads", record{"firstName": "Ben", "lastName": "Bobson", "companyId": bobCompany})
	b.bobRows = map[string][]string{
		"executions":    {b.shared, b.handed},
		"tasks":         {bobShared.Tasks[len(bobShared.Tasks)-1].ID, handedTask.ID},
		"companies":     {bobCompany},
		"contacts":      {bobContact},
		"leads":         {bobLead},
		"opportunities": {id(b.bob, "/api/opportunities", record{"name": "Bob's deal", "contactId": bobContact})},
		"crm-tasks":     {id(b.bob, "/api/crm-tasks", record{"title": "Call Ben", "relatedType": "lead", "relatedId": bobLead})},
	}
	// The intake runs of Ann's and Bob's leads exist before anyone looks.
	h.waitRunsOf(intake, 3)

	static := map[string]string{"static": "vendor/htmx.org/htmx.min.js", "templates": "lead_nurture_sequence",
		"workflows": review, "versions": "1", "suggestions": "no-such-suggestion"}
	for _, ids := range []map[string]string{
		{"executions": b.annOnly, "runs": b.annOnly, "tasks": annOnly.ID, "leads": b.annLead, "opportunities": annOpp,
			"companies": annCompany, "contacts": annContact, "crm-tasks": annTodo},
		{"executions": b.shared, "runs": b.shared, "tasks": annShared.ID, "leads": nobody, "opportunities": annOpp},
		{"executions": b.started, "runs": b.started, "tasks": annShared.ID, "workflows": intake},
	} {
		for k, v := range static {
			if _, set := ids[k]; !set {
				ids[k] = v
			}
		}
		b.annIDs = append(b.annIDs, ids)
	}
	return b
}

// waitRunsOf waits until a workflow has at least n executions and returns their ids, oldest first.
func (h *harness) waitRunsOf(workflowID string, n int) []string {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ids, err := h.srv.DB.Executions().IDsOfWorkflow(context.Background(), workflowID)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(ids) >= n {
			return ids
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s has %d runs, want %d", workflowID, len(ids), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leaks lists Ann's markers found in the answer to path. A marker the asker searched for (?q=) may come
// back as what they typed: in the search box and the links that keep the search.
func leaks(path string, body []byte) []string {
	var out []string
	text := string(body)
	for _, m := range annMarkers {
		if strings.Contains(path, "q="+url.QueryEscape(m)) {
			text = strings.ReplaceAll(strings.ReplaceAll(text, `value="`+m+`"`, ""), "q="+url.QueryEscape(m), "")
		}
	}
	for name, m := range annMarkers {
		if strings.Contains(text, m) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// bobAsks sends one GET as Bob every way he can: with his token, with his session, with his session from
// htmx; it fails the test when an answer holds one of Ann's markers or is a server error.
func (b *rowsBundle) bobAsks(t *testing.T, bob *pageClient, path string) map[string]answer {
	t.Helper()
	out := map[string]answer{
		"token":   send(t, nil, b.h.http.URL, http.MethodGet, path, nil, map[string]string{"Authorization": "Bearer " + b.bob}),
		"session": bob.send(http.MethodGet, path, nil, nil),
		"htmx":    bob.send(http.MethodGet, path, nil, map[string]string{"HX-Request": "true"}),
	}
	for way, a := range out {
		if found := leaks(path, a.body); len(found) > 0 {
			t.Errorf("GET %s by Bob's %s = %d shows Ann's %v", path, way, a.status, found)
		}
		if a.status >= 500 {
			t.Errorf("GET %s by Bob's %s = %d: %.200s", path, way, a.status, a.body)
		}
	}
	return out
}

// listIDs reads the ids of a JSON list answer and its total.
func listIDs(t *testing.T, a answer) ([]string, int64) {
	t.Helper()
	var l struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	if err := json.Unmarshal(a.body, &l); err != nil {
		t.Fatalf("not a list: %.200s", a.body)
	}
	ids := make([]string, 0, len(l.Items))
	for _, it := range l.Items {
		ids = append(ids, it.ID)
	}
	slices.Sort(ids)
	return ids, l.Total
}

func TestRepReadsOnlyTheirRows(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		b := rowsSetup(t, dbURL)
		h := b.h
		bob := h.session(bobEmail)

		// Every GET route, with each set of Ann's ids.
		walked := 0
		for _, r := range h.srv.Web.Routes() {
			if r.Method != http.MethodGet {
				continue
			}
			for _, ids := range b.annIDs {
				path := fillPath(r.Path, ids)
				got := b.bobAsks(t, bob, path)
				walked++
				// A run, task or record out of Bob's scope is not found, on the API and the pages alike.
				outOfScope := map[string]bool{"api.executions.get": ids["executions"] != b.shared, "executions.page": ids["executions"] != b.shared,
					"api.tasks.get": true, "tasks.page": true, "api.leads.get": true, "crm.leads.page": true, "crm.leads.runs": true,
					"api.opportunities.get": true, "crm.opportunities.page": true, "crm.opportunities.runs": true,
					"api.companies.get": ids["companies"] != "", "api.contacts.get": ids["contacts"] != "", "api.crm-tasks.get": ids["crm-tasks"] != ""}
				if outOfScope[r.Name] {
					way := "session"
					if isAPI(r.Path) {
						way = "token"
					}
					if a := got[way]; a.status != http.StatusNotFound {
						t.Errorf("GET %s (%s) by Bob's %s = %d, want 404", path, r.Name, way, a.status)
					}
				}
			}
		}
		if walked < 3*40 {
			t.Fatalf("walked only %d GET requests: the route table lost its routes?", walked)
		}

		// The run Bob works in: he sees it, with Ann's answer hidden wherever it went.
		var shared execution
		h.must(http.StatusOK, b.bob, "GET", "/api/executions/"+b.shared, nil, &shared)
		hidden := "hidden: answered by " + annEmail
		if shared.Variables["note"] != hidden || shared.Variables["summary"] != hidden || shared.StepOutputs["review"] != hidden ||
			shared.StepOutputs["copy"] != hidden || shared.Variables["first"] != annEmail {
			t.Errorf("Bob sees the shared run's variables %v and outputs %v", shared.Variables, shared.StepOutputs)
		}
		var raw struct {
			Tasks []map[string]any `json:"tasks"`
		}
		h.must(http.StatusOK, b.bob, "GET", "/api/executions/"+b.shared, nil, &raw)
		for _, tk := range raw.Tasks {
			mine := tk["assignee"] == bobEmail
			fields, _ := tk["formFields"].([]any)
			if mine != (tk["hidden"] == nil) || mine != (len(fields) == 1) || !mine && (tk["description"] != "" || tk["values"] != nil) {
				t.Errorf("Bob sees the task %v", tk)
			}
		}
		_, doc := bob.get("/executions/" + b.shared)
		if got := doc.Find("#execution li:contains('Review') .task-hidden").Text(); got != "("+hidden+")" || doc.Find(`#execution a[href^="/tasks/"]`).Length() != 1 {
			t.Errorf("the shared run's page shows Ann's task as %q with %d task links", got, doc.Find(`#execution a[href^="/tasks/"]`).Length())
		}

		// The lists hold Bob's rows, all of them, and only them, whatever the filter or search.
		lists := map[string][]string{
			"executions":    {"", "?status=paused", "?status=completed", "?workflowId=" + b.annIDs[0]["workflows"], "?limit=1000", "?since=2000-01-01T00:00:00Z"},
			"tasks":         {"", "?status=all", "?status=completed", "?assignee=" + annEmail, "?assignee=me", "?executionId=" + b.annOnly, "?executionId=" + b.shared + "&status=all"},
			"leads":         {"", "?assignedTo=" + annEmail, "?assignedTo=none", "?status=new"},
			"contacts":      {"", "?assignedTo=" + annEmail},
			"companies":     {"", "?assignedTo=" + annEmail},
			"opportunities": {"", "?assignedTo=" + annEmail, "?stage=prospecting"},
			"crm-tasks":     {"", "?assignedTo=" + annEmail, "?relatedType=lead&relatedId=" + b.annLead, "?status=open"},
		}
		for collection, queries := range lists {
			for _, m := range annMarkers {
				queries = append(queries, "?q="+url.QueryEscape(m))
			}
			for _, q := range queries {
				a := b.bobAsks(t, bob, "/api/"+collection+q)["token"]
				if a.status != http.StatusOK {
					if collection == "executions" || collection == "tasks" {
						continue // ?q= is no filter of theirs; a wrong value is refused (422)
					}
					t.Errorf("GET /api/%s%s by Bob = %d: %.200s", collection, q, a.status, a.body)
					continue
				}
				ids, total := listIDs(t, a)
				for _, id := range ids {
					if !slices.Contains(b.bobRows[collection], id) {
						t.Errorf("GET /api/%s%s by Bob lists %s, not his", collection, q, id)
					}
				}
				if total != int64(len(ids)) {
					t.Errorf("GET /api/%s%s by Bob: total %d for %d rows of his", collection, q, total, len(ids))
				}
				if q == "" && !slices.Equal(ids, sorted(b.bobRows[collection])) {
					t.Errorf("GET /api/%s by Bob = %v, want his own %v", collection, ids, sorted(b.bobRows[collection]))
				}
			}
		}
		for _, path := range []string{"/inbox", "/inbox?whose=team", "/inbox?whose=" + url.QueryEscape(annEmail), "/inbox?kind=todos",
			"/crm/leads", "/crm/leads?assignedTo=none", "/crm/leads?q=" + url.QueryEscape(annMarkers["lead"]),
			"/crm/opportunities", "/crm/opportunities?q=" + url.QueryEscape(annMarkers["opportunity"]),
			"/crm/leads/new", "/crm/opportunities/new", "/crm/leads/" + b.bobRows["leads"][0], "/crm/leads/" + b.bobRows["leads"][0] + "/runs",
			"/crm/opportunities/" + b.bobRows["opportunities"][0], "/executions/" + b.handed, "/tasks/" + b.bobRows["tasks"][1]} {
			if a := b.bobAsks(t, bob, path)["session"]; a.status != http.StatusOK {
				t.Errorf("GET %s by Bob's session = %d", path, a.status)
			}
		}
		// Bob's lead page lists no run of the intake, which he has no part in.
		_, doc = bob.get("/crm/leads/" + b.bobRows["leads"][0])
		if n := doc.Find("#record-runs li[data-execution]").Length(); n != 0 {
			t.Errorf("Bob's lead page lists %d runs he has no part in", n)
		}
		_, doc = bob.get("/crm/leads")
		if got := rowNames(doc, "#leads"); !slices.Equal(got, []string{"Ben Bobson"}) {
			t.Errorf("Bob's leads page lists %v", got)
		}

		// Ann sees her own: her answers, the run she started, the run she held a task in, her records.
		for run, marker := range map[string]string{b.shared: "answer", b.annOnly: "answer2", b.started: "started"} {
			a := send(t, nil, h.http.URL, "GET", "/api/executions/"+run, nil, map[string]string{"Authorization": "Bearer " + b.ann})
			if a.status != http.StatusOK || !strings.Contains(string(a.body), annMarkers[marker]) {
				t.Errorf("Ann reading her run %s = %d without her %s", run, a.status, marker)
			}
		}
		var annRuns recordList
		h.must(http.StatusOK, b.ann, "GET", "/api/executions", nil, &annRuns)
		var annRunIDs []string
		for _, r := range annRuns.Items {
			annRunIDs = append(annRunIDs, r["id"].(string))
		}
		if want := sorted([]string{b.shared, b.annOnly, b.started, b.handed}); !slices.Equal(sorted(annRunIDs), want) || annRuns.Total != 4 {
			t.Errorf("Ann's runs = %v (total %d), want %v: the ones she started or held a task in", sorted(annRunIDs), annRuns.Total, want)
		}
		ann := h.session(annEmail)
		for path, marker := range map[string]string{"/crm/leads/" + b.annLead: "lead", "/crm/leads": "lead",
			"/executions/" + b.annOnly: "answer2", "/inbox?kind=todos": "todo"} {
			if status, doc := ann.get(path); status != http.StatusOK || !strings.Contains(doc.Text(), annMarkers[marker]) {
				t.Errorf("Ann's %s = %d without her %s", path, status, marker)
			}
		}

		// The manager sees everything.
		var all recordList
		h.must(http.StatusOK, h.manager, "GET", "/api/executions?limit=1000", nil, &all)
		if all.Total != 7 {
			t.Errorf("the manager sees %d runs, want all 7", all.Total)
		}
		for path, marker := range map[string]string{"/api/executions/" + b.shared: "answer", "/api/leads?q=" + annMarkers["nobody"]: "nobody",
			"/api/leads?q=" + annMarkers["lead"]: "lead", "/api/crm-tasks": "todo", "/api/companies": "company"} {
			if a := send(t, nil, h.http.URL, "GET", path, nil, map[string]string{"Authorization": "Bearer " + h.manager}); a.status != http.StatusOK ||
				!strings.Contains(string(a.body), annMarkers[marker]) {
				t.Errorf("the manager's %s = %d without Ann's %s", path, a.status, marker)
			}
		}
	})
}

// TestRepCannotChangeAnotherRepsRecords checks the writes a rep can reach: another's record is not found for
// them, a record they create without an owner is theirs, and a company typed by name is found only among
// their own.
func TestRepCannotChangeAnotherRepsRecords(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		b := rowsSetup(t, dbURL)
		h := b.h
		// Each change would be accepted from the record's owner.
		for _, req := range []struct {
			method, path string
			body         record
		}{
			{"PATCH", "/api/leads/" + b.annLead, record{"notes": "mine now"}},
			{"PATCH", "/api/opportunities/" + b.annIDs[0]["opportunities"], record{"name": "mine now"}},
			{"PATCH", "/api/companies/" + b.annIDs[0]["companies"], record{"name": "mine now"}},
			{"PATCH", "/api/contacts/" + b.annIDs[0]["contacts"], record{"lastName": "mine now"}},
			{"PATCH", "/api/crm-tasks/" + b.annIDs[0]["crm-tasks"], record{"title": "mine now"}},
			{"POST", "/api/tasks/" + b.annTask + "/complete", record{"values": record{"note": "mine now"}}},
		} {
			a := send(t, nil, h.http.URL, req.method, req.path, strings.NewReader(mustJSON(req.body)),
				map[string]string{"Authorization": "Bearer " + b.bob, "Content-Type": "application/json"})
			if a.status != http.StatusNotFound || len(leaks(req.path, a.body)) > 0 {
				t.Errorf("%s %s by Bob = %d %.200s, want 404", req.method, req.path, a.status, a.body)
			}
		}
		bob := h.session(bobEmail)
		_, doc := bob.get("/crm/leads/" + b.bobRows["leads"][0])
		form := formOf(t, doc, "#record-form")
		if status, _ := bob.post("/crm/leads/"+b.annLead, form); status != http.StatusNotFound {
			t.Errorf("Bob saving Ann's lead's form = %d, want 404", status)
		}
		var lead record
		h.must(http.StatusOK, h.manager, "GET", "/api/leads/"+b.annLead, nil, &lead)
		if lead["notes"] != "" || lead["lastName"] != annMarkers["lead"] {
			t.Errorf("Ann's lead after Bob's tries: %v", lead)
		}

		// A rep's record for nobody is theirs; a company typed by name that only Ann has is a new one of Bob's.
		var mine record
		h.must(http.StatusCreated, b.bob, "POST", "/api/leads", record{"firstName": "Nell", "lastName": "New", "assignedTo": nil}, &mine)
		if mine["assignedTo"] != bobEmail {
			t.Errorf("Bob's lead for nobody is assigned to %v, want him", mine["assignedTo"])
		}
		_, doc = bob.get("/crm/leads/new")
		form = formOf(t, doc, "#record-form")
		form.Set("firstName", "Tia")
		form.Set("lastName", "Typed")
		form.Set("assignedTo", "")
		form.Set("newCompany", annMarkers["company"])
		if status, _ := bob.post("/crm/leads", form); status != http.StatusSeeOther {
			t.Fatalf("Bob creating a lead with a typed company = %d", status)
		}
		var companies recordList
		h.must(http.StatusOK, h.manager, "GET", "/api/companies?q="+url.QueryEscape(annMarkers["company"]), nil, &companies)
		owners := map[any]int{}
		for _, c := range companies.Items {
			owners[c["assignedTo"]]++
		}
		if companies.Total != 2 || owners[annEmail] != 1 || owners[bobEmail] != 1 {
			t.Errorf("companies named like Ann's after Bob typed the name: %v", companies.Items)
		}
		var typed recordList
		h.must(http.StatusOK, b.bob, "GET", "/api/leads?q=tia", nil, &typed)
		if typed.Total != 1 || typed.Items[0]["assignedTo"] != bobEmail {
			t.Fatalf("Bob's typed lead: %v", typed.Items)
		}
		if c, _ := typed.Items[0]["company"].(map[string]any); c["id"] == b.annIDs[0]["companies"] {
			t.Error("Bob's lead was linked to Ann's company by its name")
		}
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
