package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web"
)

// The authorization matrix is generated from the route table at run time, so a route added tomorrow is
// checked by these tests without anyone listing it here.

// answer is an HTTP answer as the tests look at it: no redirect followed.
type answer struct {
	status   int
	location string
	header   http.Header
	body     []byte
}

// send makes one request without following redirects.
func send(t testing.TB, client *http.Client, base, method, path string, body io.Reader, headers map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	return answer{status: res.StatusCode, location: res.Header.Get("Location"), header: res.Header, body: raw}
}

// doc parses an HTML answer.
func (a answer) doc(t *testing.T) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(string(a.body)))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return d
}

// send makes a page request with the client's cookies; form (nil for none) is sent url-encoded.
func (c *pageClient) send(method, path string, form url.Values, headers map[string]string) answer {
	c.t.Helper()
	var body io.Reader
	h := map[string]string{}
	if form != nil {
		body = strings.NewReader(form.Encode())
		h["Content-Type"] = "application/x-www-form-urlencoded"
	}
	for k, v := range headers {
		h[k] = v
	}
	return send(c.t, c.http, c.h.http.URL, method, path, body, h)
}

// signedIn reports whether the client's session is current: the sign-in page sends signed-in people on.
func (c *pageClient) signedIn() bool {
	c.t.Helper()
	return c.send(http.MethodGet, "/login", nil, nil).status == http.StatusSeeOther
}

// isAPI tells routes used with bearer tokens from pages used with sessions and CSRF tokens.
func isAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/api" || strings.HasPrefix(path, "/hooks/")
}

// fillPath replaces a route's parameters (:id, *) by the value known for the collection the parameter
// follows ("/tasks/:id" takes ids["tasks"]), or by a made-up id the server answers 404 for.
func fillPath(path string, ids map[string]string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s != "*" && !strings.HasPrefix(s, ":") {
			continue
		}
		segs[i] = "no-such-thing-4711"
		if i > 0 {
			if v, ok := ids[segs[i-1]]; ok {
				segs[i] = v
			}
		}
	}
	return strings.Join(segs, "/")
}

// matrixRoles are the columns of the matrix; "" is a visitor who is not signed in.
var matrixRoles = []auth.Role{"", auth.RoleRep, auth.RoleManager, auth.RoleAdmin}

var roleEmails = map[auth.Role]string{auth.RoleRep: "rep@example.com", auth.RoleManager: "manager@example.com",
	auth.RoleAdmin: "admin@example.com"}

// authzBundle is a running server with something behind every kind of id, and a client per role.
type authzBundle struct {
	h       *harness
	ids     map[string]string // collection path segment → an existing id
	tokens  map[auth.Role]string
	clients map[auth.Role]*pageClient
	run     string // an execution waiting on task
	task    string // the rep's open task; its form needs "note"
	wf      string
}

func authzSetup(t *testing.T, dbURL string) *authzBundle {
	t.Helper()
	h := start(t, dbURL)
	wf := h.createWorkflow(def("Approval", map[string]any{"id": "approve", "name": "Approve", "type": "human_task",
		"nextSteps": []string{}, "configuration": map[string]any{"assignee": "rep@example.com", "title": "Approve",
			"formFields": []map[string]any{{"name": "note", "type": "text", "required": true}}}}))
	run := h.startRun(wf, nil)
	tk := h.openTask(run)
	var lead struct {
		ID string `json:"id"`
	}
	h.must(http.StatusCreated, h.rep, "POST", "/api/leads", map[string]any{"firstName": "Ada", "lastName": "Lovelace",
		"assignedTo": "rep@example.com"}, &lead)
	b := &authzBundle{h: h, run: run, task: tk.ID, wf: wf,
		ids: map[string]string{"tasks": tk.ID, "workflows": wf, "executions": run, "templates": "lead_nurture_sequence",
			"leads": lead.ID, "static": "vendor/htmx.org/htmx.min.js"},
		tokens:  map[auth.Role]string{auth.RoleRep: h.rep, auth.RoleManager: h.manager, auth.RoleAdmin: h.admin},
		clients: map[auth.Role]*pageClient{},
	}
	for _, role := range matrixRoles {
		b.clients[role] = h.session(roleEmails[role])
	}
	return b
}

