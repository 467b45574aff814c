package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// formOf reads a form as a browser would submit it: every input, select and textarea with its current value.
func formOf(t *testing.T, doc *goquery.Document, sel string) url.Values {
	t.Helper()
	form := doc.Find(sel)
	if form.Length() == 0 {
		t.Fatalf("no form %s on the page", sel)
	}
	out := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if name == "" {
			return
		}
		switch goquery.NodeName(s) {
		case "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			v, _ := opt.Attr("value")
			out.Set(name, v)
		case "textarea":
			out.Set(name, s.Text())
		default:
			if typ, _ := s.Attr("type"); typ == "checkbox" {
				if _, checked := s.Attr("checked"); !checked {
					return
				}
			}
			v, _ := s.Attr("value")
			out.Set(name, v)
		}
	})
	return out
}

// rowNames lists the first cell's text of each row of a table.
func rowNames(doc *goquery.Document, table string) []string {
	var out []string
	doc.Find(table + " tbody tr").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Find("td").First().Text()))
	})
	return out
}

// fieldError is the message shown next to a form's field, "" when there is none.
func fieldError(doc *goquery.Document, name string) string {
	return strings.TrimSpace(doc.Find("#f-" + name).Closest(".field").Find(".field-error").Text())
}

func (h *harness) createLead(by string, fields record) string {
	h.t.Helper()
	var out record
	h.must(http.StatusCreated, by, "POST", "/api/leads", fields, &out)
	return out["id"].(string)
}

func TestLeadListFiltersAndPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		var acme record
		h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &acme)
		for _, l := range []record{
			{"firstName": "Ann", "lastName": "Able", "status": "new", "assignedTo": "rep@example.com", "companyId": acme["id"]},
			{"firstName": "Ben", "lastName": "Baker", "status": "qualified", "assignedTo": "rep@example.com", "score": 80},
			{"firstName": "Cy", "lastName": "Cook", "status": "qualified", "assignedTo": "manager@example.com"},
			{"firstName": "Di", "lastName": "Dunn", "status": "contacted", "assignedTo": "", "email": "di@dunn.example"},
			{"firstName": "Ed", "lastName": "Eve", "status": "unqualified", "assignedTo": "manager@example.com"},
		} {
			// The manager creates them: a lead a rep creates for nobody is the rep's.
			h.createLead(h.manager, l)
		}
		// A rep lists only their own leads; the manager lists everyone's, so the owner filters are theirs.
		rep, team := h.session("rep@example.com"), h.session("manager@example.com")
		for _, tc := range []struct {
			who   *pageClient
			query string
			want  []string // newest first
		}{
			{team, "", []string{"Ed Eve", "Di Dunn", "Cy Cook", "Ben Baker", "Ann Able"}},
			{rep, "", []string{"Ben Baker", "Ann Able"}},
			{team, "?status=qualified", []string{"Cy Cook", "Ben Baker"}},
			{rep, "?assignedTo=me", []string{"Ben Baker", "Ann Able"}},
			{team, "?assignedTo=manager%40example.com", []string{"Ed Eve", "Cy Cook"}},
			{rep, "?assignedTo=manager%40example.com", nil},
			{team, "?assignedTo=none", []string{"Di Dunn"}},
			{rep, "?status=qualified&assignedTo=me", []string{"Ben Baker"}},
			{team, "?q=DUNN", []string{"Di Dunn"}},
			{team, "?q=di%40dunn", []string{"Di Dunn"}},
			{rep, "?q=di%40dunn", nil},
		} {
			status, doc := tc.who.get("/crm/leads" + tc.query)
			if status != http.StatusOK {
				t.Fatalf("GET /crm/leads%s = %d", tc.query, status)
			}
			if got := rowNames(doc, "#leads"); !slices.Equal(got, tc.want) {
				t.Errorf("/crm/leads%s lists %v, want %v", tc.query, got, tc.want)
			}
		}

		// The columns say what a rep needs, and phones get a label on every cell.
		_, doc := rep.get("/crm/leads?q=ann")
		row := doc.Find("#leads tbody tr").First()
		cells := map[string]string{}
		row.Find("td").Each(func(_ int, s *goquery.Selection) {
			label, ok := s.Attr("data-label")
			if !ok {
				t.Errorf("a cell has no data-label: %q", s.Text())
			}
			cells[label] = strings.TrimSpace(s.Text())
		})
		if cells["Company"] != "Acme Diner" || cells["Status"] != "new" || cells["Score"] != "0" || cells["Assigned to"] != "rep (rep@example.com)" {
			t.Errorf("Ann's row = %v", cells)
		}
		if href, _ := row.Find("a").Attr("href"); !strings.HasPrefix(href, "/crm/leads/") {
			t.Errorf("the name links to %q, want the lead's page", href)
		}

		// Pages of two, with the filter kept.
		_, doc = team.get("/crm/leads?limit=2")
		if got := rowNames(doc, "#leads"); !slices.Equal(got, []string{"Ed Eve", "Di Dunn"}) {
			t.Fatalf("first page = %v", got)
		}
		next, ok := doc.Find(".pager a").Last().Attr("href")
		if !ok || !strings.Contains(next, "offset=2") || !strings.Contains(next, "limit=2") {
			t.Fatalf("the pager links to %q", next)
		}
		_, doc = team.get(next)
		if got := rowNames(doc, "#leads"); !slices.Equal(got, []string{"Cy Cook", "Ben Baker"}) {
			t.Fatalf("second page = %v", got)
		}
		if pager := doc.Find(".pager").Text(); !strings.Contains(pager, "3–4 of 5") {
			t.Fatalf("pager says %q", pager)
		}

		// Nothing found says what to do about it; a wrong filter is explained.
		_, doc = rep.get("/crm/leads?q=nobody-like-this")
		if msg := doc.Find("#records .empty").Text(); !strings.Contains(msg, "No leads match these filters") || doc.Find("#records .empty a").Length() != 1 {
			t.Fatalf("empty result says %q", msg)
		}
		if status, doc := rep.get("/crm/leads?assignedTo=ghost%40example.com"); status != http.StatusUnprocessableEntity ||
			!strings.Contains(doc.Find("main").Text(), "not a Pantryflow user") {
			t.Fatalf("filtering by a stranger = %d", status)
		}
	})
}

