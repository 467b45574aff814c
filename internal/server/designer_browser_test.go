package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The designer's browser tests drive static/js/designer.js on the real page (docs/DESIGNER.md). Drags are
// real mouse input: mousePressed, a series of mouseMoved and mouseReleased sent through the DevTools input
// domain, which chromium turns into the pointer and mouse events a person's hand makes. The palette listens
// to pointer events and drawflow to mouse events; both see the same drag.

// evalJS evaluates a JavaScript expression in the page and decodes its value.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is true; what says what the test waits for.
func (b *browser) waitJS(expr, what string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			status, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.getElementById('designer-status') || {}).textContent || ''`))
			panel, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#panel script')].map(e => e.outerHTML.slice(0, 300)).join(' | ') + ' ## ' + ((document.getElementById('panel') || {}).textContent || '').replace(/\s+/g, ' ').slice(0, 300)`))
			b.screenshot("failed-" + strings.NewReplacer("/", "-", " ", "-").Replace(b.t.Name()))
			b.t.Fatalf("waited 20 s for %s (%s); error %v; designer status %q; panel %q", what, expr, err, status, panel)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// center is the middle of the first element matching sel, in viewport pixels.
func (b *browser) center(sel string) (float64, float64) {
	b.t.Helper()
	p := evalJS[[]float64](b, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return [];
		const r = el.getBoundingClientRect();
		return [r.x + r.width / 2, r.y + r.height / 2];
	})()`, sel))
	if len(p) != 2 {
		b.t.Fatalf("no element %s", sel)
	}
	return p[0], p[1]
}

// mouseDrag presses the left button at (fx, fy), moves to (tx, ty) in steps and releases it there: a custom
// action over the DevTools input domain.
func mouseDrag(fx, fy, tx, ty float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		send := func(typ input.DispatchMouseEventType, x, y float64) error {
			p := input.DispatchMouseEventParams{Type: typ, X: x, Y: y, Button: input.MouseButtonLeft}
			switch typ {
			case chromedp.MousePressed:
				p.Buttons, p.ClickCount = 1, 1
			case chromedp.MouseMoved:
				p.Buttons = 1
			case chromedp.MouseReleased:
				p.ClickCount = 1
			}
			_, err := cdp.Call(ctx, t, input.DispatchMouseEvent, p)
			return err
		}
		if err := send(chromedp.MouseMoved, fx, fy); err != nil {
			return err
		}
		if err := send(chromedp.MousePressed, fx, fy); err != nil {
			return err
		}
		const steps = 12
		for i := 1; i <= steps; i++ {
			f := float64(i) / steps
			if err := send(chromedp.MouseMoved, fx+(tx-fx)*f, fy+(ty-fy)*f); err != nil {
				return err
			}
		}
		return send(chromedp.MouseReleased, tx, ty)
	})
}

// stepIDs are the ids of the steps on the canvas, start first.
func (b *browser) stepIDs() []string {
	return evalJS[[]string](b, `window.designer.definition().steps.map(s => s.id)`)
}

// dragStep drags a palette item to a point of the canvas and returns the new step's id.
func (b *browser) dragStep(item string, x, y float64) string {
	b.t.Helper()
	before := b.stepIDs()
	fx, fy := b.center(item)
	b.run(mouseDrag(fx, fy, x, y))
	b.waitJS(fmt.Sprintf(`window.designer.definition().steps.length === %d`, len(before)+1), "the dropped step on the canvas")
	for _, id := range b.stepIDs() {
		if !slices.Contains(before, id) {
			return id
		}
	}
	b.t.Fatalf("no new step after dropping %s", item)
	return ""
}

func nodeSel(stepID string) string {
	return fmt.Sprintf(`#canvas .drawflow-node[data-step-id=%q]`, stepID)
}

// connect drags from an output port of one step to the input of another and waits for the link.
func (b *browser) connect(from string, port int, to string) {
	b.t.Helper()
	fx, fy := b.center(nodeSel(from) + fmt.Sprintf(" .output_%d", port))
	tx, ty := b.center(nodeSel(to) + " .input_1")
	b.run(mouseDrag(fx, fy, tx, ty))
	b.waitJS(fmt.Sprintf(`(() => {
		const d = window.designer.definition();
		const s = d.steps.find(s => s.id === %q);
		const lists = [s.nextSteps, (s.configuration || {}).trueSteps, (s.configuration || {}).falseSteps, (s.configuration || {}).parallelSteps];
		return lists.some(l => (l || []).includes(%q));
	})()`, from, to), fmt.Sprintf("a link %s → %s", from, to))
}

// selectStep clicks a step and waits for its panel.
func (b *browser) selectStep(stepID string) {
	b.t.Helper()
	if !evalJS[bool](b, fmt.Sprintf(`window.designer.reveal(%q)`, stepID)) {
		b.t.Fatalf("no step %s on the canvas", stepID)
	}
	x, y := b.center(nodeSel(stepID) + " .node-name")
	b.run(chromedp.MouseClickXY(x, y))
	b.waitJS(fmt.Sprintf(`document.getElementById('panel').dataset.stepId === %q && document.querySelector('#panel [name="step"]').value === %q`, stepID, stepID),
		"the panel of "+stepID)
}

func panelField(name string) string { return fmt.Sprintf(`#panel [name=%q]`, name) }

// settle waits until the panel has no request in flight and was not swapped between two looks 150 ms apart.
// Only the answer to the newest panel request is swapped in, and the field that sent that request is on the
// page (marked htmx-request, from the event that sent it: no panel request is delayed) while it is away, so
// no answer changes the panel after settle returns.
func (b *browser) settle() {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		now := evalJS[string](b, `(document.querySelector('#panel.htmx-request, #panel .htmx-request, #designer .htmx-request') ? 'busy' : '') + (document.getElementById('panel').dataset.swaps || '0')`)
		if now == last && !strings.HasPrefix(now, "busy") {
			return
		}
		last = now
		time.Sleep(150 * time.Millisecond)
	}
	b.t.Fatal("the panel never settled")
}

