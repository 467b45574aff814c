package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
	"github.com/kitchenpantry/pantryflow/web"
)

// startConfigured is start with the configuration changed by edit, and the server also serving on a real
// listener of its own through Server.Serve, as `pantryflow serve` does; serving is that listener's address.
func startConfigured(t *testing.T, dbURL string, edit func(*config.Config)) (h *harness, serving string) {
	t.Helper()
	h = &harness{t: t, url: dbURL, clock: clock.NewFake(t0), flaky: &flakyAction{failures: map[string]int{}}}
	cfg := config.Defaults()
	cfg.DatabaseURL = dbURL
	edit(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the test's configuration: %v", err)
	}
	srv, err := server.Open(context.Background(), cfg, storetest.Quiet(), server.Options{
		Clock:        h.clock,
		Engine:       engine.Config{TimerInterval: 20 * time.Millisecond, FetchPollInterval: 10 * time.Millisecond},
		ExtraActions: func(actions.Deps) []actions.Action { return []actions.Action{h.flaky} },
	})
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	h.srv = srv
	h.http = httptest.NewServer(srv.Web.Handler())
	t.Cleanup(h.stop)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { // before h.stop: cleanups run last first
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	h.addUsers()
	return h, ln.Addr().String()
}

// A _csrf in the query string is no token: the request gets the same 403 as one without any, on every
// state-changing page route, while the same token in the form body (url-encoded or multipart) goes through.
func TestCSRFTokenInTheQueryStringDoesNotCount(t *testing.T) {
	t.Parallel()
	b := authzSetup(t, storetestSQLiteURL(t))
	h := b.h
	before := h.snapshot()
	checked := 0
	for _, r := range statePageRoutes(h.srv.Web.Routes()) {
		checked++
		c := b.clients[leastRole(r)]
		path := fillPath(r.Path, b.ids) + "?" + url.Values{"_csrf": {c.csrf}}.Encode()
		for _, headers := range []map[string]string{nil, {"HX-Request": "true"}} {
			a := c.send(r.Method, path, b.csrfBody(r), headers)
			if a.status != http.StatusForbidden || !strings.Contains(a.doc(t).Text(), "did not come from Pantryflow") {
				t.Errorf("%s %s (%s) with the token only in the query string = %d, want the CSRF 403", r.Method, path, r.Name, a.status)
			}
		}
	}
	if checked == 0 {
		t.Fatal("the route table has no state-changing page route to check")
	}
	if after := h.snapshot(); after != before {
		t.Errorf("requests with the token in the query string changed the database:\nbefore %s\nafter  %s", before, after)
	}
	for _, role := range matrixRoles[1:] {
		if !b.clients[role].signedIn() {
			t.Errorf("a sign-out with the token in the query string signed the %s out", role)
		}
	}

	// The token in a multipart body counts, as in a url-encoded one.
	rep := b.clients[auth.RoleRep]
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"note": "yes", "_csrf": rep.csrf} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	if a := send(t, rep.http, h.http.URL, "POST", "/tasks/"+b.task, &body, map[string]string{"Content-Type": mw.FormDataContentType()}); a.status != http.StatusSeeOther {
		t.Fatalf("submitting the task with the token in a multipart body = %d, want 303", a.status)
	}
	h.waitStatus(b.run, "completed")
}

