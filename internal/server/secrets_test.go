package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
)

const testSecretKey = "a test key that is at least thirty-two characters long"

// echoAPI answers every request with what it received — the way a misbehaving API, or an attacker's
// endpoint, would hand a secret back to be stored in the step's output. It also fails on /fail with the
// request in its error body, for the error message.
type echoAPI struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "header query body" of every request
}

func newEchoAPI(t *testing.T) *echoAPI {
	t.Helper()
	api := &echoAPI{}
	api.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := r.Header.Get("Authorization") + " " + r.URL.RawQuery + " " + string(body)
		api.mu.Lock()
		api.seen = append(api.seen, got)
		api.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/leads?key="+r.URL.Query().Get("key"))
		if strings.HasPrefix(r.URL.Path, "/fail") {
			w.WriteHeader(http.StatusBadRequest)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"auth": r.Header.Get("Authorization"), "query": r.URL.RawQuery, "body": string(body)})
	}))
	t.Cleanup(api.Close)
	return api
}

func (a *echoAPI) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) == 0 {
		return ""
	}
	return a.seen[len(a.seen)-1]
}

func secretCall(url string) map[string]any {
	return map[string]any{"id": "call", "name": "Call the CRM", "type": "action", "nextSteps": []string{"copy"},
		"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{
			"method": "POST", "url": url + "?key={{ secrets.CRM_API_KEY }}",
			"headers": map[string]any{"Authorization": "Bearer {{ secrets.CRM_API_KEY }}"},
			"body":    map[string]any{"apiKey": "{{ secrets.CRM_API_KEY }}", "note": "{{ note }}"}}}}
}

// TestSecretValuesAreNeverShown: a run uses a secret in a header, the address and the body of a call to an
// API that echoes everything back, in a normal run, a failed run and a test run. The value reaches the API,
// but never any answer of any route (API, pages, exports) for any role, the log, a step output, a variable
// or a test run's record; after a rotation, runs use the new value.
func TestSecretValuesAreNeverShown(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		logs := &logBuffer{}
		api := newEchoAPI(t)
		h := startLogged(t, url, logs, func(c *config.Config, _ *server.Options) {
			c.HTTPAllow, c.SecretKey = "127.0.0.1", testSecretKey
		})
		first, second := "sk_live_first_4f1d2c9a", "sk_live_second_77be0a1c"
		var created map[string]any
		h.must(http.StatusCreated, h.manager, "POST", "/api/secrets", map[string]any{"name": "CRM_API_KEY", "value": first}, &created)
		if created["name"] != "CRM_API_KEY" || created["value"] != nil {
			t.Fatalf("created %v", created)
		}
		wf := h.createWorkflow(def("Sync to the CRM", secretCall(api.URL+"/leads"), setVar("copy", "note", "{{ steps.call.body.auth }} {{ steps.call.headers.location }}")))
		failing := h.createWorkflow(def("Sync that fails", secretCall(api.URL+"/fail"), setVar("copy", "note", "x")))

		ok := h.startRun(wf, map[string]any{"note": "hello"})
		h.waitStatus(ok, "completed")
		if got := api.last(); got != "Bearer "+first+" key="+first+` {"apiKey":"`+first+`","note":"hello"}` {
			t.Fatalf("the API received %q; want the secret in the header, the address and the body", got)
		}
		bad := h.startRun(failing, nil)
		h.waitStatus(bad, "failed")
		test, err := h.srv.App.StartTest(context.Background(), &auth.Principal{Email: "manager@example.com", Role: auth.RoleManager}, wf, 1, map[string]any{"note": "test"})
		if err != nil {
			t.Fatal(err)
		}
		h.waitStatus(test, "completed")
		copied := h.get(ok).Variables["note"]
		if copied != "Bearer [secret CRM_API_KEY] /leads?key=[secret CRM_API_KEY]" {
			t.Errorf("the variable copied from the echoed answer is %q; want the secret masked", copied)
		}

		h.must(http.StatusOK, h.manager, "PUT", "/api/secrets/CRM_API_KEY", map[string]any{"value": second}, nil)
		rotated := h.startRun(wf, map[string]any{"note": "again"})
		h.waitStatus(rotated, "completed")
		if got := api.last(); !strings.Contains(got, "Bearer "+second) || strings.Contains(got, first) {
			t.Fatalf("after the rotation the API received %q; want the new value", got)
		}

		ids := map[string]string{"workflows": wf, "secrets": "CRM_API_KEY", "templates": "lead_nurture_sequence",
			"static": "vendor/htmx.org/htmx.min.js"}
		leaks := []string{first, second}
		for _, run := range []string{ok, bad, test, rotated} {
			ids["executions"], ids["runs"] = run, run
			noSecretInAnyAnswer(t, h, ids, leaks)
		}
		for name, text := range map[string]string{"the log": logs.String(), "the database": databaseText(t, h)} {
			for _, v := range leaks {
				if strings.Contains(text, v) {
					t.Errorf("%s holds the secret's value %q", name, v)
				}
			}
		}
		if !strings.Contains(logs.String(), "secret rotated") {
			t.Error("the log does not say the secret was rotated")
		}
	})
}