func TestNewLeadFormShowsProblemsInlineThenCreates(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		rep := h.session("rep@example.com")
		status, doc := rep.get("/crm/leads/new")
		if status != http.StatusOK {
			t.Fatalf("GET /crm/leads/new = %d", status)
		}
		form := formOf(t, doc, "#record-form")
		if form.Get("assignedTo") != "rep@example.com" {
			t.Fatalf("a new lead is assigned to %q by default, want the rep", form.Get("assignedTo"))
		}
		for _, name := range []string{"firstName", "lastName", "email", "phone", "companyId", "newCompany", "source", "score", "assignedTo", "notes"} {
			if doc.Find("#f-"+name).Length() != 1 {
				t.Errorf("the new-lead form has no %s field", name)
			}
		}

		form.Set("firstName", "Jane")
		form.Set("email", "jane-at-acme")
		form.Set("score", "150")
		form.Set("newCompany", "Acme Diner")
		form.Set("notes", "met at the <b>trade show</b>")
		status, doc = rep.post("/crm/leads", form)
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("a lead without a last name = %d, want 422", status)
		}
		for name, want := range map[string]string{"lastName": "The last name is required", "email": "is not an email address", "score": "from 0 to 100"} {
			if got := fieldError(doc, name); !strings.Contains(got, want) {
				t.Errorf("the error next to %s is %q, want %q", name, got, want)
			}
		}
		if got := fieldError(doc, "firstName"); got != "" {
			t.Errorf("firstName shows an error %q", got)
		}
		kept := formOf(t, doc, "#record-form")
		for _, name := range []string{"firstName", "email", "score", "newCompany", "notes", "assignedTo"} {
			if kept.Get(name) != form.Get(name) {
				t.Errorf("after the error %s = %q, want what was typed: %q", name, kept.Get(name), form.Get(name))
			}
		}
		if summary := doc.Find("#record-form .error").Text(); !strings.Contains(summary, "3 fields") {
			t.Errorf("summary = %q", summary)
		}
		var companies recordList
		h.must(http.StatusOK, h.rep, "GET", "/api/companies", nil, &companies)
		if companies.Total != 0 {
			t.Fatalf("a lead that was not saved left %d companies behind", companies.Total)
		}

		kept.Set("lastName", "Doe")
		kept.Set("email", "jane@acme.example")
		kept.Set("score", "60")
		status, _ = rep.post("/crm/leads", kept)
		if status != http.StatusSeeOther {
			t.Fatalf("a valid lead = %d, want a redirect to its page", status)
		}
		var leads recordList
		h.must(http.StatusOK, h.rep, "GET", "/api/leads", nil, &leads)
		if leads.Total != 1 {
			t.Fatalf("%d leads", leads.Total)
		}
		l := leads.Items[0]
		company, _ := l["company"].(map[string]any)
		if l["firstName"] != "Jane" || l["email"] != "jane@acme.example" || l["score"] != float64(60) || l["assignedTo"] != "rep@example.com" ||
			l["status"] != "new" || company["name"] != "Acme Diner" || l["notes"] != "met at the <b>trade show</b>" {
			t.Fatalf("created %v", l)
		}
		status, doc = rep.get("/crm/leads/" + l["id"].(string))
		if status != http.StatusOK || !strings.Contains(doc.Find(".flash").Text(), "Lead created") || doc.Find("#f-notes").Text() != "met at the <b>trade show</b>" {
			t.Fatalf("the new lead's page = %d, flash %q", status, doc.Find(".flash").Text())
		}

		// Typing the name of a company that exists picks it instead of adding a twin.
		_, doc = rep.get("/crm/leads/new")
		again := formOf(t, doc, "#record-form")
		again.Set("firstName", "John")
		again.Set("lastName", "Roe")
		again.Set("newCompany", "acme diner")
		if status, _ := rep.post("/crm/leads", again); status != http.StatusSeeOther {
			t.Fatalf("second lead = %d", status)
		}
		h.must(http.StatusOK, h.rep, "GET", "/api/companies", nil, &companies)
		if companies.Total != 1 {
			t.Fatalf("%d companies, want Acme Diner once", companies.Total)
		}
		// The company is now in the list to pick from.
		_, doc = rep.get("/crm/leads/new")
		if opt := doc.Find("#f-companyId option").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "Acme Diner" }); opt.Length() != 1 {
			t.Fatal("Acme Diner is not offered in the company list")
		}
	})
}

func TestEditingALeadSavesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		id := h.createLead(h.rep, record{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example",
			"lastInteraction": "2026-11-25T08:30:00Z"})
		rep := h.session("rep@example.com")
		for _, tc := range []struct {
			name       string
			change     map[string]string
			status     int
			flash      string
			wantEvents []string // the events the save adds
			errField   string
		}{
			{"nothing changed", nil, http.StatusSeeOther, "Nothing to save", nil, ""},
			{"the same time with seconds", map[string]string{"lastInteraction": "2026-11-25T08:30:00"}, http.StatusSeeOther, "Nothing to save", nil, ""},
			{"phone and status", map[string]string{"phone": "+1 555 0100", "status": "contacted"}, http.StatusSeeOther,
				"status is now contacted", []string{"lead_updated", "lead_contacted"}, ""},
			{"a bad score", map[string]string{"score": "a lot"}, http.StatusUnprocessableEntity, "", nil, "score"},
			{"title only", map[string]string{"title": "Owner"}, http.StatusSeeOther, "Saved.", []string{"lead_updated"}, ""},
		} {
			before := h.eventTypes(id)
			_, doc := rep.get("/crm/leads/" + id)
			form := formOf(t, doc, "#record-form")
			for k, v := range tc.change {
				form.Set(k, v)
			}
			status, doc := rep.post("/crm/leads/"+id, form)
			if status != tc.status {
				t.Fatalf("%s: save = %d, want %d", tc.name, status, tc.status)
			}
			if tc.errField != "" {
				if fieldError(doc, tc.errField) == "" || formOf(t, doc, "#record-form").Get(tc.errField) != tc.change[tc.errField] {
					t.Fatalf("%s: no error next to %s, or the typed value is lost", tc.name, tc.errField)
				}
			} else {
				_, doc = rep.get("/crm/leads/" + id)
				if flash := doc.Find(".flash").Text(); !strings.Contains(flash, tc.flash) {
					t.Fatalf("%s: flash %q, want %q", tc.name, flash, tc.flash)
				}
			}
			if added := h.eventTypes(id)[len(before):]; !slices.Equal(added, tc.wantEvents) {
				t.Fatalf("%s: the save recorded %v, want %v", tc.name, added, tc.wantEvents)
			}
		}
		var l record
		h.must(http.StatusOK, h.rep, "GET", "/api/leads/"+id, nil, &l)
		if l["phone"] != "+1 555 0100" || l["status"] != "contacted" || l["title"] != "Owner" || l["score"] != float64(0) ||
			l["lastInteraction"] != "2026-11-25T08:30:00Z" {
			t.Fatalf("the lead is %v", l)
		}
		_, doc := rep.get("/crm/leads/" + id)
		var history []string
		doc.Find("#record-history li .what").Each(func(_ int, s *goquery.Selection) { history = append(history, s.Text()) })
		// The update that goes with a status change is not listed twice.
		if want := []string{"Details changed", "Status set to contacted", "Created"}; !slices.Equal(history, want) {
			t.Fatalf("the history lists %q, want %q", history, want)
		}
		if status, _ := rep.get("/crm/leads/no-such-lead"); status != http.StatusNotFound {
			t.Fatalf("a missing lead = %d", status)
		}
	})
}