// keepSessions undoes what a request did to the clients' sessions (signing out, signing a visitor in), so
// every cell of the matrix is asked by who its column says.
func (b *authzBundle) keepSessions(role auth.Role) {
	if b.clients[role].signedIn() != (role != "") {
		b.clients[role] = b.h.session(roleEmails[role])
	}
}

// form is the body a page route gets in the matrix: empty, except where an empty form would rightly be
// turned away for another reason than authorization (signing in without a password is a 401 by design).
func (b *authzBundle) form(r web.Route, role auth.Role) url.Values {
	if r.Name == "login.post" {
		email := roleEmails[role]
		if email == "" {
			email = roleEmails[auth.RoleRep]
		}
		return url.Values{"email": {email}, "password": {"correct horse battery"}}
	}
	return url.Values{}
}

// cell is one request of the matrix and what came of it.
type cell struct {
	status int
	detail string // what was wrong, empty when the cell is as expected
}

// ask sends the request of route r the way role uses it and checks the answer.
func (b *authzBundle) ask(t *testing.T, r web.Route, role auth.Role) cell {
	t.Helper()
	path := fillPath(r.Path, b.ids)
	allowed := r.Role == "" || (role != "" && role.AtLeast(r.Role))
	if isAPI(r.Path) {
		var body io.Reader
		headers := map[string]string{"Content-Type": "application/json"}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			body = strings.NewReader("{}")
		}
		if role != "" {
			headers["Authorization"] = "Bearer " + b.tokens[role]
		}
		a := send(t, nil, b.h.http.URL, r.Method, path, body, headers)
		c := cell{status: a.status}
		switch {
		case allowed:
			c.detail = allowedProblem(a)
		case role == "":
			if a.status != http.StatusUnauthorized {
				c.detail = "want 401 without a token"
			} else if bad := send(t, nil, b.h.http.URL, r.Method, path, strings.NewReader("{}"),
				map[string]string{"Authorization": "Bearer pf_not-a-token", "Content-Type": "application/json"}); bad.status != http.StatusUnauthorized {
				c.detail = fmt.Sprintf("want 401 with a wrong token, got %d", bad.status)
			}
		case a.status != http.StatusForbidden:
			c.detail = "want 403 for a role too low"
		}
		return c
	}

	client := b.clients[role]
	var a answer
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		a = client.send(r.Method, path, nil, nil)
	} else {
		form := b.form(r, role)
		form.Set("_csrf", client.csrf)
		a = client.send(r.Method, path, form, map[string]string{"X-CSRF-Token": client.csrf})
		defer b.keepSessions(role)
	}
	c := cell{status: a.status}
	toLogin := "/login?next=" + url.QueryEscape(path)
	switch {
	case allowed:
		c.detail = allowedProblem(a)
	case role == "":
		if a.status != http.StatusSeeOther || a.location != toLogin {
			c.detail = fmt.Sprintf("want 303 to %s, got Location %q", toLogin, a.location)
			break
		}
		// htmx cannot follow a redirect to a page: it is told where to go instead.
		hx := client.send(r.Method, path, url.Values{"_csrf": {client.csrf}},
			map[string]string{"HX-Request": "true", "X-CSRF-Token": client.csrf})
		if hx.status != http.StatusUnauthorized || hx.header.Get("HX-Redirect") != toLogin {
			c.detail = fmt.Sprintf("htmx without a session: want 401 with HX-Redirect %s, got %d %q", toLogin, hx.status, hx.header.Get("HX-Redirect"))
		}
	case a.status != http.StatusForbidden:
		c.detail = "want 403 for a role too low"
	}
	return c
}

// allowedProblem says what is wrong with an answer to someone allowed: a refusal, or a server error.
func allowedProblem(a answer) string {
	switch {
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return "refused someone allowed"
	case a.status == http.StatusSeeOther && strings.HasPrefix(a.location, "/login?"):
		return "sent someone allowed to sign in"
	case a.status >= 500:
		return fmt.Sprintf("server error: %.200s", a.body)
	}
	return ""
}

