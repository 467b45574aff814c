package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// The payloads: a script element, an attribute broken out of double quotes into a new element with a
// handler, and one broken out of single quotes into a handler.
const (
	xssScript = `<script>alert("x")</script>`
	xssImg    = `"><img src=x onerror=alert(1)>`
	xssQuote  = `' onmouseover='alert(1)`
)

var xssRaw = []string{xssScript, xssImg, xssQuote}

// xss is a text that holds every payload, tagged so a page showing the wrong field is caught.
func xss(tag string) string { return tag + " " + xssScript + xssImg + xssQuote }

// xssBundle is a server holding payloads in everything people type: a workflow's name and description, its
// steps' names, a task's title, description and form (labels, help, options), a CRM to-do, a lead, a mail's
// subject and a log message that quotes a variable.
type xssBundle struct {
	h                  *harness
	wf                 string
	openRun, failRun   string
	openTask, doneTask string
	lead               string
	answer             string              // what the rep typed into the done task; the failed step's log quotes it
	ids                map[string][]string // collection path segment → the ids behind it
	clients            map[auth.Role]*pageClient
}

func xssSetup(t *testing.T, dbURL string) *xssBundle {
	t.Helper()
	h := start(t, dbURL)
	step := func(id, typ string, next []string, cfg map[string]any) map[string]any {
		return map[string]any{"id": id, "name": xss("Step " + id), "type": typ, "nextSteps": next, "configuration": cfg}
	}
	wf := h.createWorkflow(map[string]any{
		"name": xss("Workflow"), "description": xss("Description"),
		"trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{{"name": "note", "type": "string"}, {"name": "choice", "type": "string"},
			{"name": "other", "type": "string"}},
		"steps": []map[string]any{
			step("todo", "action", []string{"welcome"}, map[string]any{"action": "create_task", "parameters": map[string]any{
				"title": xss("Todo"), "description": xss("Todo description"), "assignee": "rep@example.com", "priority": "high"}}),
			step("welcome", "action", []string{"ask"}, map[string]any{"action": "send_email", "parameters": map[string]any{
				"template": "welcome_qualified_lead", "recipient": "lead@example.com",
				"data": map[string]any{"firstName": "{{note}}", "companyName": "ACME"}}}),
			step("ask", "human_task", []string{"mail"}, map[string]any{"assignee": "rep@example.com",
				"title": xss("Task"), "description": xss("Task description"),
				"formFields": []map[string]any{
					{"name": "note", "label": xss("Label"), "type": "text", "required": true, "help": xss("Help")},
					{"name": "choice", "label": xss("Choice"), "type": "select", "options": []string{xss("Option"), "plain"}},
					{"name": "other", "type": "textarea"},
				}}),
			// The recipient is the rep's answer, which is no address: the step fails and its log quotes it.
			step("mail", "action", []string{}, map[string]any{"action": "send_email", "parameters": map[string]any{
				"template": "welcome_qualified_lead", "recipient": "{{note}}",
				"data": map[string]any{"firstName": "{{note}}", "companyName": "ACME"}}}),
		},
	})
	b := &xssBundle{h: h, wf: wf, answer: xss("Answer")}
	b.openRun = h.startRun(wf, map[string]any{"note": xss("Note")})
	b.openTask = h.openTask(b.openRun).ID
	b.failRun = h.startRun(wf, map[string]any{"note": xss("Note")})
	b.doneTask = h.openTask(b.failRun).ID
	h.must(http.StatusOK, h.rep, "POST", "/api/tasks/"+b.doneTask+"/complete",
		map[string]any{"values": map[string]any{"note": b.answer, "choice": xss("Option"), "other": xss("Other")}}, nil)
	if e := h.waitStatus(b.failRun, "failed"); !strings.Contains(e.Error, strconv.Quote(b.answer)) {
		t.Fatalf("the failed run's error %q does not quote the answer, so the log message test proves nothing", e.Error)
	}
	var lead struct {
		ID string `json:"id"`
	}
	h.must(http.StatusCreated, h.rep, "POST", "/api/leads", map[string]any{"firstName": xss("First"), "lastName": "Lovelace",
		"notes": xss("Notes"), "assignedTo": "rep@example.com",
		// Harmless as text, dangerous as a link.
		"title": "javascript:alert(1)", "source": "javascript:alert(1)"}, &lead)
	b.lead = lead.ID
	b.ids = map[string][]string{"tasks": {b.openTask, b.doneTask}, "executions": {b.openRun, b.failRun},
		"workflows": {b.wf}, "leads": {b.lead}, "templates": {"lead_nurture_sequence"}}
	b.clients = map[auth.Role]*pageClient{}
	for _, role := range matrixRoles {
		b.clients[role] = h.session(roleEmails[role])
	}
	return b
}

