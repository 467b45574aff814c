package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/triggers"
	"github.com/kitchenpantry/pantryflow/web"
)

// nulMessage is what every refusal of a NUL character says about the field.
const nulMessage = `contains an invisible NUL character (\u0000); remove it`

// PostgreSQL cannot store a NUL character in text, and SQLite can: both refuse it before anything is stored,
// with a 422 that names the field, whichever way it comes in.
func TestNULCharactersAreRefusedByNameOnEveryDatabase(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		wf := h.createWorkflow(def("Plain", setVar("only", "x", 1)))
		hooked := h.createWorkflow(withTrigger(def("Web form", setVar("only", "x", 1)), "webhook", map[string]any{}))
		var hook struct{ URL, Secret string }
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+hooked+"/webhook", nil, &hook)
		hookPath := strings.TrimPrefix(hook.URL, "http://localhost:8080")
		var lead struct{ ID string }
		h.must(http.StatusCreated, h.rep, "POST", "/api/leads", map[string]any{"firstName": "Ada", "lastName": "Lovelace"}, &lead)
		steps := `[{"id": "a", "name": "First", "type": "action", "nextSteps": ["b"], "configuration": {"action": "set_variable", "parameters": {"name": "x", "value": 1}}},
			{"id": "b", "name": "Sec\u0000ond", "type": "action", "nextSteps": [], "configuration": {"action": "set_variable", "parameters": {"name": "x", "value": 2}}}]`
		manual := `"trigger": {"type": "manual", "configuration": {}}, "variables": [{"name": "x", "type": "number"}]`
		hookBody := []byte(`{"note": "from the form\u0000"}`)

		api := []struct {
			name, method, path, token, body string
			headers                         map[string]string
			wantPath                        string
		}{
			{"workflow name", "POST", "/api/workflows", h.manager, `{"name": "Lead\u0000 nurture", ` + manual + `, "steps": ` + steps + `}`, nil, "name"},
			{"step name", "POST", "/api/workflows", h.manager, `{"name": "Lead nurture", ` + manual + `, "steps": ` + steps + `}`, nil, "steps[1].name"},
			{"step name in a new version", "PUT", "/api/workflows/" + wf, h.manager, `{"name": "Plain", ` + manual + `, "steps": ` + steps + `}`, nil, "steps[1].name"},
			{"lead field", "POST", "/api/leads", h.rep, `{"firstName": "Grace\u0000", "lastName": "Hopper"}`, nil, "firstName"},
			{"lead field in an update", "PATCH", "/api/leads/" + lead.ID, h.rep, `{"notes": "Acme\u0000"}`, nil, "notes"},
			{"search", "GET", "/api/leads?q=" + url.QueryEscape("Ada\x00"), h.rep, "", nil, "q"},
			{"a field filter", "GET", "/api/leads?status=" + url.QueryEscape("new\x00"), h.rep, "", nil, "status"},
			{"event data", "POST", "/api/events", h.manager, `{"event": "deal_signed", "data": {"company": {"name": "Acme\u0000"}}}`, nil, "data.company.name"},
			{"event data in a list", "POST", "/api/events", h.manager, `{"event": "deal_signed", "data": {"items": ["ok", "b\u0000d"]}}`, nil, "data.items[1]"},
			{"a key of event data", "POST", "/api/events", h.manager, `{"event": "deal_signed", "data": {"co\u0000": 1}}`, nil, `data.co\u0000`},
			{"start variables", "POST", "/api/workflows/" + wf + "/executions", h.manager, `{"variables": {"note": "hi\u0000"}}`, nil, "variables.note"},
			{"an id in the address", "GET", "/api/workflows/" + url.PathEscape("pl\x00ain"), h.rep, "", nil, "id"},
			{"webhook body", "POST", hookPath, "", string(hookBody), map[string]string{
				triggers.SignatureHeader: triggers.SignDelivery(hook.Secret, t0, "d-1", hookBody), triggers.DeliveryHeader: "d-1"}, "note"},
		}
		before := h.snapshot()
		leadsBefore := countRows(t, h, &store.Lead{})
		for _, c := range api {
			headers := map[string]string{"Content-Type": "application/json"}
			if c.token != "" {
				headers["Authorization"] = "Bearer " + c.token
			}
			for k, v := range c.headers {
				headers[k] = v
			}
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			var a answer
			if body != nil {
				a = send(t, nil, h.http.URL, c.method, c.path, body, headers)
			} else {
				a = send(t, nil, h.http.URL, c.method, c.path, nil, headers)
			}
			var got web.ErrorBody
			if err := json.Unmarshal(a.body, &got); err != nil {
				t.Errorf("%s: %d with a body that is not JSON: %q", c.name, a.status, a.body)
				continue
			}
			if a.status != http.StatusUnprocessableEntity || len(got.Details) != 1 || got.Details[0].Path != c.wantPath ||
				got.Details[0].Message != nulMessage || !strings.Contains(got.Error, "NUL") {
				t.Errorf("%s: %d %s, want 422 naming %s", c.name, a.status, a.body, c.wantPath)
			}
		}

		// Pages: a form field and a search show the refusal as a page, never a 500.
		rep := h.session("rep@example.com")
		rep.get("/crm/leads/new")
		pages := []struct {
			name, method, path string
			form               url.Values
			htmx               bool
			wantField          string
		}{
			{"lead form", "POST", "/crm/leads", url.Values{"firstName": {"Grace\x00"}, "lastName": {"Hopper"}}, false, "firstName"},
			{"lead form with htmx", "POST", "/crm/leads/" + lead.ID, url.Values{"firstName": {"Ada"}, "lastName": {"Love\x00lace"}}, true, "lastName"},
			{"search of a list", "GET", "/crm/leads?q=" + url.QueryEscape("Ada\x00"), nil, false, "q"},
		}
		for _, c := range pages {
			headers := map[string]string{}
			if c.form != nil {
				c.form.Set("_csrf", rep.csrf)
			}
			if c.htmx {
				headers["HX-Request"], headers["X-CSRF-Token"] = "true", rep.csrf
			}
			a := rep.send(c.method, c.path, c.form, headers)
			text := strings.Join(strings.Fields(a.doc(t).Text()), " ")
			if a.status != http.StatusUnprocessableEntity || !strings.Contains(text, "“"+c.wantField+"”") ||
				!strings.Contains(text, "invisible NUL character") {
				t.Errorf("%s: %d %q, want 422 naming the field %s", c.name, a.status, text, c.wantField)
			}
		}

		if after := h.snapshot(); after != before {
			t.Errorf("refused requests changed workflows or runs:\nbefore %s\nafter  %s", before, after)
		}
		if n := countRows(t, h, &store.Lead{}); n != leadsBefore {
			t.Errorf("%d leads after the refusals, want %d", n, leadsBefore)
		}
		var kept struct{ FirstName, LastName, Notes string }
		h.must(http.StatusOK, h.rep, "GET", "/api/leads/"+lead.ID, nil, &kept)
		if kept.FirstName != "Ada" || kept.LastName != "Lovelace" || kept.Notes != "" {
			t.Errorf("the lead changed: %+v", kept)
		}
		// The same requests without the NUL go through: the refusals were the character's doing.
		h.must(http.StatusOK, h.rep, "GET", "/api/leads?q=Ada", nil, nil)
		clean := []byte(`{"note": "from the form"}`)
		if code, out := h.webhookPost(h.http.URL+hookPath, clean, map[string]string{
			triggers.SignatureHeader: triggers.SignDelivery(hook.Secret, t0, "d-2", clean), triggers.DeliveryHeader: "d-2"}); code != http.StatusAccepted {
			t.Errorf("a clean delivery = %d %v", code, out)
		}
		h.waitRuns(hooked, 1)
	})
}

func countRows(t *testing.T, h *harness, model any) int64 {
	t.Helper()
	n, err := h.srv.DB.CountRows(context.Background(), model)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