// matrixOrder puts reads first and deletes last, so a cancelled run or a deleted lead does not turn later
// reads into 404s.
func matrixOrder(routes []web.Route) []web.Route {
	rank := func(m string) int {
		switch m {
		case http.MethodGet, http.MethodHead:
			return 0
		case http.MethodDelete:
			return 2
		}
		return 1
	}
	out := slices.Clone(routes)
	slices.SortStableFunc(out, func(a, b web.Route) int { return rank(a.Method) - rank(b.Method) })
	return out
}

// checkRouteTable fails on routes nobody could use or tell apart: every route has a unique name, a handler
// and a role that exists.
func checkRouteTable(t *testing.T, routes []web.Route) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range routes {
		if r.Name == "" || seen[r.Name] {
			t.Errorf("route %s %s: name %q is empty or used twice", r.Method, r.Path, r.Name)
		}
		seen[r.Name] = true
		if r.Role != "" && !slices.Contains(auth.Roles, r.Role) {
			t.Errorf("route %s: role %q is not one of %v, so nobody could use it", r.Name, r.Role, auth.Roles)
		}
		if r.Handler == nil {
			t.Errorf("route %s has no handler", r.Name)
		}
	}
}

func TestAuthzMatrix(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		b := authzSetup(t, dbURL)
		checkRouteTable(t, b.h.srv.Web.Routes())
		routes := matrixOrder(b.h.srv.Web.Routes())
		var table strings.Builder
		fmt.Fprintf(&table, "%-34s %-6s %-40s %-8s", "route", "method", "path", "needs")
		for _, role := range matrixRoles {
			fmt.Fprintf(&table, " %-9s", cmp(string(role), "anonymous"))
		}
		table.WriteString("\n")
		failed := 0
		for _, r := range routes {
			fmt.Fprintf(&table, "%-34s %-6s %-40s %-8s", r.Name, r.Method, r.Path, cmp(string(r.Role), "public"))
			for _, role := range matrixRoles {
				c := b.ask(t, r, role)
				mark := " "
				if c.detail != "" {
					mark = "!"
					failed++
					t.Errorf("%s %s as %s = %d: %s", r.Method, r.Path, cmp(string(role), "anonymous"), c.status, c.detail)
				}
				fmt.Fprintf(&table, " %-9s", fmt.Sprintf("%d%s", c.status, mark))
			}
			table.WriteString("\n")
		}
		if failed > 0 {
			t.Errorf("%d cells of the matrix are wrong (marked !):\n%s", failed, table.String())
		} else {
			t.Logf("%d routes × %d roles as expected:\n%s", len(routes), len(matrixRoles), table.String())
		}
	})
}

func cmp(s, ifEmpty string) string {
	if s == "" {
		return ifEmpty
	}
	return s
}

// csrfBodies are forms that would succeed with a valid token, so a refusal is the token's doing.
func (b *authzBundle) csrfBody(r web.Route) url.Values {
	switch r.Name {
	case "login.post":
		return url.Values{"email": {"rep@example.com"}, "password": {"correct horse battery"}}
	case "tasks.submit":
		return url.Values{"note": {"yes"}}
	case "tasks.reassign":
		return url.Values{"assignee": {"manager@example.com"}}
	case "workflows.enabled":
		return url.Values{"enabled": {"false"}}
	case "workflows.publish":
		return url.Values{"version": {"1"}}
	}
	return url.Values{}
}