// Ids are 1 to 64 letters, digits, _ and -: a save with a longer one is refused naming it, and an address
// with an absurd one is answered at once, before any query.
func TestLongIDsAreRefused(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	huge := strings.Repeat("x", 5000)
	longest := strings.Repeat("a", workflow.MaxIDLength)
	withID := func(id, stepID string) map[string]any {
		d := def("Ids", setVar(stepID, "x", 1))
		d["id"] = id
		return d
	}
	saves := []struct {
		name, method, path string
		body               any
		wantPath, wantMsg  string
	}{
		{"a workflow id of 5,000 characters", "POST", "/api/workflows", withID(huge, "only"), "id", "the id is 5000 characters long; use " + workflow.IDRule},
		{"a workflow id one too long", "POST", "/api/workflows", withID(longest+"a", "only"), "id", "the id is 65 characters long"},
		{"a step id one too long", "POST", "/api/workflows", withID("", longest+"a"), "steps[0].id", "the step id is 65 characters long"},
		{"a step id of 5,000 characters in a new version", "PUT", "/api/workflows/" + h.createWorkflow(def("Kept", setVar("only", "x", 1))),
			withID("", huge), "steps[0].id", "the step id is 5000 characters long"},
		{"an imported template's new id", "POST", "/api/templates/lead_nurture_sequence/import", map[string]any{"id": huge}, "id", "the id is 5000 characters long"},
	}
	before := h.snapshot()
	for _, c := range saves {
		var got web.ErrorBody
		status := h.call(h.manager, c.method, c.path, c.body, &got)
		if status != http.StatusUnprocessableEntity || len(got.Details) != 1 || got.Details[0].Path != c.wantPath ||
			!strings.Contains(got.Details[0].Message, c.wantMsg) {
			t.Errorf("%s: %d %+v, want 422 at %s saying %q", c.name, status, got, c.wantPath, c.wantMsg)
		}
		if len(got.Details) > 0 && strings.Contains(got.Details[0].Message, huge) {
			t.Errorf("%s: the refusal repeats the 5,000 characters", c.name)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("refused saves changed the database:\nbefore %s\nafter  %s", before, after)
	}

	// The longest id is fine, and its addresses work.
	h.must(http.StatusCreated, h.manager, "POST", "/api/workflows", withID(longest, longest), nil)
	h.must(http.StatusOK, h.rep, "GET", "/api/workflows/"+longest, nil, nil)

	// An address with a 5,000-character id is answered by the address check, not by a lookup.
	for _, path := range []string{"/api/workflows/" + huge, "/api/executions/" + huge, "/api/leads/" + huge, "/hooks/" + huge} {
		method := "GET"
		if strings.HasPrefix(path, "/hooks/") {
			method = "POST"
		}
		var got web.ErrorBody
		if status := h.call(h.manager, method, path, "{}", &got); status != http.StatusNotFound ||
			!strings.Contains(got.Error, "is 5000 characters long, and no id has more than 200") {
			t.Errorf("%s %.40s…: %d %q, want the 404 of the address check", method, path, status, got.Error)
		}
	}
	manager := h.session("manager@example.com")
	if a := manager.send("GET", "/workflows/"+huge+"/versions", nil, nil); a.status != http.StatusNotFound ||
		!strings.Contains(a.doc(t).Text(), "no id has more than 200") {
		t.Errorf("the versions page of a 5,000-character id = %d", a.status)
	}
}

// Answers that show a secret are never stored; HSTS is sent exactly when the public address is https.
func TestSecretAnswersAreNotStoredAndHSTSFollowsTheBaseURL(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(withTrigger(def("Web form", setVar("only", "x", 1)), "webhook", map[string]any{}))
	api := func(method, path string) answer {
		return send(t, nil, h.http.URL, method, path, nil, map[string]string{"Authorization": "Bearer " + h.manager})
	}
	manager := h.session("manager@example.com")
	manager.get("/settings/tokens")
	created := manager.send("POST", "/settings/tokens", url.Values{"name": {"CI"}, "_csrf": {manager.csrf}}, nil)
	if created.status != http.StatusOK || !strings.HasPrefix(created.doc(t).Find("#new-token").Text(), auth.TokenPrefix) {
		t.Fatalf("creating a token = %d", created.status)
	}
	for name, a := range map[string]answer{
		"the page showing a new API token":        created,
		"the API tokens page":                     manager.send("GET", "/settings/tokens", nil, nil),
		"GET /api/workflows/{id}/webhook":         api("GET", "/api/workflows/"+wf+"/webhook"),
		"POST /api/workflows/{id}/webhook/rotate": api("POST", "/api/workflows/"+wf+"/webhook/rotate"),
	} {
		if got := a.header.Get("Cache-Control"); got != "no-store" || a.status != http.StatusOK {
			t.Errorf("%s: %d with Cache-Control %q, want no-store", name, a.status, got)
		}
	}
	var secret struct{ Secret string }
	if err := json.Unmarshal(api("GET", "/api/workflows/"+wf+"/webhook").body, &secret); err != nil || !strings.HasPrefix(secret.Secret, "whsec_") {
		t.Fatalf("the webhook answer shows no secret: %v", err)
	}
	if got := api("GET", "/api/workflows").header.Get("Cache-Control"); got == "no-store" {
		t.Error("an answer without a secret is marked no-store too; the list should stay cacheable by the client")
	}
	if got := api("GET", "/healthz").header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("with an http base URL, Strict-Transport-Security is %q; want none", got)
	}

	https, _ := startConfigured(t, storetestSQLiteURL(t), func(c *config.Config) { c.BaseURL = "https://pantryflow.example.com" })
	for _, path := range []string{"/healthz", "/login", "/api/workflows"} {
		a := send(t, nil, https.http.URL, "GET", path, nil, nil)
		if got := a.header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
			t.Errorf("with an https base URL, GET %s has Strict-Transport-Security %q", path, got)
		}
	}
}

// call_api never reaches Pantryflow itself — the port it serves on and the port PANTRYFLOW_ADDR names — even
// with 127.0.0.1 allowed; other ports of 127.0.0.1 stay reachable.
func TestCallAPINeverReachesPantryflowItself(t *testing.T) {
	t.Parallel()
	reached := make(chan string, 10)
	listen := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			reached <- name
			_, _ = w.Write([]byte(`{"ok": true}`))
		}))
		t.Cleanup(s.Close)
		return s
	}
	neighbour, addrPort := listen("a neighbour"), listen("the port of PANTRYFLOW_ADDR")
	h, serving := startConfigured(t, storetestSQLiteURL(t), func(c *config.Config) {
		c.HTTPAllow = "127.0.0.1"
		c.Addr = strings.TrimPrefix(addrPort.URL, "http://")
	})
	call := func(target string) execution {
		wf := h.createWorkflow(def("Call "+target, map[string]any{"id": "call", "name": "Call", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"url": target}}}))
		run := h.startRun(wf, nil)
		return h.waitFor(run, "finished", func(e execution) bool { return e.Status == "completed" || e.Status == "failed" })
	}
	if e := call(neighbour.URL + "/"); e.Status != "completed" {
		t.Fatalf("calling an allowed neighbour: %s %q", e.Status, e.Error)
	}
	if got := <-reached; got != "a neighbour" {
		t.Fatalf("reached %s", got)
	}
	_, servingPort, _ := net.SplitHostPort(serving)
	for _, target := range []string{
		"http://" + serving + "/api/workflows",
		"http://localhost:" + servingPort + "/healthz",
		"http://0.0.0.0:" + servingPort + "/healthz",
		addrPort.URL + "/",
	} {
		e := call(target)
		if e.Status != "failed" || !strings.Contains(e.Error, "is Pantryflow itself") {
			t.Errorf("calling %s: %s %q, want it refused as Pantryflow itself", target, e.Status, e.Error)
		}
	}
	select {
	case got := <-reached:
		t.Errorf("%s was reached", got)
	default:
	}
}