// noSecretInAnyAnswer asks every GET route of the table, as each role, by token and by session, and fails
// the test when an answer holds one of the values.
func noSecretInAnyAnswer(t *testing.T, h *harness, ids map[string]string, values []string) {
	t.Helper()
	tokens := map[auth.Role]string{auth.RoleRep: h.rep, auth.RoleManager: h.manager, auth.RoleAdmin: h.admin}
	for role, token := range tokens {
		client := h.session(roleEmails[role])
		for _, r := range h.srv.Web.Routes() {
			if r.Method != http.MethodGet || r.Name == "static" {
				continue
			}
			path := fillPath(r.Path, ids)
			var a answer
			if isAPI(r.Path) {
				a = send(t, nil, h.http.URL, http.MethodGet, path, nil, map[string]string{"Authorization": "Bearer " + token})
			} else {
				a = client.send(http.MethodGet, path, nil, nil)
			}
			for _, v := range values {
				for _, form := range []string{v, url.QueryEscape(v)} {
					if strings.Contains(string(a.body), form) {
						t.Errorf("%s GET %s (%s) answers the secret's value", role, path, r.Name)
					}
				}
			}
		}
	}
}

// databaseText is every text the runs left in the database: executions (variables, outputs, errors, test
// run records), their logs and the River jobs.
func databaseText(t *testing.T, h *harness) string {
	t.Helper()
	var b strings.Builder
	runs, err := h.srv.DB.Executions().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		b.WriteString(string(r.Variables) + string(r.Outputs) + string(r.State) + r.Error)
	}
	logRows, err := h.srv.DB.Executions().AllLogs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logRows {
		b.WriteString(l.Message + string(l.Data))
	}
	jobs, err := h.srv.DB.JobArgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(strings.Join(jobs, " "))
	return b.String()
}

// TestSecretsAreManagedByManagers: the API's rules for names and values, a server without a key, deleting
// a secret a published workflow uses, and a workflow naming a secret that does not exist.
func TestSecretsAreManagedByManagers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		h := startTuned(t, url, func(c *config.Config, _ *server.Options) { c.SecretKey = testSecretKey })
		var refused struct {
			Details []struct{ Path, Message string }
		}
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/secrets", map[string]any{"name": "bad name", "value": "short"}, &refused)
		if len(refused.Details) != 2 || refused.Details[0].Path != "name" || refused.Details[1].Path != "value" {
			t.Fatalf("a bad name and a short value: %+v", refused.Details)
		}
		h.must(http.StatusForbidden, h.rep, "POST", "/api/secrets", map[string]any{"name": "A_KEY", "value": "long enough value"}, nil)
		h.must(http.StatusCreated, h.manager, "POST", "/api/secrets", map[string]any{"name": "A_KEY", "value": "long enough value"}, nil)
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/secrets", map[string]any{"name": "A_KEY", "value": "another value"}, nil)

		var problems struct {
			Details []struct{ Path, Message string }
		}
		missing := def("Uses a missing secret", map[string]any{"id": "call", "name": "Call", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"url": "https://api.example.com/?k={{ secrets.NOPE }}"}}})
		h.must(http.StatusUnprocessableEntity, h.manager, "POST", "/api/workflows", missing, &problems)
		if len(problems.Details) != 1 || !strings.Contains(problems.Details[0].Message, `there is no secret "NOPE"`) {
			t.Fatalf("saving with a missing secret: %+v", problems.Details)
		}
		used := def("Uses the key", map[string]any{"id": "call", "name": "Call", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"url": "https://api.example.com/?k={{ secrets.A_KEY }}"}}})
		wf := h.createWorkflow(used)
		var conflict struct{ Error string }
		h.must(http.StatusConflict, h.manager, "DELETE", "/api/secrets/A_KEY", nil, &conflict)
		if !strings.Contains(conflict.Error, `"Uses the key" (version 1)`) {
			t.Fatalf("deleting a secret in use: %q; want the workflow named", conflict.Error)
		}
		var list struct {
			Items []struct {
				Name   string
				UsedBy []struct{ ID string }
			}
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/secrets", nil, &list)
		if len(list.Items) != 1 || len(list.Items[0].UsedBy) != 1 || list.Items[0].UsedBy[0].ID != wf {
			t.Fatalf("list: %+v", list.Items)
		}
		h.must(http.StatusCreated, h.manager, "POST", "/api/secrets", map[string]any{"name": "SPARE", "value": "spare value 123"}, nil)
		if got := h.call(h.manager, "DELETE", "/api/secrets/SPARE", nil, nil); got != http.StatusNoContent {
			t.Fatalf("DELETE an unused secret = %d, want 204", got)
		}
		h.must(http.StatusNotFound, h.manager, "PUT", "/api/secrets/SPARE", map[string]any{"value": "spare value 456"}, nil)

		// Without PANTRYFLOW_SECRET_KEY nothing can be stored, and the answer says what to do.
		plain := start(t, storetestSQLiteURL(t))
		var noKey struct{ Error string }
		plain.must(http.StatusConflict, plain.manager, "POST", "/api/secrets", map[string]any{"name": "A_KEY", "value": "long enough value"}, &noKey)
		if !strings.Contains(noKey.Error, "PANTRYFLOW_SECRET_KEY") {
			t.Fatalf("no key: %q", noKey.Error)
		}
	})
}

