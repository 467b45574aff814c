package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The designer's server side (docs/DESIGNER.md): its page, the template gallery, the side panels, and the
// JSON endpoints the canvas script calls, driven the way the browser drives them.

// designerJSON sends a JSON request as the designer's script does (session cookie, X-CSRF-Token) and decodes
// the JSON answer into out; it returns the status and the raw answer.
func (c *pageClient) designerJSON(method, path string, body any, out any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.h.http.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		c.t.Fatalf("%s %s answered %d with %q, not JSON", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s answered %d with %s: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode, raw
}

// panel posts a panel form the way htmx does and returns the fragment.
func (c *pageClient) panel(path string, form url.Values) *goquery.Document {
	c.t.Helper()
	status, doc := c.htmx("POST", path, form)
	if status != http.StatusOK || doc == nil {
		c.t.Fatalf("POST %s = %d", path, status)
	}
	return doc
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scriptJSON decodes the JSON text of the element with the id: a <script type="application/json"> of the
// page, or a hidden .panel-data element of a panel (htmx drops scripts from what it swaps in).
func scriptJSON(t *testing.T, doc *goquery.Document, id string, out any) *goquery.Selection {
	t.Helper()
	s := doc.Find(`script[type="application/json"]#` + id + `, div.panel-data[hidden]#` + id)
	if s.Length() != 1 {
		t.Fatalf("%d #%s data elements", s.Length(), id)
	}
	if strings.HasPrefix(id, "panel-") && doc.Find("script").Length() > 0 {
		t.Fatalf("a panel has a <script>, which htmx would drop")
	}
	if err := json.Unmarshal([]byte(s.Text()), out); err != nil {
		t.Fatalf("#%s: %v\n%s", id, err, s.Text())
	}
	return s
}

// panelForm is a rendered panel's form as the browser would send it: every named field, checkboxes and radios
// only when checked.
func panelForm(doc *goquery.Document) url.Values {
	form := url.Values{}
	doc.Find("#panel-form input[name], #panel-form textarea[name], #panel-form select[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		switch goquery.NodeName(s) {
		case "textarea":
			form.Set(name, s.Text())
		case "select":
			v, _ := s.Find("option[selected]").Attr("value")
			form.Set(name, v)
		default:
			typ, _ := s.Attr("type")
			if (typ == "checkbox" || typ == "radio") && s.AttrOr("checked", "\x00") == "\x00" {
				return
			}
			form.Set(name, s.AttrOr("value", ""))
		}
	})
	return form
}