// pageText is everything a page says: its text and its attribute values, decoded (not the data its scripts
// read, which nobody sees).
func pageText(doc *goquery.Document) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
		case html.ElementNode:
			if n.Data == "script" {
				return
			}
			for _, a := range n.Attr {
				b.WriteString(" " + a.Val + " ")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range doc.Nodes {
		walk(n)
	}
	return b.String()
}

var eventAttr = regexp.MustCompile(`(?i)^on`)

// xssProblems lists what on a page could run a payload: scripts other than our own files, data islands
// (<script type="application/json">) that are not whole JSON, event-handler attributes, javascript: links,
// elements we never render (img…), and any payload written out raw.
func xssProblems(raw []byte, doc *goquery.Document) []string {
	var out []string
	page := string(raw)
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		src, _ := s.Attr("src")
		typ, _ := s.Attr("type")
		switch {
		case typ == "application/json" && src == "":
			// Data for the page's own script: inert while it stays JSON, which a payload closing the
			// element early would break.
			if !json.Valid([]byte(s.Text())) {
				out = append(out, fmt.Sprintf("a JSON data block that is not JSON: %.200s", s.Text()))
			}
			page = strings.ReplaceAll(page, s.Text(), "")
		case !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "":
			h, _ := goquery.OuterHtml(s)
			out = append(out, "a script we did not write: "+h)
		}
	})
	doc.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if eventAttr.MatchString(a.Key) {
				out = append(out, fmt.Sprintf("<%s> has an event handler %s=%q", goquery.NodeName(s), a.Key, a.Val))
			}
			if a.Key == "src" && goquery.NodeName(s) != "script" {
				out = append(out, fmt.Sprintf("<%s> has src=%q", goquery.NodeName(s), a.Val))
			}
		}
	})
	doc.Find("[href], [action], [formaction], [hx-get], [hx-post]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if v := strings.ToLower(strings.TrimSpace(a.Val)); strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") {
				out = append(out, fmt.Sprintf("<%s> links to %s=%q", goquery.NodeName(s), a.Key, a.Val))
			}
		}
	})
	for _, tag := range []string{"img", "iframe", "object", "embed"} {
		if n := doc.Find(tag).Length(); n > 0 {
			out = append(out, fmt.Sprintf("%d <%s> elements; we render none", n, tag))
		}
	}
	for _, p := range xssRaw {
		if strings.Contains(page, p) {
			out = append(out, fmt.Sprintf("the payload %s is written out unescaped", p))
		}
	}
	return out
}

// xssPage is a page that must show some of the payloads, escaped.
type xssPage struct {
	route  string // the route's path in the table; the page is skipped until the route exists
	url    string
	viewer auth.Role
	htmx   bool
	shows  []string
}