// waitRuns polls a record's "workflows started" panel the way the page does until it lists n runs.
func waitRuns(t *testing.T, c *pageClient, path string, n int) *goquery.Document {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, doc := c.htmx("GET", path+"/runs", nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s/runs = %d", path, status)
		}
		if doc.Find("#record-runs li[data-execution]").Length() >= n {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("the panel still says %q", strings.Join(strings.Fields(doc.Find("#record-runs").Text()), " "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestQualifyingALeadOnItsPageShowsTheRunItStarted(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
		// Jane was in touch an hour from now, so three days on the sequence asks her rep to schedule a call.
		id := h.createLead(h.rep, record{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example",
			"lastInteraction": t0.Add(time.Hour).Format(time.RFC3339)})
		h.waitDispatched()
		rep := h.session("rep@example.com")
		_, doc := rep.get("/crm/leads/" + id)
		if msg := doc.Find("#record-runs .empty").Text(); !strings.Contains(msg, "None yet") {
			t.Fatalf("before qualifying the panel says %q", msg)
		}
		form := formOf(t, doc, "#record-form")
		form.Set("status", "qualified")
		if status, _ := rep.post("/crm/leads/"+id, form); status != http.StatusSeeOther {
			t.Fatalf("qualify = %d", status)
		}
		_, doc = rep.get("/crm/leads/" + id)
		if flash := doc.Find(".flash").Text(); !strings.Contains(flash, "Lead qualified") {
			t.Fatalf("flash %q", flash)
		}
		if trigger, _ := doc.Find("#record-runs").Attr("hx-trigger"); trigger != "every 2s" {
			t.Fatalf("right after the change the panel refreshes on %q, want every 2s", trigger)
		}
		if got := doc.Find("#record-status").Text(); got != "qualified" {
			t.Fatalf("status badge %q", got)
		}

		// The run the change started is not the rep's while they neither started it nor hold a task in it:
		// the manager sees it, the rep does not. When it gives them the call to schedule, it is theirs.
		started := h.waitRunsOf(wf, 1)[0]
		h.waitFor(started, "waiting three days", func(e execution) bool { return e.WaitingUntil != nil })
		if _, doc := rep.htmx("GET", "/crm/leads/"+id+"/runs", nil); doc.Find("#record-runs li[data-execution]").Length() != 0 {
			t.Fatal("the rep's panel lists a run they have no part in")
		}
		if status, _ := rep.get("/executions/" + started); status != http.StatusNotFound {
			t.Fatalf("the rep opening a run they have no part in = %d, want 404", status)
		}
		if doc := waitRuns(t, h.session("manager@example.com"), "/crm/leads/"+id, 1); doc.Find("#record-runs li[data-execution]").Length() != 1 {
			t.Fatal("the manager's panel does not list the run")
		}
		h.clock.Advance(72*time.Hour + time.Minute)
		if tk := h.openTask(started); tk.Assignee != "rep@example.com" {
			t.Fatalf("the call to schedule went to %s", tk.Assignee)
		}
		rep = h.session("rep@example.com") // three days on, the rep signs in again

		doc = waitRuns(t, rep, "/crm/leads/"+id, 1)
		run := doc.Find("#record-runs li[data-execution]")
		execID, _ := run.Attr("data-execution")
		href, _ := run.Find("a").Attr("href")
		if run.Find("a").Text() != "Lead Nurturing Sequence" || href != "/executions/"+execID || run.Find(".badge").Length() != 1 ||
			!strings.Contains(run.Text(), "status set to qualified") {
			t.Fatalf("the run is shown as %q linking to %q", strings.Join(strings.Fields(run.Text()), " "), href)
		}
		e := h.get(execID)
		if l, _ := e.Variables["lead"].(map[string]any); e.WorkflowID != wf || l["id"] != id {
			t.Fatalf("the listed run is of %s for lead %v", e.WorkflowID, l["id"])
		}
		// The rep can follow the link.
		if status, _ := rep.get(href); status != http.StatusOK {
			t.Fatalf("the rep opening the run = %d", status)
		}
		// Half a minute later the panel stops refreshing itself.
		h.clock.Advance(31 * time.Second)
		_, doc = rep.htmx("GET", "/crm/leads/"+id+"/runs", nil)
		if _, polling := doc.Find("#record-runs").Attr("hx-get"); polling || doc.Find("#record-runs li[data-execution]").Length() != 1 {
			t.Fatal("the panel still refreshes 31 s after the change, or lost its run")
		}
	})
}

func TestOpportunityPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		h.createWorkflow(examples("opportunity_pipeline.json"))
		var acme, sam record
		h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &acme)
		h.must(http.StatusCreated, h.rep, "POST", "/api/contacts", record{"firstName": "Sam", "lastName": "Lee", "email": "sam@acme.example"}, &sam)
		for i, stage := range []string{"prospecting", "proposal", "won"} {
			h.must(http.StatusCreated, h.manager, "POST", "/api/opportunities", record{"name": fmt.Sprintf("Deal %d", i+1),
				"stage": stage, "amount": 1000 * (i + 1), "assignedTo": "manager@example.com"}, nil)
		}
		// The deals are the manager's: the manager lists and filters them; a rep sees none of them.
		rep, team := h.session("rep@example.com"), h.session("manager@example.com")
		for _, tc := range []struct {
			who   *pageClient
			query string
			want  []string
		}{
			{team, "", []string{"Deal 3", "Deal 2", "Deal 1"}},
			{team, "?stage=proposal", []string{"Deal 2"}},
			{rep, "?assignedTo=me", nil},
			{rep, "", nil},
			{team, "?q=deal+1", []string{"Deal 1"}},
			{rep, "?q=deal+1", nil},
			{team, "?limit=1&offset=1", []string{"Deal 2"}},
		} {
			status, doc := tc.who.get("/crm/opportunities" + tc.query)
			if status != http.StatusOK {
				t.Fatalf("GET /crm/opportunities%s = %d", tc.query, status)
			}
			if got := rowNames(doc, "#opportunities"); !slices.Equal(got, tc.want) {
				t.Errorf("/crm/opportunities%s lists %v, want %v", tc.query, got, tc.want)
			}
		}
		_, doc := team.get("/crm/opportunities?stage=won")
		if amount := strings.TrimSpace(doc.Find(`#opportunities td[data-label="Amount"]`).Text()); amount != "3,000.00 USD" {
			t.Fatalf("amount shown as %q", amount)
		}

		// A new opportunity: a wrong amount and currency are shown at their fields, then it is created and
		// the pipeline it starts shows on its page.
		_, doc = rep.get("/crm/opportunities/new")
		form := formOf(t, doc, "#record-form")
		if form.Get("currency") != "USD" || form.Get("stage") != "prospecting" {
			t.Fatalf("new opportunity defaults: currency %q, stage %q", form.Get("currency"), form.Get("stage"))
		}
		form.Set("name", "Kitchen refit")
		form.Set("amount", "-5")
		form.Set("currency", "dollars")
		form.Set("companyId", acme["id"].(string))
		form.Set("contactId", sam["id"].(string))
		form.Set("closeDate", "2026-12-31")
		status, doc := rep.post("/crm/opportunities", form)
		if status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(doc, "amount"), "cannot be negative") ||
			!strings.Contains(fieldError(doc, "currency"), "three-letter code") {
			t.Fatalf("bad amount = %d: amount %q, currency %q", status, fieldError(doc, "amount"), fieldError(doc, "currency"))
		}
		if kept := formOf(t, doc, "#record-form"); kept.Get("contactId") != sam["id"] || kept.Get("closeDate") != "2026-12-31" {
			t.Fatalf("the typed values are lost: %v", kept)
		}
		form.Set("amount", "12500")
		form.Set("currency", "eur")
		if status, _ := rep.post("/crm/opportunities", form); status != http.StatusSeeOther {
			t.Fatalf("create = %d", status)
		}
		var list recordList
		h.must(http.StatusOK, h.rep, "GET", "/api/opportunities?q=kitchen", nil, &list)
		if list.Total != 1 {
			t.Fatalf("%d kitchen refits", list.Total)
		}
		o := list.Items[0]
		if o["amount"] != float64(12500) || o["currency"] != "EUR" || o["closeDate"] != "2026-12-31" || o["assignedTo"] != "rep@example.com" {
			t.Fatalf("created %v", o)
		}
		path := "/crm/opportunities/" + o["id"].(string)
		doc = waitRuns(t, rep, path, 1)
		if name := doc.Find("#record-runs li[data-execution] a").Text(); name != "Opportunity Pipeline Management" {
			t.Fatalf("the panel lists %q", name)
		}

		// Moving it to the next stage is saved and said.
		_, doc = rep.get(path)
		form = formOf(t, doc, "#record-form")
		form.Set("stage", "proposal")
		if status, _ := rep.post(path, form); status != http.StatusSeeOther {
			t.Fatalf("stage change = %d", status)
		}
		_, doc = rep.get(path)
		if flash := doc.Find(".flash").Text(); !strings.Contains(flash, "stage is now proposal") || doc.Find("#record-status").Text() != "proposal" {
			t.Fatalf("after the stage change: flash %q, badge %q", flash, doc.Find("#record-status").Text())
		}
		if got := h.eventTypes(o["id"].(string)); !slices.Equal(got, []string{"opportunity_created", "opportunity_updated", "opportunity_proposal"}) {
			t.Fatalf("events %v", got)
		}
	})
}