func with(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestDesignerPageAndGallery(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	m := h.session("manager@example.com")

	status, doc := m.get("/workflows/new")
	if status != http.StatusOK {
		t.Fatalf("gallery = %d", status)
	}
	if doc.Find("#start-scratch").AttrOr("href", "") != "/workflows/new?scratch=1" {
		t.Fatalf("no Start from scratch link")
	}
	items := doc.Find("a.template[data-template]")
	if items.Length() != 6 {
		t.Fatalf("gallery lists %d templates, want 6", items.Length())
	}
	items.Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("data-template", "")
		if s.AttrOr("href", "") != "/workflows/new?template="+id {
			t.Errorf("template %s links to %s", id, s.AttrOr("href", ""))
		}
	})
	card := doc.Find(`li[data-template="opportunity_pipeline"]`)
	if !strings.Contains(card.Find("h2").Text(), "Opportunity Pipeline") || card.Find(".gallery-trigger").Text() != "Starts on a CRM event" ||
		card.Find(".gallery-steps").Text() != "10 steps" {
		t.Fatalf("the pipeline's card: %q / %q / %q", card.Find("h2").Text(), card.Find(".gallery-trigger").Text(), card.Find(".gallery-steps").Text())
	}

	// A template opens in the designer, not saved yet.
	status, doc = m.get("/workflows/new?template=lead_nurture_sequence")
	if status != http.StatusOK {
		t.Fatalf("designer on a template = %d", status)
	}
	d := doc.Find("#designer")
	if d.Length() != 1 || d.AttrOr("data-workflow-id", "x") != "" || d.AttrOr("data-version", "x") != "" {
		t.Fatalf("#designer %d, data-workflow-id %q", d.Length(), d.AttrOr("data-workflow-id", "x"))
	}
	var def workflow.Definition
	scriptJSON(t, doc, "definition", &def)
	if def.ID != "" || def.Name != "Lead Nurturing Sequence" || len(def.Steps) != 6 || def.Steps[0].ID != "welcome_email" {
		t.Fatalf("definition %s %q with %d steps", def.ID, def.Name, len(def.Steps))
	}
	var catalog struct {
		Actions []struct {
			Name   string `json:"name"`
			Params []any  `json:"params"`
		} `json:"actions"`
		Events    []string `json:"events"`
		Templates []string `json:"templates"`
		People    []string `json:"people"`
	}
	scriptJSON(t, doc, "catalog", &catalog)
	var actionNames []string
	for _, a := range catalog.Actions {
		actionNames = append(actionNames, a.Name)
	}
	if !strings.Contains(strings.Join(actionNames, ","), "send_email") || !strings.Contains(strings.Join(catalog.Events, ","), "lead_qualified") ||
		!strings.Contains(strings.Join(catalog.Templates, ","), "welcome_qualified_lead") || !strings.Contains(strings.Join(catalog.People, ","), "rep@example.com") {
		t.Fatalf("catalog %+v", catalog)
	}
	if n := doc.Find("#palette .palette-item[data-step-type]").Length(); n != len(catalog.Actions)+4 {
		t.Fatalf("palette has %d items, want one per action and 4 more", n)
	}
	if doc.Find(`#palette .palette-item[data-step-type="action"][data-action="send_email"]`).Length() != 1 ||
		doc.Find(`#palette .palette-item[data-step-type="human_task"]`).Length() != 1 {
		t.Fatal("the palette lacks send_email or human_task")
	}
	for _, id := range []string{"wf-name", "wf-description", "save", "publish", "undo", "redo", "zoom-in", "zoom-out", "layout",
		"export", "import", "test-run", "open-trigger", "open-variables", "designer-status", "palette", "canvas", "panel", "problems"} {
		if doc.Find("#"+id).Length() != 1 {
			t.Errorf("the designer has no #%s", id)
		}
	}
	if v := doc.Find("#wf-name").AttrOr("value", ""); v != "Lead Nurturing Sequence" {
		t.Errorf("#wf-name = %q", v)
	}
	if tok := doc.Find(`meta[name="csrf-token"]`).AttrOr("content", ""); tok == "" || tok != m.csrf {
		t.Errorf("meta csrf-token %q, the page's token %q", tok, m.csrf)
	}
	var scripts []string
	doc.Find("script[src]").Each(func(_ int, s *goquery.Selection) { scripts = append(scripts, s.AttrOr("src", "")) })
	joined := strings.Join(scripts, " ")
	for _, want := range []string{"/static/vendor/drawflow/drawflow.min.js", "/static/vendor/dagre/dagre.min.js", "/static/js/designer.js"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the page does not load %s: %v", want, scripts)
		}
	}
	if !strings.Contains(doc.Find(`link[rel="stylesheet"]`).First().AttrOr("href", ""), "drawflow.min.css") {
		t.Error("drawflow's stylesheet is not linked (first, so ours win)")
	}

	// From scratch: an empty manual workflow. An unknown template is a 404.
	_, doc = m.get("/workflows/new?scratch=1")
	scriptJSON(t, doc, "definition", &def)
	if def.Name != "Untitled workflow" || len(def.Steps) != 0 || def.Trigger.Type != "manual" {
		t.Fatalf("from scratch: %+v", def)
	}
	if status, _ := m.get("/workflows/new?template=no_such_template"); status != http.StatusNotFound {
		t.Fatalf("unknown template = %d", status)
	}

	// A saved workflow opens on its latest version; ?version= opens another.
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	status, doc = m.get("/workflows/" + wf + "/designer")
	if status != http.StatusOK || doc.Find("#designer").AttrOr("data-workflow-id", "") != wf || doc.Find("#designer").AttrOr("data-version", "") != "1" {
		t.Fatalf("designer of %s = %d, data %q v%q", wf, status, doc.Find("#designer").AttrOr("data-workflow-id", ""), doc.Find("#designer").AttrOr("data-version", ""))
	}
	if status, _ := m.get("/workflows/" + wf + "/designer?version=9"); status != http.StatusNotFound {
		t.Fatalf("a version that does not exist = %d", status)
	}
	// The workflows list offers a new workflow and the designer of each.
	_, doc = m.get("/workflows")
	if doc.Find(`a#new-workflow[href="/workflows/new"]`).Length() != 1 || doc.Find(`a.open-designer[href="/workflows/`+wf+`/designer"]`).Length() != 1 {
		t.Fatal("the workflows list lacks New workflow or Open in designer")
	}
}