// typeInto replaces the text of a panel field by typing it and leaving the field with Tab, as a person does:
// a panel posts a text field when it changes, that is when it is left.
func (b *browser) typeInto(name, text string) {
	b.t.Helper()
	b.settle()
	b.waitJS(fmt.Sprintf(`document.querySelector(%q)`, panelField(name)), "the panel field "+name)
	// Focus the field and select its text (typing replaces it), then type: key events go to the focused
	// element, so a panel swapped in meanwhile cannot leave the test holding a stale node.
	evalJS[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.select(); return true; })()`, panelField(name)))
	b.run(chromedp.KeyEvent(text), chromedp.KeyEvent("\t"))
}

// choose picks a select's option (or sets a field) and fires change, as picking with the mouse does.
func (b *browser) choose(name, value string) {
	b.t.Helper()
	b.settle()
	b.run(chromedp.WaitVisible(chromedp.CSS(panelField(name))))
	evalJS[bool](b, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, panelField(name), value))
}

// check ticks or clears a checkbox of the panel with one click, as a person does, and waits until the
// panel, settled, shows it so.
func (b *browser) check(name string, on bool) {
	b.t.Helper()
	sel := panelField(name)
	b.settle()
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)))
	checked := fmt.Sprintf(`document.querySelector(%q).checked === %v`, sel, on)
	if evalJS[bool](b, checked) {
		return
	}
	b.run(chromedp.Click(chromedp.CSS(sel)))
	b.settle()
	b.waitJS(checked, fmt.Sprintf("the checkbox %s %v after one click", name, on))
}

// clickOp presses one of the panel's builder buttons (op=add_field, op=add_var…).
func (b *browser) clickOp(op string) {
	b.t.Helper()
	b.settle()
	// The button's own click(), not a mouse click at its coordinates: with several browsers on two cores
	// a panel can still shift between finding the button and pressing it, and the press then misses.
	sel := fmt.Sprintf(`#panel button[name="op"][value=%q]`, op)
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)))
	evalJS[bool](b, fmt.Sprintf(`(() => { document.querySelector(%q).click(); return true; })()`, sel))
}

// waitStep waits until the canvas holds a step whose JSON satisfies cond (a JS expression on s).
func (b *browser) waitStep(stepID, cond, what string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf(`(() => { const s = window.designer.definition().steps.find(s => s.id === %q); return s && (%s); })()`, stepID, cond), what)
}

func (b *browser) openDesigner(path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.h.http.URL + path))
	b.waitJS(`document.getElementById('designer') && document.getElementById('designer').dataset.ready === 'true'`, "the designer at "+path)
}

// A manager builds the lead nurture workflow from nothing by drag-and-drop: six steps from the palette,
// connected port to port (the condition's yes and no), configured through the side panels, with its trigger
// and variables; saves, publishes, and a qualified lead runs it. Its export equals the example apart from
// positions, metadata and the ids the designer made up.
func TestBrowserDesignerBuildsLeadNurtureByDragAndDrop(t *testing.T) {
	t.Parallel()
	eachDBAtOnce(t, buildLeadNurtureInTheDesigner)
}