func (b *xssBundle) pages() []xssPage {
	task, taskDesc, label, help, option := xss("Task"), xss("Task description"), xss("Label"), xss("Help"), xss("Option")
	name, desc := xss("Workflow"), xss("Description")
	failed := strconv.Quote(b.answer) // the step's error quotes the value with %q
	rep, manager := auth.RoleRep, auth.RoleManager
	return []xssPage{
		{"/inbox", "/inbox", rep, false, []string{task, xss("Todo"), xss("Todo description")}},
		{"/inbox", "/inbox?whose=team", manager, false, []string{task, xss("Todo")}},
		{"/tasks/:id", "/tasks/" + b.openTask, rep, false, []string{task, taskDesc, label, help, option, xss("Choice")}},
		{"/tasks/:id", "/tasks/" + b.doneTask, rep, false, []string{task, label, b.answer, option, xss("Other")}},
		{"/executions", "/executions", manager, false, []string{name, failed}},
		{"/executions", "/executions?status=failed", manager, false, []string{name, failed}},
		{"/executions", "/executions", manager, true, []string{name, failed}},
		{"/executions/:id", "/executions/" + b.failRun, manager, false, []string{name, xss("Step mail"), xss("Step ask"), failed, task}},
		{"/executions/:id", "/executions/" + b.failRun, manager, true, []string{name, xss("Step mail"), failed}},
		{"/executions/:id", "/executions/" + b.openRun, rep, false, []string{name, xss("Step todo"), task}},
		{"/workflows", "/workflows", manager, false, []string{name, desc}},
		{"/workflows/:id/versions", "/workflows/" + b.wf + "/versions", manager, false, []string{name}},
		{"/workflows/:id/run", "/workflows/" + b.wf + "/run", manager, false, []string{name}},
		{"/crm/leads", "/crm/leads", rep, false, []string{xss("First")}},
		{"/crm/leads/:id", "/crm/leads/" + b.lead, rep, false, []string{xss("First"), xss("Notes")}},
		{"/mail", "/mail", manager, false, []string{xss("Note")}},
	}
}

// routePattern makes route paths comparable whatever their parameters are called.
func routePattern(path string) string {
	return regexp.MustCompile(`:[^/]+`).ReplaceAllString(path, ":")
}

func TestXSS(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		// One server for all four checks (plain calls, not subtests: the harness and its clients fail the
		// test they were made in).
		b := xssSetup(t, dbURL)
		b.pagesShowPayloadsEscaped(t)
		b.everyRoutedPageIsSafe(t)
		b.reflectedInputIsEscaped(t)
		b.apiAnswersAreJSON(t)
	})
}

// pagesShowPayloadsEscaped: the pages that show what people typed show it, as text.
func (b *xssBundle) pagesShowPayloadsEscaped(t *testing.T) {
	h := b.h
	routes := map[string]bool{}
	for _, r := range h.srv.Web.Routes() {
		if r.Method == http.MethodGet {
			routes[routePattern(r.Path)] = true
		}
	}
	for _, p := range b.pages() {
		if !routes[routePattern(p.route)] {
			t.Errorf("no page %s in the route table", p.route)
			continue
		}
		headers := map[string]string{}
		if p.htmx {
			headers["HX-Request"] = "true"
		}
		a := b.clients[p.viewer].send(http.MethodGet, p.url, nil, headers)
		if a.status != http.StatusOK {
			t.Errorf("GET %s as %s = %d, want 200", p.url, p.viewer, a.status)
			continue
		}
		doc := a.doc(t)
		for _, problem := range xssProblems(a.body, doc) {
			t.Errorf("GET %s (htmx %v): %s", p.url, p.htmx, problem)
		}
		text := pageText(doc)
		for _, s := range p.shows {
			if !strings.Contains(text, s) {
				t.Errorf("GET %s (htmx %v) does not show %q", p.url, p.htmx, s)
			}
		}
		if !strings.Contains(string(a.body), "&lt;script&gt;") {
			t.Errorf("GET %s: the payload is not on the page escaped as &lt;script&gt;", p.url)
		}
	}
}

// everyRoutedPageIsSafe: every page the route table has, with every id the payloads live behind, as a
// page and as an htmx fragment; new pages are covered as soon as they are routed.
func (b *xssBundle) everyRoutedPageIsSafe(t *testing.T) {
	h := b.h
	admin := b.clients[auth.RoleAdmin]
	pages := 0
	for _, r := range h.srv.Web.Routes() {
		if r.Method != http.MethodGet || !isPageRoute(r.Path) || r.Role == "" {
			continue
		}
		for _, path := range expandPath(r.Path, b.ids) {
			for _, hx := range []bool{false, true} {
				headers := map[string]string{}
				if hx {
					headers["HX-Request"] = "true"
				}
				a := admin.send(http.MethodGet, path, nil, headers)
				if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
					continue
				}
				pages++
				for _, problem := range xssProblems(a.body, a.doc(t)) {
					t.Errorf("GET %s (%s, htmx %v) = %d: %s", path, r.Name, hx, a.status, problem)
				}
			}
		}
	}
	if pages < 10 {
		t.Fatalf("only %d pages checked", pages)
	}
	t.Logf("%d pages and fragments checked", pages)
}