func TestCSRFRefusesEveryStateChangingPageRoute(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		b := authzSetup(t, dbURL)
		h := b.h
		before := h.snapshot()
		other := h.session("admin@example.com") // a valid token, but of another browser
		checked := 0
		for _, r := range statePageRoutes(b.h.srv.Web.Routes()) {
			checked++
			c := b.clients[leastRole(r)]
			path := fillPath(r.Path, b.ids)
			attempts := []struct {
				name    string
				token   string
				headers map[string]string
			}{
				{"without a token", "", nil},
				{"with a forged token", "forged", map[string]string{"X-CSRF-Token": "forged"}},
				{"with another browser's token", other.csrf, map[string]string{"X-CSRF-Token": other.csrf}},
				{"htmx with a forged header", "", map[string]string{"HX-Request": "true", "X-CSRF-Token": "forged"}},
			}
			for _, at := range attempts {
				form := b.csrfBody(r)
				if at.token != "" {
					form.Set("_csrf", at.token)
				}
				a := c.send(r.Method, path, form, at.headers)
				if a.status != http.StatusForbidden {
					t.Errorf("%s %s (%s) %s = %d, want 403", r.Method, path, r.Name, at.name, a.status)
					continue
				}
				if msg := a.doc(t).Text(); !strings.Contains(msg, "did not come from Pantryflow") {
					t.Errorf("%s %s %s: the 403 is not the CSRF refusal: %q", r.Method, path, at.name, strings.Join(strings.Fields(msg), " "))
				}
			}
		}
		if checked == 0 {
			t.Fatal("the route table has no state-changing page route to check")
		}
		// Nothing changed: no rows, definitions or switches; the run still waits on its open task, still
		// the rep's; and the sessions that were "signed out" are still signed in.
		if after := h.snapshot(); after != before {
			t.Errorf("refused requests changed the database:\nbefore %s\nafter  %s", before, after)
		}
		if e := h.get(b.run); e.Status == "cancelled" || e.Status == "completed" || len(e.Tasks) != 1 ||
			e.Tasks[0].Status != "open" || e.Tasks[0].Assignee != "rep@example.com" {
			t.Errorf("after refused requests the run is %s with tasks %+v", e.Status, e.Tasks)
		}
		for _, role := range matrixRoles[1:] {
			if !b.clients[role].signedIn() {
				t.Errorf("a sign-out without a valid token signed the %s out", role)
			}
		}
		apiIgnoresSessionCookies(t, h, b.clients[auth.RoleAdmin])
		// The same form with the right token goes through: the refusals above were the token's doing.
		rep := b.clients[auth.RoleRep]
		if a := rep.send("POST", "/tasks/"+b.task, url.Values{"note": {"yes"}, "_csrf": {rep.csrf}}, nil); a.status != http.StatusSeeOther {
			t.Fatalf("submitting the task with its token = %d, want 303", a.status)
		}
		h.waitStatus(b.run, "completed")
	})
}

// isPageRoute reports whether a route is served as a page (sessions and CSRF), by the server's own rule.
func isPageRoute(path string) bool {
	for _, prefix := range []string{"/api/", "/hooks/", "/static/", "/healthz", "/readyz"} {
		if strings.HasPrefix(path, prefix) {
			return false
		}
	}
	return true
}

// apiIgnoresSessionCookies checks that a browser's session is no key to the API, which takes bearer tokens
// only (and so needs no CSRF token).
func apiIgnoresSessionCookies(t *testing.T, h *harness, admin *pageClient) {
	t.Helper()
	if !admin.signedIn() {
		t.Fatal("the admin is not signed in")
	}
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/workflows", ""},
		{"GET", "/api/executions", ""},
		{"POST", "/api/workflows", `{"name": "x"}`},
	} {
		var body io.Reader
		if req.body != "" {
			body = strings.NewReader(req.body)
		}
		a := send(t, admin.http, h.http.URL, req.method, req.path, body,
			map[string]string{"Content-Type": "application/json", "X-CSRF-Token": admin.csrf})
		if a.status != http.StatusUnauthorized {
			t.Errorf("%s %s with a session cookie and no bearer token = %d, want 401", req.method, req.path, a.status)
		}
	}
}

// statePageRoutes are the page routes that change something: the ones CSRF protects.
func statePageRoutes(routes []web.Route) []web.Route {
	var out []web.Route
	for _, r := range routes {
		if !isAPI(r.Path) && r.Method != http.MethodGet && r.Method != http.MethodHead && isPageRoute(r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// leastRole is the lowest role a route lets in; a route for anyone is asked by a rep.
func leastRole(r web.Route) auth.Role {
	if r.Role == "" {
		return auth.RoleRep
	}
	return r.Role
}