func buildLeadNurtureInTheDesigner(t *testing.T, url string) {
	h := start(t, url)
	b := newBrowser(t, h, 1440, 1000)
	b.signIn("manager@example.com")
	b.run(chromedp.Navigate(h.http.URL+"/workflows/new"), chromedp.Click(chromedp.ID("start-scratch")))
	b.waitJS(`document.getElementById('designer') && document.getElementById('designer').dataset.ready === 'true'`, "the designer on a new workflow")
	if n := len(b.stepIDs()); n != 0 {
		t.Fatalf("a new workflow starts with %d steps", n)
	}

	b.typeIntoBar("wf-name", "Lead Nurturing Sequence")
	b.typeIntoBar("wf-description", "Automated nurturing for qualified leads")

	// The trigger and the variables first, so the steps' templates refer to declared variables.
	b.run(chromedp.Click(chromedp.ID("open-trigger")))
	b.choose("triggerType", "event")
	b.waitJS(`document.querySelector('#panel [name="event"]')`, "the event field")
	b.choose("event", "lead_qualified")
	b.waitJS(`window.designer.definition().trigger.type === 'event' && window.designer.definition().trigger.configuration.event === 'lead_qualified'`, "the event trigger")

	b.run(chromedp.Click(chromedp.ID("open-variables")))
	for i, v := range []struct {
		name, typ string
		required  bool
	}{{"lead", "object", true}, {"callDate", "string", false}, {"agenda", "string", false}} {
		b.waitJS(`document.getElementById('panel').dataset.shows === 'variables'`, "the variables panel")
		b.clickOp("add_var")
		p := fmt.Sprintf("var.%d.", i)
		b.waitJS(fmt.Sprintf(`document.querySelector(%q)`, panelField(p+"name")), "variable row "+p)
		b.typeInto(p+"name", v.name)
		b.waitJS(fmt.Sprintf(`(window.designer.definition().variables[%d] || {}).name === %q`, i, v.name), "variable "+v.name)
		b.choose(p+"type", v.typ)
		b.waitJS(fmt.Sprintf(`(window.designer.definition().variables[%d] || {}).type === %q`, i, v.typ), "the type of "+v.name)
		if v.required {
			b.check(p+"required", true)
			b.waitJS(fmt.Sprintf(`(window.designer.definition().variables[%d] || {}).required === true`, i), v.name+" required")
		}
	}

	// Zoom out so six steps fit side by side, then drop them in a 3 × 2 grid.
	b.run(chromedp.Click(chromedp.ID("zoom-out")), chromedp.Click(chromedp.ID("zoom-out")))
	box := evalJS[[]float64](b, `(() => { const r = document.getElementById('canvas').getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()`)
	at := func(col, row int) (float64, float64) {
		return box[0] + box[2]*(0.17+0.32*float64(col)), box[1] + box[3]*(0.25+0.4*float64(row))
	}
	x, y := at(0, 0)
	welcome := b.dragStep(`.palette-item[data-action="send_email"]`, x, y)
	x, y = at(1, 0)
	wait := b.dragStep(`.palette-item[data-step-type="delay"]`, x, y)
	x, y = at(2, 0)
	check := b.dragStep(`.palette-item[data-step-type="condition"]`, x, y)
	x, y = at(0, 1)
	followup := b.dragStep(`.palette-item[data-action="send_email"]`, x, y)
	x, y = at(1, 1)
	task := b.dragStep(`.palette-item[data-action="create_task"]`, x, y)
	x, y = at(2, 1)
	call := b.dragStep(`.palette-item[data-step-type="human_task"]`, x, y)
	if got := b.stepIDs(); got[0] != welcome {
		t.Fatalf("the first step dropped on a new workflow should be the start; steps %v", got)
	}
	if !evalJS[bool](b, fmt.Sprintf(`document.querySelector(%q).classList.contains('start')`, nodeSel(welcome))) {
		t.Fatal("the start step is not marked")
	}

	b.connect(welcome, 1, wait)
	b.connect(wait, 1, check)
	b.connect(check, 1, followup) // yes
	b.connect(check, 2, task)     // no
	b.connect(followup, 1, call)

	// Configure each step through its panel.
	b.selectStep(welcome)
	welcome = b.rename(welcome, "Send Welcome Email", "send_welcome_email")
	b.setParam(welcome, "template", "welcome_qualified_lead")
	b.typeInto("param.recipient", "{{lead.email}}")
	b.waitStep(welcome, `s.configuration.parameters.recipient === '{{lead.email}}'`, "the welcome recipient")
	b.typeInto("param.data", `{"firstName": "{{lead.firstName}}", "companyName": "{{lead.company.name}}"}`)
	b.waitStep(welcome, `s.configuration.parameters.data && s.configuration.parameters.data.companyName === '{{lead.company.name}}'`, "the welcome mail's data")

	b.selectStep(wait)
	wait = b.rename(wait, "Wait 3 Days", "wait_3_days")
	b.typeInto("days", "3")
	b.typeIntoIfPresent("hours", "0")
	b.typeIntoIfPresent("minutes", "0")
	b.waitStep(wait, `s.configuration.duration === 259200`, "a delay of 3 days")

	b.selectStep(check)
	check = b.rename(check, "Check Lead Engagement", "check_lead_engagement")
	const cond = `lead.lastInteraction != nil && date(lead.lastInteraction) > now() - duration("72h")`
	b.typeInto("condition", cond)
	b.waitStep(check, fmt.Sprintf(`s.configuration.condition === %q`, cond), "the condition")

	b.selectStep(followup)
	followup = b.rename(followup, "Send Follow-up Email", "send_follow_up_email")
	b.setParam(followup, "template", "followup_engaged_lead")
	b.typeInto("param.recipient", "{{lead.email}}")
	b.waitStep(followup, `s.configuration.parameters.recipient === '{{lead.email}}'`, "the follow-up recipient")

	b.selectStep(task)
	task = b.rename(task, "Create Follow-up Task", "create_follow_up_task")
	for _, p := range [][2]string{{"title", "Follow up with unengaged lead"}, {"description", "Lead has not engaged in 3 days"}, {"assignee", "{{lead.assignedTo}}"}, {"priority", "medium"}} {
		b.setParam(task, p[0], p[1])
	}

	b.selectStep(call)
	call = b.rename(call, "Schedule Discovery Call", "schedule_discovery_call")
	for _, f := range [][2]string{{"assignee", "{{lead.assignedTo}}"}, {"title", "Schedule Discovery Call"}, {"description", "Schedule a discovery call with engaged lead"}} {
		b.typeInto(f[0], f[1])
		b.waitStep(call, fmt.Sprintf(`s.configuration[%q] === %q`, f[0], f[1]), "the human task's "+f[0])
	}
	for i, f := range []struct {
		name, typ string
		required  bool
	}{{"callDate", "datetime", true}, {"agenda", "text", false}} {
		b.clickOp("add_field")
		p := fmt.Sprintf("field.%d.", i)
		b.waitStep(call, fmt.Sprintf(`(s.configuration.formFields || []).length === %d`, i+1), "form field row "+p)
		b.typeInto(p+"name", f.name)
		b.waitStep(call, fmt.Sprintf(`s.configuration.formFields[%d].name === %q`, i, f.name), "form field "+f.name)
		b.choose(p+"type", f.typ)
		b.waitStep(call, fmt.Sprintf(`s.configuration.formFields[%d].type === %q`, i, f.typ), "the type of "+f.name)
		if f.required {
			b.check(p+"required", true)
			b.waitStep(call, fmt.Sprintf(`s.configuration.formFields[%d].required === true`, i), f.name+" required")
		}
	}
	b.screenshot("designer-built-1440")

	// Save, publish.
	b.run(chromedp.Click(chromedp.ID("save")))
	b.waitText("#designer-status", "Saved")
	wf := evalJS[string](b, `document.getElementById('designer').dataset.workflowId`)
	if wf == "" || !strings.HasSuffix(evalJS[string](b, `location.pathname`), "/workflows/"+wf+"/designer") {
		t.Fatalf("after saving, the page is at %s for workflow %q", evalJS[string](b, `location.pathname`), wf)
	}
	if n := evalJS[int](b, `document.querySelectorAll('#canvas .has-error').length`); n != 0 {
		t.Fatalf("%d steps are marked with problems after a clean save: %s", n, b.text("#problems"))
	}
	b.run(chromedp.Click(chromedp.ID("publish")))
	b.waitText("#designer-status", "Published")

	// A qualified lead starts it; the welcome mail goes out.
	var company, lead record
	h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &company)
	h.must(http.StatusCreated, h.rep, "POST", "/api/leads", record{"firstName": "Jane", "lastName": "Doe",
		"email": "jane@acme.example", "companyId": company["id"], "assignedTo": "rep@example.com"}, &lead)
	h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+lead["id"].(string), record{"status": "qualified"}, nil)
	runs := h.waitExecutions(wf, 1)
	e := h.waitLog(runs.Items[0]["id"].(string), welcome, workflow.LogCompleted)
	if e.WorkflowID != wf {
		t.Fatalf("the run belongs to %s", e.WorkflowID)
	}

	// The export (the designer's export route, and the API) equals the example.
	exported := evalJS[string](b, fmt.Sprintf(`fetch('/workflows/%s/export').then(r => r.ok ? r.text() : 'status ' + r.status)`, wf))
	var viaAPI json.RawMessage
	h.must(http.StatusOK, h.manager, "GET", "/api/workflows/"+wf, nil, &viaAPI)
	want, err := os.ReadFile(examples("lead_nurture_sequence.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"export": []byte(exported), "api": viaAPI} {
		if diff := sameWorkflow(t, want, got); diff != "" {
			t.Errorf("the %s of the workflow built in the designer differs from the example: %s\n%s", name, diff, got)
		}
	}
}