// stepPanelCases: the panel of each kind of step shows its own inputs.
func TestDesignerStepPanels(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	m := h.session("manager@example.com")
	m.get("/workflows")
	var def map[string]any
	if err := json.Unmarshal(readFile(t, examples("lead_nurture_sequence.json")), &def); err != nil {
		t.Fatal(err)
	}
	steps := def["steps"].([]any)
	steps[len(steps)-1].(map[string]any)["nextSteps"] = []any{"fork"}
	def["steps"] = append(steps,
		map[string]any{"id": "fork", "name": "Fork", "type": "parallel", "configuration": map[string]any{"parallelSteps": []any{"ping", "remember"}}, "nextSteps": []any{}},
		map[string]any{"id": "ping", "name": "Ping", "type": "action", "nextSteps": []any{}, "configuration": map[string]any{"action": "call_api",
			"parameters": map[string]any{"url": "https://api.example.com/x", "headers": map[string]any{"X-Key": "k"}, "timeout": 5.0}}},
		map[string]any{"id": "remember", "name": "Remember", "type": "action", "nextSteps": []any{}, "configuration": map[string]any{"action": "set_variable",
			"parameters": map[string]any{"name": "agenda", "value": "call"}}},
	)
	defJSON, _ := json.Marshal(def)
	for _, tc := range []struct {
		step string
		has  []string // selectors that must match
	}{
		{"welcome_email", []string{`select[name="action"] option[value="send_email"][selected]`, `select[name="param.template"] option[value="welcome_qualified_lead"][selected]`,
			`input[name="param.recipient"][list="pl-suggestions"][value="{{lead.email}}"]`, `textarea[name="param.data"]`, `datalist#pl-suggestions option[value="{{lead.email}}"]`,
			`datalist#pl-suggestions option[value="{{callDate}}"]`}},
		{"wait_3_days", []string{`input[name="delayMode"][value="duration"][checked]`, `input[name="delayMode"][value="until"]`, `input[name="days"][value="3"]`, `input[name="hours"]`, `input[name="minutes"]`,
			`input[name="durationWords"][placeholder="2 business days"]`, `input[name="calendar"]`, `#panel-step[data-kind="Delay"][data-detail="3 days"]`}},
		{"check_engagement", []string{`textarea[name="condition"]`}},
		{"create_task", []string{`select[name="param.priority"] option[value="medium"][selected]`, `input[name="param.dueDate"]`, `input[name="param.assignee"][value="{{lead.assignedTo}}"]`}},
		{"schedule_call", []string{`input[name="assignee"][list="pl-people"]`, `datalist#pl-people option[value="rep@example.com"]`, `input[name="title"]`, `textarea[name="description"]`,
			`input[name="dueDate"]`, `input[name="field.0.name"][value="callDate"]`, `select[name="field.0.type"] option[value="datetime"][selected]`, `input[name="field.0.required"][checked]`,
			`input[name="field.1.name"][value="agenda"]`, `button[name="op"][value="add_field"]`, `button[name="op"][value="remove_field:1"]`, `button[name="op"][value="down:0"]`}},
		{"fork", []string{`select[name="onError"]`}},
		{"ping", []string{`textarea[name="param.headers"]`, `input[name="param.timeout"][value="5"]`, `select[name="param.method"]`, `input[name="param.url"]`}},
		{"remember", []string{`select[name="param.name"] option[value="agenda"][selected]`, `textarea[name="param.value"]`}},
	} {
		doc := m.panel("/designer/panel", url.Values{"definition": {string(defJSON)}, "step": {tc.step}})
		for _, sel := range append(tc.has, `input[name="name"]`, `select[name="onError"]`, `input[name="retryCount"]`, `input[type="hidden"][name="definition"]`,
			`input[type="hidden"][name="step"][value="`+tc.step+`"]`, `input[type="hidden"][name="apply"][value="1"]`) {
			if doc.Find(sel).Length() == 0 {
				t.Errorf("panel of %s: nothing matches %s", tc.step, sel)
			}
		}
		// Every input is labelled, and posts the panel when it changes (not on every keystroke).
		doc.Find("#panel-form input:not([type=hidden]), #panel-form select, #panel-form textarea").Each(func(_ int, s *goquery.Selection) {
			id := s.AttrOr("id", "")
			if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
				t.Errorf("panel of %s: %s %s has no label", tc.step, goquery.NodeName(s), s.AttrOr("name", ""))
			}
			if s.AttrOr("hx-post", "") != "/designer/panel" || s.AttrOr("hx-target", "") != "#panel" || s.AttrOr("hx-include", "") != "#panel form" ||
				s.AttrOr("hx-trigger", "") != "change" {
				t.Errorf("panel of %s: %s does not post the panel when it changes (hx-trigger %q)", tc.step, s.AttrOr("name", ""), s.AttrOr("hx-trigger", ""))
			}
		})
		var step workflow.Step
		ps := scriptJSON(t, doc, "panel-step", &step)
		if step.ID != tc.step || ps.AttrOr("data-problems", "") != "[]" {
			t.Errorf("panel of %s: #panel-step %s, problems %s", tc.step, step.ID, ps.AttrOr("data-problems", ""))
		}
		if want := (tc.step == "welcome_email"); (ps.AttrOr("data-start", "") == "true") != want || (doc.Find(`input[name="start"]`).Length() == 0) != want {
			t.Errorf("panel of %s: data-start %s", tc.step, ps.AttrOr("data-start", ""))
		}
	}
	if status, _ := m.htmx("POST", "/designer/panel", url.Values{"definition": {string(defJSON)}, "step": {"nope"}}); status != http.StatusNotFound {
		t.Errorf("a step that is not there = %d", status)
	}
	if status, _ := m.htmx("POST", "/designer/panel", url.Values{"definition": {"{not json"}, "step": {"x"}}); status != http.StatusBadRequest {
		t.Errorf("a definition that is not JSON = %d", status)
	}
}