// reflectedInputIsEscaped: input that comes straight back — an address, a sign-in form, a rejected task
// form (as a page and for htmx).
func (b *xssBundle) reflectedInputIsEscaped(t *testing.T) {
	admin, rep, anon := b.clients[auth.RoleAdmin], b.clients[auth.RoleRep], b.clients[""]
	typed := xss("Typed")
	for _, c := range []struct {
		name   string
		client *pageClient
		method string
		path   string
		form   url.Values
		hx     bool
		shows  string
	}{
		{"an unknown execution", admin, "GET", "/executions/" + url.PathEscape(xss("Id")), nil, false, ""},
		{"an unknown workflow", admin, "GET", "/workflows/" + url.PathEscape(xss("Id")) + "/versions", nil, false, ""},
		{"the sign-in page's next", anon, "GET", "/login?next=" + url.QueryEscape("/"+xss("Next")), nil, false, ""},
		{"a failed sign-in", anon, "POST", "/login", url.Values{"email": {typed}, "password": {"nope"}}, false, typed},
		{"a rejected task form", rep, "POST", "/tasks/" + b.openTask, url.Values{"other": {typed}}, false, typed},
		{"a rejected task form (htmx)", rep, "POST", "/tasks/" + b.openTask, url.Values{"other": {typed}}, true, typed},
	} {
		headers := map[string]string{"X-CSRF-Token": c.client.csrf}
		if c.hx {
			headers["HX-Request"] = "true"
		}
		if c.form != nil {
			c.form.Set("_csrf", c.client.csrf)
		}
		a := c.client.send(c.method, c.path, c.form, headers)
		doc := a.doc(t)
		for _, problem := range xssProblems(a.body, doc) {
			t.Errorf("%s (%s %s = %d): %s", c.name, c.method, c.path, a.status, problem)
		}
		if c.shows != "" && !strings.Contains(pageText(doc), c.shows) {
			t.Errorf("%s (%s %s = %d) does not show what was typed", c.name, c.method, c.path, a.status)
		}
	}
}

// expandPath fills a route's parameters with every id known for the collection before it, or a made-up one.
func expandPath(path string, ids map[string][]string) []string {
	out := []string{""}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		vals := []string{s}
		if s == "*" || strings.HasPrefix(s, ":") {
			vals = []string{"no-such-thing-4711"}
			if i > 0 && len(ids[segs[i-1]]) > 0 {
				vals = ids[segs[i-1]]
			}
		}
		var next []string
		for _, prefix := range out {
			for _, v := range vals {
				next = append(next, prefix+"/"+v)
			}
		}
		out = next
	}
	return out
}

// apiAnswersAreJSON: the API's answers, payloads included, are never HTML for a browser to interpret.
func (b *xssBundle) apiAnswersAreJSON(t *testing.T) {
	h := b.h
	checked := 0
	check := func(what string, a answer) {
		t.Helper()
		checked++
		if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s = %d with Content-Type %q, want application/json", what, a.status, ct)
		}
		if a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no X-Content-Type-Options: nosniff", what)
		}
		if !json.Valid(a.body) {
			t.Errorf("%s: the body is not JSON: %.200s", what, a.body)
		}
	}
	auth := map[string]string{"Authorization": "Bearer " + h.admin}
	for _, r := range h.srv.Web.Routes() {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		for _, path := range expandPath(r.Path, b.ids) {
			check("GET "+path, send(t, nil, h.http.URL, "GET", path, nil, auth))
		}
	}
	// Errors that quote what was sent are JSON too.
	check("an unknown execution", send(t, nil, h.http.URL, "GET", "/api/executions/"+url.PathEscape(xss("Id")), nil, auth))
	check("a lead with a bad field", send(t, nil, h.http.URL, "POST", "/api/leads",
		strings.NewReader(`{"firstName": `+strconv.Quote(xss("First"))+`, "email": `+strconv.Quote(xss("Email"))+`}`),
		map[string]string{"Authorization": "Bearer " + h.rep, "Content-Type": "application/json"}))
	check("a request without a token", send(t, nil, h.http.URL, "GET", "/api/leads/"+b.lead, nil, nil))
	if checked < 10 {
		t.Fatalf("only %d API answers checked", checked)
	}
}