// TestCredentialsWrittenIntoAWorkflowAreWarnedAboutAndMasked: saving a call_api step with a literal
// Authorization header warns and suggests a secret; a rep reading the workflow sees the header masked,
// the manager sees it as written; the designer's panel moves it to a secret in one click.
func TestCredentialsWrittenIntoAWorkflowAreWarnedAboutAndMasked(t *testing.T) {
	t.Parallel()
	h := startTuned(t, storetestSQLiteURL(t), func(c *config.Config, _ *server.Options) { c.SecretKey = testSecretKey })
	step := map[string]any{"id": "call", "name": "Call", "type": "action", "nextSteps": []string{},
		"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{
			"url": "https://api.example.com/leads", "headers": map[string]any{"Authorization": "Bearer sk_live_literal_9d8c7b6a"}}}}
	var saved struct {
		ID       string
		Warnings []struct{ Path, Message, SuggestedSecret string }
	}
	h.must(http.StatusCreated, h.manager, "POST", "/api/workflows?publish=true", def("Literal key", step), &saved)
	if len(saved.Warnings) != 1 || saved.Warnings[0].Path != "steps[0].configuration.parameters.headers.Authorization" ||
		saved.Warnings[0].SuggestedSecret != "API_EXAMPLE_COM_AUTHORIZATION" || !strings.Contains(saved.Warnings[0].Message, "move it to a secret") {
		t.Fatalf("warnings %+v", saved.Warnings)
	}
	rep := send(t, nil, h.http.URL, "GET", "/api/workflows/"+saved.ID, nil, map[string]string{"Authorization": "Bearer " + h.rep})
	if rep.status != http.StatusOK || strings.Contains(string(rep.body), "sk_live_literal") || !strings.Contains(string(rep.body), "••••••") {
		t.Fatalf("a rep reads the definition: %d %s", rep.status, rep.body)
	}
	manager := send(t, nil, h.http.URL, "GET", "/api/workflows/"+saved.ID, nil, map[string]string{"Authorization": "Bearer " + h.manager})
	if !strings.Contains(string(manager.body), "Bearer sk_live_literal_9d8c7b6a") {
		t.Fatalf("the manager reads the definition without the header: %s", manager.body)
	}

	m := h.session("manager@example.com")
	defJSON, _ := json.Marshal(def("Literal key", step))
	doc := m.panel("/designer/panel", url.Values{"definition": {string(defJSON)}, "step": {"call"}})
	offer := doc.Find(`.panel-warning[data-path="headers.Authorization"]`)
	if offer.Length() != 1 || offer.Find(`button[name="op"][value="move_secret:headers.Authorization"]`).Length() != 1 ||
		offer.Find(`input[name="move.headers.Authorization"]`).AttrOr("value", "") != "API_EXAMPLE_COM_AUTHORIZATION" {
		t.Fatalf("the panel does not offer to move the header to a secret: %s", offer.Text())
	}
	doc = m.panel("/designer/panel", url.Values{"definition": {string(defJSON)}, "step": {"call"},
		"op": {"move_secret:headers.Authorization"}, "move.headers.Authorization": {"CRM_TOKEN"}})
	var moved struct {
		Configuration struct {
			Parameters struct{ Headers map[string]string }
		}
	}
	scriptJSON(t, doc, "panel-step", &moved)
	if got := moved.Configuration.Parameters.Headers["Authorization"]; got != "Bearer {{ secrets.CRM_TOKEN }}" {
		t.Fatalf("after the move the header is %q", got)
	}
	if doc.Find(".panel-warning").Length() != 0 || !strings.Contains(doc.Find("#panel-notice").Text(), "CRM_TOKEN") {
		t.Fatalf("after the move the panel still warns or says nothing: %s", doc.Find("#panel-form").Text())
	}
	var list struct{ Items []struct{ Name string } }
	h.must(http.StatusOK, h.manager, "GET", "/api/secrets", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "CRM_TOKEN" {
		t.Fatalf("secrets after the move: %+v", list.Items)
	}
}