// typeIntoBar types into a field of the designer's top bar.
func (b *browser) typeIntoBar(id, text string) {
	b.t.Helper()
	evalJS[bool](b, fmt.Sprintf(`(() => { const el = document.getElementById(%q); el.focus(); el.select(); return true; })()`, id))
	b.run(chromedp.KeyEvent(text))
}

// typeIntoIfPresent types into a panel field when the panel has it.
func (b *browser) typeIntoIfPresent(name, text string) {
	b.t.Helper()
	if evalJS[bool](b, fmt.Sprintf(`!!document.querySelector(%q)`, panelField(name))) {
		b.typeInto(name, text)
	}
}

// setParam sets an action parameter through the panel: picked when the panel offers a list, typed otherwise.
func (b *browser) setParam(stepID, name, value string) {
	b.t.Helper()
	field := "param." + name
	b.waitJS(fmt.Sprintf(`document.querySelector(%q)`, panelField(field)), "the panel field "+field)
	if evalJS[string](b, fmt.Sprintf(`document.querySelector(%q).tagName`, panelField(field))) == "SELECT" {
		b.choose(field, value)
	} else {
		b.typeInto(field, value)
	}
	b.waitStep(stepID, fmt.Sprintf(`(s.configuration.parameters || {})[%q] === %q`, name, value), stepID+"'s "+name)
}

// rename types a new name into the open panel of a step and returns the step's id: until the workflow is
// published the id follows the name, so it must be want, and the old id must be gone.
func (b *browser) rename(stepID, name, want string) string {
	b.t.Helper()
	b.typeInto("name", name)
	b.waitStep(want, fmt.Sprintf(`s.name === %q`, name), "the step renamed "+name+" with the id "+want)
	if stepID != want && evalJS[bool](b, fmt.Sprintf(`window.designer.definition().steps.some(s => s.id === %q)`, stepID)) {
		b.t.Fatalf("renaming %s to %q kept the old id", stepID, name)
	}
	if got := evalJS[string](b, `document.querySelector('#panel input[name="step"]').value`); got != want {
		b.t.Fatalf("after renaming, the panel edits step %q, want %q", got, want)
	}
	return want
}