// Editing through the panel: the answer carries the edited step, its problems next to their fields.
func TestDesignerPanelEdits(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	m := h.session("manager@example.com")
	m.get("/workflows")
	seed := string(readFile(t, examples("seed-verbatim/lead_nurture_sequence.json")))

	// The seed's JavaScript condition: its error, with the position and the hint, under the condition.
	doc := m.panel("/designer/panel", url.Values{"definition": {seed}, "step": {"check_engagement"}})
	errText := doc.Find(`.field.has-error textarea[name="condition"]`).Parent().Find(".field-error").Text()
	if !strings.Contains(errText, "position 25") || !strings.Contains(errText, `now() - duration("72h")`) {
		t.Fatalf("the condition's error is %q", errText)
	}
	if doc.Find(`textarea[name="condition"]`).AttrOr("aria-invalid", "") != "true" {
		t.Error("the condition is not marked invalid")
	}
	ps := doc.Find("#panel-step")
	var problems []map[string]string
	if err := json.Unmarshal([]byte(ps.AttrOr("data-problems", "")), &problems); err != nil || len(problems) != 1 || problems[0]["stepId"] != "check_engagement" {
		t.Fatalf("data-problems %s", ps.AttrOr("data-problems", ""))
	}

	// Fixing it clears the error; the name edit comes back in #panel-step.
	fixed := `lead.lastInteraction != nil && date(lead.lastInteraction) > now() - duration("72h")`
	doc = m.panel("/designer/panel", with(panelForm(doc), "condition", fixed, "name", "Engaged lately?"))
	if doc.Find(".field-error").Length() != 0 {
		t.Fatalf("errors after the fix: %q", doc.Find(".field-error").Text())
	}
	var step workflow.Step
	ps = scriptJSON(t, doc, "panel-step", &step)
	if step.Name != "Engaged lately?" || step.Configuration["condition"] != fixed || ps.AttrOr("data-problems", "") != "[]" ||
		!reflect.DeepEqual(step.Configuration["trueSteps"], []any{"send_followup"}) {
		t.Fatalf("#panel-step after the edit: %+v, problems %s", step, ps.AttrOr("data-problems", ""))
	}
	if !strings.Contains(doc.Find(`input[name="definition"]`).AttrOr("value", ""), "Engaged lately?") {
		t.Error("the panel's definition does not carry the edit")
	}
	// While someone types in the condition, the answer keeps their textarea (hx-preserve) and the other text
	// fields the server left as they were sent (name, retries, retry delay), so keys pressed while the request
	// was away are not lost; a field's new request replaces its own one in flight.
	form := with(panelForm(doc), "condition", fixed+" && true", "retryDelay", "5", "onError", "retry", "retryCount", "2")
	status, doc := m.do("POST", "/designer/panel", strings.NewReader(form.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", "X-CSRF-Token": m.csrf, "HX-Trigger": "pf-condition"})
	var kept []string
	doc.Find(`[hx-preserve="true"]`).Each(func(_ int, s *goquery.Selection) { kept = append(kept, s.AttrOr("name", "")) })
	if status != http.StatusOK || strings.Join(kept, ",") != "name,condition,retryCount,retryDelay" {
		t.Fatalf("typing in the condition: %d, kept %v", status, kept)
	}
	doc.Find("#panel-form [hx-post]").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("hx-sync", "") != "this:replace" && goquery.NodeName(s) != "form" {
			t.Errorf("%s %s does not replace its own request in flight", goquery.NodeName(s), s.AttrOr("name", ""))
		}
	})
	// The server rewrites a JSON parameter it read (indented): that textarea is not kept, unless typed in.
	wdoc := m.panel("/designer/panel", url.Values{"definition": {seed}, "step": {"welcome_email"}})
	form = with(panelForm(wdoc), "param.data", `{"firstName":"{{lead.firstName}}"}`)
	for trigger, want := range map[string]string{"pf-name": "", "pf-param-data": "true"} {
		_, wdoc = m.do("POST", "/designer/panel", strings.NewReader(form.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", "X-CSRF-Token": m.csrf, "HX-Trigger": trigger})
		if got := wdoc.Find(`textarea[name="param.data"]`).AttrOr("hx-preserve", ""); got != want {
			t.Errorf("sent by %s: the data textarea's hx-preserve = %q, want %q", trigger, got, want)
		}
	}
	// After a builder button nothing is kept: the rows may have moved.
	hdoc := m.panel("/designer/panel", url.Values{"definition": {seed}, "step": {"schedule_call"}})
	form = with(panelForm(hdoc), "op", "down:0")
	_, hdoc = m.do("POST", "/designer/panel", strings.NewReader(form.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", "X-CSRF-Token": m.csrf})
	if n := hdoc.Find(`[hx-preserve]`).Length(); n != 0 || hdoc.Find(`input[name="field.0.name"]`).AttrOr("value", "") != "agenda" {
		t.Fatalf("after moving a field down: %d kept, first field %q", n, hdoc.Find(`input[name="field.0.name"]`).AttrOr("value", ""))
	}

	// The email step: bad JSON in data shows where, and keeps the text; the step keeps its data.
	doc = m.panel("/designer/panel", url.Values{"definition": {seed}, "step": {"welcome_email"}})
	doc = m.panel("/designer/panel", with(panelForm(doc), "param.data", `{"firstName": }`))
	if got := doc.Find(`textarea[name="param.data"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "data is not valid JSON at position 15") {
		t.Fatalf("bad JSON error %q", got)
	}
	if got := doc.Find(`textarea[name="param.data"]`).Text(); got != `{"firstName": }` {
		t.Fatalf("the textarea shows %q, not what was typed", got)
	}
	scriptJSON(t, doc, "panel-step", &step)
	if data, _ := step.Configuration["parameters"].(map[string]any)["data"].(map[string]any); data["firstName"] != "{{lead.firstName}}" {
		t.Fatalf("the step lost its data: %v", step.Configuration)
	}
	// A recipient that is not an address is that field's problem.
	doc = m.panel("/designer/panel", with(panelForm(doc), "param.data", `{"firstName": "{{lead.firstName}}"}`, "param.recipient", "not an address"))
	if got := doc.Find(`input[name="param.recipient"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "not an email address") {
		t.Fatalf("recipient error %q", got)
	}

	// The form builder: add a field, make it the start step.
	doc = m.panel("/designer/panel", url.Values{"definition": {seed}, "step": {"schedule_call"}})
	doc = m.panel("/designer/panel", with(panelForm(doc), "op", "add_field", "start", "1"))
	if doc.Find(`input[name="field.2.name"]`).Length() != 1 {
		t.Fatal("no third field after Add a field")
	}
	if got := doc.Find(`input[name="field.2.name"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "name is empty") {
		t.Errorf("the new blank field's error: %q", got)
	}
	ps = scriptJSON(t, doc, "panel-step", &step)
	if ps.AttrOr("data-start", "") != "true" || len(step.Configuration["formFields"].([]any)) != 3 {
		t.Fatalf("start %s, fields %v", ps.AttrOr("data-start", ""), step.Configuration["formFields"])
	}
	var def workflow.Definition
	if err := json.Unmarshal([]byte(doc.Find(`input[name="definition"]`).AttrOr("value", "")), &def); err != nil || def.Steps[0].ID != "schedule_call" {
		t.Fatalf("the start did not move first: %v", err)
	}
	// Select type shows the options input; delays in hours.
	doc = m.panel("/designer/panel", with(panelForm(doc), "field.1.type", "select"))
	if doc.Find(`input[name="field.1.options"]`).Length() != 1 {
		t.Fatal("a select field has no options input")
	}
	doc = m.panel("/designer/panel", url.Values{"definition": {seed}, "step": {"wait_3_days"}})
	doc = m.panel("/designer/panel", with(panelForm(doc), "days", "0", "hours", "6", "minutes", "30"))
	scriptJSON(t, doc, "panel-step", &step)
	if step.Configuration["duration"] != 23400.0 {
		t.Fatalf("6 h 30 min = %v seconds", step.Configuration["duration"])
	}
}

func TestDesignerTriggerAndVariablesPanels(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	m := h.session("manager@example.com")
	m.get("/workflows")
	base := string(readFile(t, examples("lead_nurture_sequence.json")))

	doc := m.panel("/designer/trigger", url.Values{"definition": {base}})
	if doc.Find(`select[name="triggerType"] option[value="event"][selected]`).Length() != 1 ||
		doc.Find(`select[name="event"] option[value="lead_qualified"][selected]`).Length() != 1 || doc.Find(`input[name="customEvent"]`).Length() != 1 {
		t.Fatal("the event trigger's panel lacks its inputs")
	}
	doc = m.panel("/designer/trigger", with(panelForm(doc), "filter", "lead.score >"))
	if got := doc.Find(`textarea[name="filter"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "event filter") {
		t.Fatalf("filter error %q", got)
	}
	var trig workflow.Trigger
	ps := scriptJSON(t, doc, "panel-trigger", &trig)
	if trig.Configuration["filter"] != "lead.score >" || !strings.Contains(ps.AttrOr("data-problems", ""), "trigger.configuration.filter") {
		t.Fatalf("#panel-trigger %+v %s", trig, ps.AttrOr("data-problems", ""))
	}

	// Scheduled: in words, and the next five runs in the chosen timezone (the clock says Thursday 26 November
	// 2026, 09:00 UTC, so 09:00 in Berlin has passed).
	doc = m.panel("/designer/trigger", with(panelForm(doc), "triggerType", "scheduled"))
	doc = m.panel("/designer/trigger", with(panelForm(doc), "cron", "0 9 * * 1-5", "timezone", "Europe/Berlin"))
	if got := doc.Find("#schedule-preview").Text(); !strings.Contains(got, "every weekday (Monday to Friday) at 09:00") {
		t.Fatalf("schedule in words: %q", got)
	}
	var fires []string
	doc.Find(".next-fires li").Each(func(_ int, s *goquery.Selection) { fires = append(fires, s.Text()) })
	if len(fires) != 5 || fires[0] != "Fri 27 Nov 2026, 09:00 CET" || fires[1] != "Mon 30 Nov 2026, 09:00 CET" {
		t.Fatalf("next fires %q", fires)
	}
	doc = m.panel("/designer/trigger", with(panelForm(doc), "cron", "61 9 * * *"))
	if !strings.Contains(doc.Find("#schedule-preview").Text(), "not a valid cron line") ||
		doc.Find(`input[name="cron"]`).Parent().Find(".field-error").Length() != 1 {
		t.Fatalf("a bad cron line: %q", doc.Find("#panel-form").Text())
	}

	// Webhook: not saved yet, then saved (address, secret, copy buttons, rotate).
	doc = m.panel("/designer/trigger", with(panelForm(doc), "triggerType", "webhook"))
	if !strings.Contains(doc.Find("#webhook-note").Text(), "Save the workflow to get its address") ||
		doc.Find(`input[name="requireSignature"][checked]`).Length() != 1 {
		t.Fatalf("an unsaved webhook workflow: %q", doc.Find("#webhook-box").Text())
	}
	var hookDef map[string]any
	_ = json.Unmarshal([]byte(base), &hookDef)
	hookDef["trigger"] = map[string]any{"type": "webhook", "configuration": map[string]any{}}
	hookDef["id"] = "web_nurture"
	wf := h.createWorkflow(hookDef)
	hookDef["id"] = wf
	hookJSON, _ := json.Marshal(hookDef)
	doc = m.panel("/designer/trigger", url.Values{"definition": {string(hookJSON)}})
	hookURL := doc.Find("#webhook-url").AttrOr("value", "")
	secret := doc.Find("#webhook-secret").AttrOr("value", "")
	if !strings.Contains(hookURL, "/hooks/") || !strings.HasPrefix(secret, "whsec_") ||
		doc.Find(`button[data-copy="`+hookURL+`"]`).Length() != 1 || doc.Find(`button[data-copy="`+secret+`"]`).Length() != 1 {
		t.Fatalf("webhook box: %q %q", hookURL, secret)
	}
	rotate := doc.Find("#webhook-rotate")
	if rotate.AttrOr("hx-post", "") != "/workflows/"+wf+"/designer/webhook/rotate" {
		t.Fatalf("rotate posts to %q", rotate.AttrOr("hx-post", ""))
	}
	doc = m.panel(rotate.AttrOr("hx-post", ""), panelForm(doc))
	if got := doc.Find("#webhook-url").AttrOr("value", ""); got == hookURL || !strings.Contains(got, "/hooks/") {
		t.Fatalf("after rotating the address is %q (was %q)", got, hookURL)
	}

	// Variables: add one, name it, a bad default.
	doc = m.panel("/designer/variables", url.Values{"definition": {base}})
	if doc.Find(`input[name="var.0.name"][value="lead"]`).Length() != 1 || doc.Find(`select[name="var.0.type"] option[value="object"][selected]`).Length() != 1 {
		t.Fatal("the variables panel does not show lead")
	}
	doc = m.panel("/designer/variables", with(panelForm(doc), "op", "add_var"))
	doc = m.panel("/designer/variables", with(panelForm(doc), "var.3.name", "score", "var.3.type", "number", "var.3.default", "7"))
	var vars []workflow.Variable
	ps = scriptJSON(t, doc, "panel-variables", &vars)
	if len(vars) != 4 || vars[3].Name != "score" || vars[3].Type != "number" || vars[3].Default != 7.0 || ps.AttrOr("data-problems", "") != "[]" {
		t.Fatalf("variables %+v problems %s", vars, ps.AttrOr("data-problems", ""))
	}
	doc = m.panel("/designer/variables", with(panelForm(doc), "var.3.default", "seven", "var.1.name", "now"))
	if got := doc.Find(`input[name="var.3.default"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "not valid JSON at position 1") {
		t.Fatalf("bad default: %q", got)
	}
	if got := doc.Find(`input[name="var.1.name"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "reserved word") {
		t.Fatalf("reserved name: %q", got)
	}
}

// Every panel answer says which request it answers: the request's seq comes back as Pantryflow-Panel-Seq,
// on each panel route and also when the request fails; a seq that is not a small positive number does not.
func TestDesignerPanelAnswersCarryTheirSeq(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	m := h.session("manager@example.com")
	m.get("/workflows")
	base := string(readFile(t, examples("lead_nurture_sequence.json")))
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", h.http.URL+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", m.csrf)
		res, err := m.http.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, res.Header.Get("Pantryflow-Panel-Seq")
	}
	for i, c := range []struct {
		path   string
		form   url.Values
		status int
	}{
		{"/designer/panel", url.Values{"definition": {base}, "step": {"welcome_email"}}, http.StatusOK},
		{"/designer/trigger", url.Values{"definition": {base}}, http.StatusOK},
		{"/designer/variables", url.Values{"definition": {base}}, http.StatusOK},
		{"/workflows/no_such_workflow/designer/webhook/rotate", url.Values{"definition": {base}}, http.StatusNotFound},
		{"/designer/variables", url.Values{"definition": {"{not json"}}, http.StatusBadRequest},
	} {
		seq := strconv.Itoa(i + 7)
		status, got := post(c.path, with(c.form, "seq", seq))
		if status != c.status || got != seq {
			t.Errorf("POST %s with seq %s: %d with seq %q, want %d with %q", c.path, seq, status, got, c.status, seq)
		}
	}
	for _, bad := range []string{"", "0", "-3", "seven", "1234567890", "3 4"} {
		form := url.Values{"definition": {base}}
		if bad != "" {
			form.Set("seq", bad)
		}
		if status, got := post("/designer/variables", form); status != http.StatusOK || got != "" {
			t.Errorf("seq %q: %d, echoed as %q", bad, status, got)
		}
	}
}

// saved is the answer of a save.
type saved struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

func TestDesignerSavePublishTestRunExportDiffRestore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		m := h.session("manager@example.com")
		m.get("/workflows/new?scratch=1")

		// The seed's pipeline as written: 422, its problems on the steps they belong to.
		var bad struct {
			Error   string `json:"error"`
			Details []struct {
				Path    string `json:"path"`
				Message string `json:"message"`
				StepID  string `json:"stepId"`
			} `json:"details"`
		}
		seed := json.RawMessage(readFile(t, examples("seed-verbatim/opportunity_pipeline.json")))
		status, raw := m.designerJSON("POST", "/workflows/designer/save", map[string]any{"id": "", "definition": seed}, &bad)
		stepIDs := map[string]bool{}
		for _, d := range bad.Details {
			stepIDs[d.StepID] = true
		}
		if status != http.StatusUnprocessableEntity || !stepIDs["route_next_action"] || !stepIDs["send_demo_followup"] {
			t.Fatalf("save of the seed pipeline = %d %s", status, raw)
		}
		var check struct {
			Problems []struct {
				StepID string `json:"stepId"`
			} `json:"problems"`
		}
		m.designerJSON("POST", "/designer/check", map[string]any{"definition": seed}, &check)
		if len(check.Problems) != len(bad.Details) {
			t.Fatalf("check found %d problems, save %d", len(check.Problems), len(bad.Details))
		}

		// Save new → v1, save again → v2, publish v2.
		var def map[string]any
		if err := json.Unmarshal(readFile(t, examples("lead_nurture_sequence.json")), &def); err != nil {
			t.Fatal(err)
		}
		def["id"] = ""
		var s1, s2 saved
		if status, raw := m.designerJSON("POST", "/workflows/designer/save", map[string]any{"id": "", "definition": def}, &s1); status != http.StatusOK || s1.Version != 1 || s1.ID == "" {
			t.Fatalf("save new = %d %s", status, raw)
		}
		def["id"] = s1.ID
		def["steps"].([]any)[0].(map[string]any)["name"] = "Say hello"
		def["steps"].([]any)[0].(map[string]any)["position"] = map[string]any{"x": 40, "y": 60}
		if status, raw := m.designerJSON("POST", "/workflows/designer/save", map[string]any{"id": s1.ID, "definition": def}, &s2); status != http.StatusOK || s2.Version != 2 || s2.ID != s1.ID {
			t.Fatalf("save again = %d %s", status, raw)
		}
		m.designerJSON("POST", "/designer/check", map[string]any{"definition": def}, &check)
		if len(check.Problems) != 0 {
			t.Fatalf("a valid definition has problems: %+v", check.Problems)
		}
		if status, raw := m.designerJSON("POST", "/workflows/designer/save", map[string]any{"id": s1.ID, "definition": def, "extra": 1}, nil); status != http.StatusBadRequest {
			t.Fatalf("an unknown field = %d %s", status, raw)
		}
		var pub saved
		if status, raw := m.designerJSON("POST", "/workflows/"+s1.ID+"/designer/publish", map[string]any{"version": 2}, &pub); status != http.StatusOK || pub.Version != 2 {
			t.Fatalf("publish = %d %s", status, raw)
		}
		var wfs struct {
			Items []struct {
				ID            string `json:"id"`
				ActiveVersion *int   `json:"activeVersion"`
			} `json:"items"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows", nil, &wfs)
		if len(wfs.Items) != 1 || wfs.Items[0].ActiveVersion == nil || *wfs.Items[0].ActiveVersion != 2 {
			t.Fatalf("after publishing: %+v", wfs.Items)
		}

		// A test run; its status lights the steps: the welcome mail done, the delay waiting; skipping the wait
		// takes it on to the human task.
		var started struct {
			ExecutionID string `json:"executionId"`
		}
		if status, raw := m.designerJSON("POST", "/workflows/"+s1.ID+"/designer/test", map[string]any{"version": 2,
			"variables": map[string]any{"lead": lead(t0.Add(-time.Hour))}}, &started); status != http.StatusOK || started.ExecutionID == "" {
			t.Fatalf("test run = %d %s", status, raw)
		}
		type runStatus struct {
			Status       string            `json:"status"`
			States       map[string]string `json:"states"`
			WaitingUntil *time.Time        `json:"waitingUntil"`
			Log          []map[string]any  `json:"log"`
		}
		poll := func(what string, ok func(runStatus) bool) runStatus {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				var r runStatus
				m.designerJSON("GET", "/designer/runs/"+started.ExecutionID, nil, &r)
				if ok(r) {
					return r
				}
				if time.Now().After(deadline) {
					t.Fatalf("the test run never got %s: %+v", what, r)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		r := poll("to the delay", func(r runStatus) bool { return r.States["wait_3_days"] == "waiting" })
		if r.Status != "waiting" || r.WaitingUntil == nil || r.States["welcome_email"] != "completed" || len(r.Log) == 0 || len(r.Log) > 20 {
			t.Fatalf("while waiting: %+v", r)
		}
		if status, _ := m.do("POST", "/executions/"+started.ExecutionID+"/wake", nil, map[string]string{"X-CSRF-Token": m.csrf}); status >= 400 {
			t.Fatalf("wake = %d", status)
		}
		r = poll("to the human task", func(r runStatus) bool {
			return r.States["schedule_call"] == "waiting" || r.States["send_followup"] == "completed"
		})
		if r.States["check_engagement"] != "completed" || r.States["create_task"] != "" {
			t.Fatalf("after the wait: %+v", r)
		}

		// Export: the saved version as a file, equal to what the API says it is.
		req, _ := http.NewRequest("GET", h.http.URL+"/workflows/"+s1.ID+"/export?version=2", nil)
		res, err := m.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if cd := res.Header.Get("Content-Disposition"); res.StatusCode != http.StatusOK || cd != fmt.Sprintf(`attachment; filename="%s-v2.json"`, s1.ID) {
			t.Fatalf("export = %d, Content-Disposition %q", res.StatusCode, cd)
		}
		var exported, stored workflow.Definition
		if err := json.Unmarshal(body, &exported); err != nil {
			t.Fatal(err)
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+s1.ID+"?version=2", nil, &stored)
		stored.Enabled, exported.Enabled = true, true
		if !reflect.DeepEqual(exported, stored) || exported.Steps[0].Name != "Say hello" || exported.Steps[0].Position == nil || exported.Steps[0].Position.Y != 60 {
			t.Fatalf("export differs from the saved version:\n%s", body)
		}
		var sent workflow.Definition
		b, _ := json.Marshal(def)
		_ = json.Unmarshal(b, &sent)
		if !reflect.DeepEqual(sent.Steps, exported.Steps) || !reflect.DeepEqual(sent.Trigger, exported.Trigger) || !reflect.DeepEqual(sent.Variables, exported.Variables) {
			t.Fatal("the export is not the definition that was saved")
		}

		// Diff v1 → v2: the renamed step, nothing else.
		status, doc := m.get("/workflows/" + s1.ID + "/diff?from=1&to=2")
		if status != http.StatusOK {
			t.Fatalf("diff = %d", status)
		}
		rows := doc.Find("#diff-steps tbody tr")
		if rows.Length() != 1 || rows.AttrOr("data-step-id", "") != "welcome_email" || rows.AttrOr("data-kind", "") != "changed" ||
			rows.Find(`.diff-field[data-field="name"]`).Length() != 1 || !strings.Contains(rows.Find(".diff-after").Text(), "Say hello") {
			t.Fatalf("diff rows: %q", rows.Text())
		}
		if got := strings.Join(strings.Fields(rows.Find(`.diff-field[data-field="name"] .diff-words`).Text()), " "); got != "Name: Send Welcome Email → Say hello" {
			t.Errorf("the renamed step is said as %q", got)
		}
		if doc.Find("#diff-settings").Length() != 0 {
			t.Fatalf("settings changed? %q", doc.Find("#diff-settings").Text())
		}

		// The versions page compares and restores; restoring v1 makes v3 and opens it in the designer.
		_, doc = m.get("/workflows/" + s1.ID + "/versions")
		if doc.Find(`a.compare[href="/workflows/`+s1.ID+`/diff?from=1&to=2"]`).Length() != 1 || doc.Find("form.restore").Length() != 1 {
			t.Fatal("the versions page lacks Compare or Restore")
		}
		status, _ = m.post("/workflows/"+s1.ID+"/versions/1/restore", nil)
		if status != http.StatusSeeOther {
			t.Fatalf("restore = %d", status)
		}
		var versions struct {
			Items []struct {
				Version int    `json:"version"`
				Status  string `json:"status"`
			} `json:"items"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+s1.ID+"/versions", nil, &versions)
		var v3, v1 workflow.Definition
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+s1.ID+"?version=3", nil, &v3)
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+s1.ID+"?version=1", nil, &v1)
		if len(versions.Items) != 3 || versions.Items[0].Version != 3 || versions.Items[0].Status != "draft" ||
			!reflect.DeepEqual(v3.Steps, v1.Steps) || v3.Steps[0].Name != "Send Welcome Email" {
			t.Fatalf("after restoring v1: %+v", versions.Items)
		}
		_, doc = m.get("/workflows/" + s1.ID + "/designer?version=3")
		if doc.Find("#designer").AttrOr("data-version", "") != "3" || !strings.Contains(doc.Find(".flash").Text(), "Version 1 is back as version 3") {
			t.Fatalf("the designer after restoring: v%s, flash %q", doc.Find("#designer").AttrOr("data-version", ""), doc.Find(".flash").Text())
		}
	})
}