func TestCRMPagesNeedSignInAndEscapeWhatTheyShow(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	id := h.createLead(h.rep, record{"firstName": evil, "lastName": "Doe", "notes": evil, "source": evil})
	var company record
	h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": evil}, &company)
	h.must(http.StatusCreated, h.rep, "POST", "/api/opportunities", record{"name": evil, "companyId": company["id"]}, nil)

	anon := h.session("")
	for _, path := range []string{"/crm/leads", "/crm/leads/new", "/crm/leads/" + id, "/crm/opportunities"} {
		if status, _ := anon.get(path); status != http.StatusSeeOther {
			t.Errorf("anonymous %s = %d, want a redirect to sign in", path, status)
		}
	}
	rep := h.session("rep@example.com")
	for _, path := range []string{"/crm/leads", "/crm/leads/" + id, "/crm/leads/new", "/crm/opportunities", "/crm/opportunities/new"} {
		status, doc := rep.get(path)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, status)
		}
		if n := doc.Find("main script, main img").Length(); n != 0 {
			t.Errorf("%s: %d injected elements", path, n)
		}
	}
	// Forms refuse a request without the CSRF token.
	if status, _ := rep.post("/crm/leads", url.Values{"_csrf": {"forged"}, "firstName": {"X"}, "lastName": {"Y"}}); status != http.StatusForbidden {
		t.Fatalf("create without a valid token = %d, want 403", status)
	}
}