// sameWorkflow compares two definitions apart from positions, metadata, the workflow's id and version, and
// the step ids (mapped by order: the designer puts the start first and the rest in the order they were
// dropped). It returns what differs, or "".
func sameWorkflow(t *testing.T, wantRaw, gotRaw []byte) string {
	t.Helper()
	var want, got map[string]any
	if err := json.Unmarshal(wantRaw, &want); err != nil {
		t.Fatalf("example: %v", err)
	}
	if err := json.Unmarshal(gotRaw, &got); err != nil {
		return fmt.Sprintf("not JSON: %v", err)
	}
	wantSteps, _ := want["steps"].([]any)
	gotSteps, _ := got["steps"].([]any)
	if len(wantSteps) != len(gotSteps) {
		return fmt.Sprintf("%d steps, want %d", len(gotSteps), len(wantSteps))
	}
	ids := map[string]string{}
	for i := range gotSteps {
		ids[gotSteps[i].(map[string]any)["id"].(string)] = wantSteps[i].(map[string]any)["id"].(string)
	}
	mapIDs := func(v any) any {
		list, _ := v.([]any)
		out := []any{}
		for _, id := range list {
			if m, ok := ids[id.(string)]; ok {
				out = append(out, m)
			} else {
				out = append(out, "unknown:"+id.(string))
			}
		}
		return out
	}
	norm := func(def map[string]any, rename bool) map[string]any {
		out := map[string]any{}
		for k, v := range def {
			switch k {
			case "id", "version", "metadata", "steps":
			default:
				out[k] = v
			}
		}
		var steps []any
		for _, raw := range def["steps"].([]any) {
			s := map[string]any{}
			for k, v := range raw.(map[string]any) {
				if k != "position" {
					s[k] = v
				}
			}
			cfg, _ := s["configuration"].(map[string]any)
			if rename {
				s["id"] = ids[s["id"].(string)]
				s["nextSteps"] = mapIDs(s["nextSteps"])
				for _, k := range []string{"trueSteps", "falseSteps", "parallelSteps"} {
					if _, ok := cfg[k]; ok {
						cfg[k] = mapIDs(cfg[k])
					}
				}
			}
			steps = append(steps, s)
		}
		out["steps"] = steps
		return out
	}
	w, g := norm(want, false), norm(got, true)
	if reflect.DeepEqual(w, g) {
		return ""
	}
	var diffs []string
	for _, k := range []string{"name", "description", "enabled", "trigger", "variables"} {
		if !reflect.DeepEqual(w[k], g[k]) {
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", k, jsonText(g[k]), jsonText(w[k])))
		}
	}
	ws, gs := w["steps"].([]any), g["steps"].([]any)
	for i := range ws {
		if !reflect.DeepEqual(ws[i], gs[i]) {
			diffs = append(diffs, fmt.Sprintf("step %d: got %s, want %s", i+1, jsonText(gs[i]), jsonText(ws[i])))
		}
	}
	return strings.Join(diffs, "\n")
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Importing the seed's examples as the seed wrote them marks each validation error on the step it belongs
// to, with the message in the step's tooltip, and lists it under the canvas.
func TestBrowserDesignerImportMarksSeedErrorsOnTheirSteps(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	for _, tc := range []struct {
		file string
		want map[string][]string // step id → words its tooltip must hold
	}{
		{"lead_nurture_sequence.json", map[string][]string{"check_engagement": {`date(lead.lastInteraction) > now() - duration("72h")`}}},
		{"opportunity_pipeline.json", map[string][]string{
			"route_next_action":  {"check_proposal", "does not exist"},
			"send_demo_followup": {"nextSteps"},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b.t = t
			b.openDesigner("/workflows/new?scratch=1")
			path, err := filepath.Abs(examples(filepath.Join("seed-verbatim", tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			b.run(chromedp.SetUploadFiles(chromedp.ID("import"), []string{path}))
			b.waitJS(`document.getElementById('designer').dataset.checked`, "the import's check")
			var def workflow.Definition
			raw, _ := os.ReadFile(path)
			if err := json.Unmarshal(raw, &def); err != nil {
				t.Fatal(err)
			}
			if got := len(b.stepIDs()); got != len(def.Steps) {
				t.Fatalf("the canvas has %d steps, the file %d", got, len(def.Steps))
			}
			// The boxes say what the server's check says they do (app.SummarizeStep), not what the script reads.
			boxes := evalJS[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#canvas .drawflow-node')].map(el => [el.dataset.stepId, el.querySelector('.node-kind').textContent + ' | ' + el.querySelector('.node-detail').textContent]))`)
			catalog, err := h.srv.App.DesignerCatalog(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range def.Steps {
				sum := app.SummarizeStep(s, catalog.Actions)
				if want := sum.Kind + " | " + sum.Detail; boxes[s.ID] != want {
					t.Errorf("the box of %s says %q, want %q", s.ID, boxes[s.ID], want)
				}
			}
			marked := evalJS[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#canvas .drawflow-node.has-error')].map(el => [el.dataset.stepId, el.title]))`)
			for step, words := range tc.want {
				title, ok := marked[step]
				if !ok {
					t.Errorf("step %s is not marked; marked: %v; problems: %s", step, marked, b.text("#problems"))
					continue
				}
				for _, w := range words {
					if !strings.Contains(title, w) {
						t.Errorf("the tooltip of %s is %q; it should say %q", step, title, w)
					}
				}
			}
			for step, title := range marked {
				if _, expected := tc.want[step]; !expected {
					t.Errorf("step %s is marked too: %q", step, title)
				}
			}
			for step := range tc.want {
				if !evalJS[bool](b, fmt.Sprintf(`!!document.querySelector('#problems button[data-step-id=%q]')`, step)) {
					t.Errorf("#problems does not list %s: %s", step, b.text("#problems"))
				}
			}
			// A problem in the list selects its step.
			for step := range tc.want {
				b.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#problems button[data-step-id=%q]`, step))))
				b.waitJS(fmt.Sprintf(`document.querySelector(%q).classList.contains('selected')`, nodeSel(step)), step+" selected from the problem list")
				break
			}
			b.screenshot("designer-import-" + strings.TrimSuffix(tc.file, ".json") + "-1280")
		})
	}
}

// bigWorkflow is a valid workflow of n steps: a chain of set_variable steps with a condition every 50 steps
// (its "no" branch through a side step) and one parallel step with two branches.
func bigWorkflow(n int) map[string]any {
	var steps []map[string]any
	id := func(i int) string { return fmt.Sprintf("step_%03d", i) }
	set := func(sid, name string, next ...string) map[string]any {
		return map[string]any{"id": sid, "name": name, "type": "action", "nextSteps": append([]string{}, next...),
			"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "counter", "value": 1}}}
	}
	i := 1
	for len(steps) < n {
		remaining := n - len(steps)
		next := id(i + 1)
		switch {
		case remaining == 1:
			steps = append(steps, set(id(i), fmt.Sprintf("Step %d", i)))
		case i%50 == 0 && remaining >= 3:
			side := id(i) + "_side"
			steps = append(steps,
				map[string]any{"id": id(i), "name": fmt.Sprintf("Check %d", i), "type": "condition", "nextSteps": []string{},
					"configuration": map[string]any{"condition": "counter > 0", "trueSteps": []string{next}, "falseSteps": []string{side}}},
				set(side, fmt.Sprintf("Side %d", i), next))
		case i == 120 && remaining >= 4:
			a, b := id(i)+"_a", id(i)+"_b"
			steps = append(steps,
				map[string]any{"id": id(i), "name": "Fan out", "type": "parallel", "nextSteps": []string{next},
					"configuration": map[string]any{"parallelSteps": []string{a, b}}},
				set(a, "Branch A"), set(b, "Branch B"))
		default:
			steps = append(steps, set(id(i), fmt.Sprintf("Step %d", i), next))
		}
		i++
	}
	return map[string]any{"name": fmt.Sprintf("%d steps", n), "description": "a long chain for the designer benchmark", "enabled": true,
		"trigger":   map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{{"name": "counter", "type": "number", "required": false}},
		"steps":     steps}
}

// Benchmark mode (PANTRYFLOW_DESIGNER_BENCH=1): a 200-step workflow opens and saves in under a second each,
// timed in the browser with performance.now(): opening from navigation start to the canvas being drawn
// (window.designerReady), saving from the click to the 200 answer being applied. docs/BENCHMARKS.md has the
// figures.
func TestBrowserDesignerBenchmark200Steps(t *testing.T) {
	if os.Getenv("PANTRYFLOW_DESIGNER_BENCH") != "1" {
		t.Skip("set PANTRYFLOW_DESIGNER_BENCH=1 to time the designer on a 200-step workflow")
	}
	h := start(t, storetest.SQLiteURL(t))
	def := bigWorkflow(200)
	if n := len(def["steps"].([]map[string]any)); n != 200 {
		t.Fatalf("made %d steps", n)
	}
	wf := h.createWorkflow(def)
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	const rounds = 5
	type figure struct{ open, save float64 }
	measure := func(label string) []figure {
		var out []figure
		for r := 0; r < rounds; r++ {
			b.openDesigner("/workflows/" + wf + "/designer")
			if n := evalJS[int](b, `document.querySelectorAll('#canvas .drawflow-node').length`); n != 200 {
				t.Fatalf("the canvas shows %d nodes", n)
			}
			if n := evalJS[int](b, `document.querySelectorAll('#canvas .connection').length`); n < 200 {
				t.Fatalf("the canvas shows %d links", n)
			}
			open := evalJS[float64](b, `window.designerReady`)
			t.Logf("%s round %d: script started at %.0f ms, built the canvas in %.0f ms", label, r+1,
				evalJS[float64](b, `window.designerTimings.script`), evalJS[float64](b, `window.designerTimings.canvas`))
			if r == 0 {
				b.screenshot("designer-200-steps-1280")
			}
			b.run(chromedp.Click(chromedp.ID("save")))
			b.waitJS(`window.designerTimings.saves.length === 1`, "the save")
			save := evalJS[float64](b, `window.designerTimings.saves[0].ms`)
			t.Logf("%s round %d: open %.0f ms, save %.0f ms", label, r+1, open, save)
			out = append(out, figure{open, save})
		}
		return out
	}
	// The API's definition has no positions: the first opening lays it out with dagre; its save keeps the
	// positions, so the next openings draw them as they are.
	first := measure("200 steps")
	var worstOpen, worstSave float64
	for _, f := range first {
		worstOpen, worstSave = max(worstOpen, f.open), max(worstSave, f.save)
	}
	t.Logf("worst of %d: open %.0f ms, save %.0f ms", rounds, worstOpen, worstSave)
	if worstOpen >= 1000 || worstSave >= 1000 {
		t.Fatalf("a 200-step workflow must open and save in under 1 s; worst open %.0f ms, save %.0f ms", worstOpen, worstSave)
	}
}

// Screenshots of the designer with each panel open, at 1280 px: every kind of step's panel, the trigger panel on a
// schedule with its next fire times, and the variables panel (PANTRYFLOW_SCREENSHOTS=/tmp/shots).
func TestBrowserDesignerPanelsScreenshots(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")
	if n := len(b.stepIDs()); n != 6 {
		t.Fatalf("the designer shows %d steps", n)
	}

	// Each kind of step's panel: an email action (template picker), a delay, a condition, a human task (the
	// form-field builder), a CRM task action, and a parallel step added from the palette.
	b.run(chromedp.Click(chromedp.CSS(`.palette-item[data-step-type="parallel"]`)))
	b.waitJS(`window.designer.definition().steps.some(s => s.type === 'parallel')`, "a parallel step from the palette")
	parallel := evalJS[string](b, `window.designer.definition().steps.find(s => s.type === 'parallel').id`)
	for _, p := range []struct{ step, shows, name string }{
		{"welcome_email", "the email template picker", "Send an email"},
		{"wait_3_days", "the delay's duration", "Delay"},
		{"check_engagement", "the condition field", "Condition"},
		{"schedule_call", "the form-field builder", "Human task"},
		{"create_task", "the CRM task's settings", "Create a CRM task"},
		{parallel, "the branches", "Parallel"},
	} {
		b.selectStep(p.step)
		b.waitText("#panel", p.name)
		b.screenshot("designer-step-" + p.step + "-1280")
		if bad := b.overflowing(); len(bad) > 0 {
			t.Errorf("elements overflow the page with the panel of %s open: %v", p.step, bad)
		}
	}
	// The human task's team, reminders and escalation, further down its panel.
	b.selectStep("schedule_call")
	b.settle()
	evalJS[bool](b, `(document.getElementById('task-sla').scrollIntoView({block: 'center'}), true)`)
	b.screenshot("designer-step-schedule_call-sla-1280")

	b.run(chromedp.Click(chromedp.ID("open-trigger")))
	b.waitJS(`document.getElementById('panel').dataset.shows === 'trigger'`, "the trigger panel")
	b.choose("triggerType", "scheduled")
	b.waitJS(`document.querySelector('#panel [name="cron"]')`, "the cron field")
	b.typeInto("cron", "0 9 * * 1-5")
	b.waitJS(`window.designer.definition().trigger.configuration.cron === '0 9 * * 1-5'`, "the schedule")
	b.waitText("#panel", "weekday")
	b.screenshot("designer-trigger-1280")
	if bad := b.overflowing(); len(bad) > 0 {
		t.Errorf("elements overflow the page with the trigger panel open: %v", bad)
	}

	b.run(chromedp.Click(chromedp.ID("open-variables")))
	b.waitJS(`document.getElementById('panel').dataset.shows === 'variables' && document.querySelector('#panel [name="var.0.name"]')`, "the variables panel")
	b.screenshot("designer-variables-1280")
	if bad := b.overflowing(); len(bad) > 0 {
		t.Errorf("elements overflow the page with the variables panel open: %v", bad)
	}
}

// A test run from the designer asks for the variables, runs the saved version in test mode and lights the
// steps up as they run; the delay's "Skip wait" moves it on.
func TestBrowserDesignerTestRunLightsUpSteps(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")
	b.run(chromedp.Click(chromedp.ID("test-run")))
	b.waitJS(`document.getElementById('test-run-form')`, "the test run form")
	// The form is the server's: a problem comes back under its field, and nothing starts.
	b.run(chromedp.SetValue(chromedp.CSS(`#test-run-form [name="lead"]`), `{"email": }`), chromedp.Click(chromedp.ID("test-run-start")))
	b.waitJS(`(() => { const e = document.getElementById('f-lead-error'); return !!e && e.textContent.includes('not valid JSON at position 11') &&
		document.querySelector('#test-run-form [name="lead"]').value === '{"email": }' && !document.getElementById('designer').dataset.testRun; })()`, "the lead's problem under its field")
	b.screenshot("designer-test-run-form-1280")
	lead := fmt.Sprintf(`{"email": "jane@acme.example", "firstName": "Jane", "company": {"name": "Acme Diner"}, "assignedTo": "rep@example.com", "lastInteraction": %q}`,
		t0.Add(-time.Hour).Format(time.RFC3339))
	b.run(chromedp.SetValue(chromedp.CSS(`#test-run-form [name="lead"]`), lead), chromedp.Click(chromedp.ID("test-run-start")))
	b.waitJS(fmt.Sprintf(`document.querySelector(%q).classList.contains('state-completed')`, nodeSel("welcome_email")), "the welcome mail done")
	b.waitJS(fmt.Sprintf(`document.querySelector(%q).classList.contains('state-waiting') || document.querySelector(%q).classList.contains('state-running')`, nodeSel("wait_3_days"), nodeSel("wait_3_days")), "the delay waiting")
	b.waitJS(`!document.getElementById('test-run-skip').hidden`, "the Skip wait button")
	b.screenshot("designer-test-run-1280")
	b.run(chromedp.Click(chromedp.ID("test-run-skip")))
	b.waitJS(fmt.Sprintf(`document.querySelector(%q).classList.contains('state-completed')`, nodeSel("send_followup")), "the engaged lead's follow-up")
	b.waitJS(fmt.Sprintf(`document.querySelector(%q).classList.contains('state-waiting') || document.querySelector(%q).classList.contains('state-running')`, nodeSel("schedule_call"), nodeSel("schedule_call")), "the discovery call task waiting")
	if evalJS[bool](b, fmt.Sprintf(`document.querySelector(%q).className.includes('state-')`, nodeSel("create_task"))) {
		t.Fatal("the branch not taken lights up")
	}
	// The task is answered in the designer itself (it went to the person testing); the run then ends.
	b.waitJS(`document.querySelector('#test-run-task #task-form [name="callDate"]')`, "the discovery call's form in the test run panel")
	if got := b.text("#test-run-task .test-run-task-title"); !strings.Contains(got, "Schedule Discovery Call") {
		t.Errorf("the test run panel says %q above the task's form", got)
	}
	b.screenshot("designer-test-run-task-1280")
	b.run(chromedp.SetValue(chromedp.CSS(`#test-run-task [name="callDate"]`), "2026-12-09T10:00"),
		chromedp.SetValue(chromedp.CSS(`#test-run-task [name="agenda"]`), "Menu and volumes"),
		chromedp.Click(chromedp.CSS(`#test-run-task #task-form button[type="submit"]`)))
	b.waitJS(`document.getElementById('designer').dataset.testRunStatus === 'completed'`, "the test run completed after answering its task")
	b.waitJS(fmt.Sprintf(`document.querySelector(%q).classList.contains('state-completed')`, nodeSel("schedule_call")), "the discovery call done")
	id := evalJS[string](b, `document.getElementById('designer').dataset.testRun`)
	e := h.get(id)
	if e.WorkflowID != wf {
		t.Fatalf("the test run %s belongs to %s", id, e.WorkflowID)
	}
	if e.Variables["agenda"] != "Menu and volumes" {
		t.Errorf("the answer given in the designer is not in the run: %v", e.Variables)
	}
	if mails := h.outbox(id); len(mails) != 0 {
		t.Fatalf("a test run sent %d mails", len(mails))
	}
}

// The canvas's own editing: a click on the palette adds a step at a free spot, steps move by dragging,
// delete with their button or the Delete key, undo and redo (buttons and Ctrl+Z / Ctrl+Y) restore the graph,
// Ctrl+wheel and the buttons zoom, and Arrange lays the steps out again.
func TestBrowserDesignerCanvasEditing(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/new?scratch=1")
	count := func() int { return evalJS[int](b, `window.designer.definition().steps.length`) }

	// Clicks add steps, each clear of the others.
	for i := 0; i < 3; i++ {
		b.run(chromedp.Click(chromedp.CSS(`.palette-item[data-step-type="delay"]`)))
		b.waitJS(fmt.Sprintf(`window.designer.definition().steps.length === %d`, i+1), "a step added by a click")
	}
	if overlap := evalJS[bool](b, `(() => {
		const r = [...document.querySelectorAll('#canvas .drawflow-node')].map(el => el.getBoundingClientRect());
		return r.some((a, i) => r.some((c, j) => i < j && a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom));
	})()`); overlap {
		t.Fatal("steps added by clicks overlap")
	}
	ids := b.stepIDs()
	if !slices.Equal(ids, []string{"delay", "delay_2", "delay_3"}) {
		t.Fatalf("step ids %v", ids)
	}

	// Move a step by dragging its body.
	before := evalJS[[]float64](b, `(() => { const p = window.designer.definition().steps[1].position; return [p.x, p.y]; })()`)
	x, y := b.center(nodeSel("delay_2") + " .node-name")
	b.run(mouseDrag(x, y, x+60, y+40))
	b.waitJS(fmt.Sprintf(`window.designer.definition().steps[1].position.x > %f`, before[0]+20), "the moved step's position")

	// Delete with the button of the selected step, then undo and redo with the buttons.
	b.selectStep("delay_3")
	b.run(chromedp.Click(chromedp.CSS(nodeSel("delay_3") + " .node-delete")))
	b.waitJS(`window.designer.definition().steps.length === 2`, "the step deleted by its button")
	time.Sleep(400 * time.Millisecond) // one snapshot per burst of edits
	b.run(chromedp.Click(chromedp.ID("undo")))
	b.waitJS(`window.designer.definition().steps.length === 3`, "undo bringing the step back")
	b.run(chromedp.Click(chromedp.ID("redo")))
	b.waitJS(`window.designer.definition().steps.length === 2`, "redo deleting it again")

	// Delete with the key, undo and redo with the keyboard.
	b.selectStep("delay_2")
	b.run(chromedp.KeyEvent("\u007f")) // Delete
	b.waitJS(`window.designer.definition().steps.length === 1`, "the step deleted by the Delete key")
	time.Sleep(400 * time.Millisecond)
	b.run(chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitJS(`window.designer.definition().steps.length === 2`, "Ctrl+Z bringing it back")
	b.run(chromedp.KeyEvent("y", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitJS(`window.designer.definition().steps.length === 1`, "Ctrl+Y deleting it again")
	if count() != 1 || b.stepIDs()[0] != "delay" {
		t.Fatalf("steps %v", b.stepIDs())
	}

	// Zoom: the buttons, and the wheel with Ctrl.
	zoom := func() float64 { return evalJS[float64](b, `window.designer.editor.zoom`) }
	z0 := zoom()
	b.run(chromedp.Click(chromedp.ID("zoom-out")))
	if z := zoom(); z >= z0 {
		t.Fatalf("zoom out: %v → %v", z0, z)
	}
	cx, cy := b.center("#canvas")
	z1 := zoom()
	b.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// DevTools wants deltaX, which a zero would leave out of the JSON.
		_, err := cdp.Call(ctx, tg, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseWheel,
			X: cx, Y: cy, DeltaX: 1e-9, DeltaY: -100, Modifiers: int64(chromedp.ModifierCtrl)})
		return err
	}))
	b.waitJS(fmt.Sprintf(`window.designer.editor.zoom > %f`, z1+0.01), "Ctrl+wheel zooming in")

	// Arrange lays a connected pair out top to bottom.
	b.run(chromedp.Click(chromedp.CSS(`.palette-item[data-step-type="condition"]`)))
	b.waitJS(`window.designer.definition().steps.length === 2`, "a condition")
	b.connect("delay", 1, "condition")
	b.run(chromedp.Click(chromedp.ID("layout")))
	b.waitJS(`(() => { const s = window.designer.definition().steps; return s[1].position.y > s[0].position.y + 50 && Math.abs(s[1].position.x - s[0].position.x) < 5; })()`, "the arranged steps, one under the other")
}

// Auto-layout puts what follows a parallel step below the branches' last steps, since it runs after them.
func TestBrowserDesignerLaysOutAJoinBelowTheBranches(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	set := func(id, name string, next ...string) map[string]any {
		return map[string]any{"id": id, "name": name, "type": "action", "nextSteps": next,
			"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "note", "value": id}}}
	}
	wf := h.createWorkflow(map[string]any{
		"name": "Enrich in parallel", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []map[string]any{{"name": "note", "type": "string"}},
		"steps": []map[string]any{
			{"id": "fan", "name": "Enrich", "type": "parallel", "nextSteps": []string{"save"},
				"configuration": map[string]any{"parallelSteps": []string{"score", "geo"}}},
			set("score", "Score", "score_2"), set("score_2", "Score again"), set("geo", "Geo"),
			set("save", "Save the note"),
		},
	})
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")
	top := func(id string) float64 {
		return evalJS[float64](b, fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().top`, nodeSel(id)))
	}
	bottom := func(id string) float64 {
		return evalJS[float64](b, fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().bottom`, nodeSel(id)))
	}
	if top("score") <= bottom("fan") || top("geo") <= bottom("fan") {
		t.Fatalf("the branches are not below the parallel step: fan ends at %.0f, score starts at %.0f, geo at %.0f", bottom("fan"), top("score"), top("geo"))
	}
	if top("save") <= bottom("score_2") || top("save") <= bottom("geo") {
		t.Fatalf("the step after the branches is not below them: save starts at %.0f, score_2 ends at %.0f, geo at %.0f",
			top("save"), bottom("score_2"), bottom("geo"))
	}
	b.screenshot("designer-parallel-layout-1280")
}