// Reps may use none of it; admins may.
func TestDesignerRoutesNeedManager(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	rep := h.session("rep@example.com")
	rep.get("/inbox")
	checked := 0
	for _, r := range h.srv.Web.Routes() {
		if !strings.HasPrefix(r.Name, "designer.") && r.Name != "workflows.export" && r.Name != "workflows.restore" && r.Name != "workflows.diff" {
			continue
		}
		checked++
		path := strings.NewReplacer(":id", wf, ":v", "1", ":executionId", "x").Replace(r.Path)
		if status, _ := rep.do(r.Method, path, strings.NewReader(url.Values{"_csrf": {rep.csrf}}.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": rep.csrf}); status != http.StatusForbidden {
			t.Errorf("a rep: %s %s = %d, want 403", r.Method, path, status)
		}
		if r.Method == http.MethodPost {
			var body struct {
				Error string `json:"error"`
			}
			if status, raw := rep.designerJSON(r.Method, path, map[string]any{}, &body); status != http.StatusForbidden || body.Error == "" {
				t.Errorf("a rep's JSON: %s %s = %d %s, want a JSON 403", r.Method, path, status, raw)
			}
		}
	}
	if checked != 15 {
		t.Fatalf("checked %d designer routes, want 15", checked)
	}
	admin := h.session("admin@example.com")
	if status, _ := admin.get("/workflows/" + wf + "/designer"); status != http.StatusOK {
		t.Fatalf("an admin's designer = %d", status)
	}
}

// A task's SLA is set in its panel: reminders, an escalation and the team's rule come back in the step;
// a reminder written wrong is that field's problem, in words, and the due date's problem (reminders with
// no due date) stands under Due.
func TestDesignerPanelEditsATasksSLA(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	h.must(http.StatusCreated, h.admin, "POST", "/api/teams", map[string]any{"name": "closers", "members": []string{"rep@example.com"}}, nil)
	m := h.session("manager@example.com")
	m.get("/workflows")
	seed := string(readFile(t, examples("lead_nurture_sequence.json")))
	doc := m.panel("/designer/panel", url.Values{"definition": {seed}, "step": {"schedule_call"}})
	if doc.Find(`#task-sla select[name="assignment"]`).Length() != 1 || doc.Find(`#task-sla input[name="reminders"]`).Length() != 1 ||
		!doc.Find(`#task-sla input[name="escalation.notify"]`).Is(":checked") || !doc.Find(`#task-sla input[name="delegation"]`).Is(":checked") {
		t.Fatalf("the task's panel has no SLA fields, or their defaults are off: %s", squash(doc.Find("#task-sla")))
	}
	if doc.Find(`datalist#pl-people option[value="team:closers"]`).Length() != 1 {
		t.Error("the assignee's suggestions do not offer team:closers")
	}

	// Reminders with no due date: the problem is under Due, and says what to do.
	doc = m.panel("/designer/panel", with(panelForm(doc), "reminders", "-4h, 0h"))
	if got := doc.Find(`input[name="dueDate"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "give it a due") {
		t.Errorf("reminders without a due date: the Due field says %q", got)
	}
	// A reminder written wrong is the reminders' problem.
	doc = m.panel("/designer/panel", with(panelForm(doc), "dueDate", "+8 business hours", "reminders", "-4h, soon"))
	if got := doc.Find(`input[name="reminders"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, "reminder 2") {
		t.Errorf("a reminder written wrong: the Reminders field says %q", got)
	}
	doc = m.panel("/designer/panel", with(panelForm(doc), "assignee", "team:closers", "assignment", "round_robin", "reminders", "-4h, 0h",
		"escalation.after", "2h", "escalation.to", "manager"))
	var step workflow.Step
	ps := scriptJSON(t, doc, "panel-step", &step)
	if ps.AttrOr("data-problems", "") != "[]" {
		t.Fatalf("problems after setting the SLA: %s", ps.AttrOr("data-problems", ""))
	}
	cfg := step.Configuration
	esc, _ := cfg["escalation"].(map[string]any)
	if cfg["dueDate"] != "+8 business hours" || cfg["assignment"] != "round_robin" || !reflect.DeepEqual(cfg["reminders"], []any{"-4h", "0h"}) ||
		esc["after"] != "2h" || esc["to"] != "manager" || esc["notify"] != true {
		t.Fatalf("the step after setting its SLA: %v", cfg)
	}
}
