package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// Nothing is lost: the red marks say what is wrong after every change, on every step — after a connect
// and after declaring a variable, not only for the step whose panel answered — and leaving the designer
// with changes and coming back brings them back, with their undo.
func TestBrowserDesignerKeepsDraftsAndRefreshesProblems(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(map[string]any{"name": "Follow up", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []any{}, "steps": []map[string]any{{"id": "wait", "name": "Wait a day", "type": "delay",
			"nextSteps": []string{}, "configuration": map[string]any{"duration": 86400}}}})
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")
	title := func(step string) string {
		return evalJS[string](b, fmt.Sprintf(`(document.querySelector(%q) || {}).title || ''`, nodeSel(step)))
	}
	rechecked := func() int {
		return evalJS[int](b, `Number(document.getElementById('designer').dataset.rechecked || 0)`)
	}

	// A new condition is marked: it is empty and nothing leads to it.
	n := rechecked()
	b.run(chromedp.Click(chromedp.CSS(`.palette-item[data-step-type="condition"]`)))
	b.waitJS(`window.designer.definition().steps.length === 2`, "the condition on the canvas")
	b.waitJS(fmt.Sprintf(`Number(document.getElementById('designer').dataset.rechecked || 0) > %d && (document.querySelector(%q) || {}).title.includes('can never run')`, n, nodeSel("condition")),
		"the new condition marked as never running")

	// Connecting it: the mark says only what is still wrong.
	b.connect("wait", 1, "condition")
	b.waitJS(fmt.Sprintf(`(() => { const t = (document.querySelector(%q) || {}).title || ''; return t !== '' && !t.includes('can never run'); })()`, nodeSel("condition")),
		"the condition's mark after the connect")

	// A condition on an undeclared budget is marked; declaring budget in the Variables panel clears the
	// mark of the condition, whose panel is not the one open.
	b.selectStep("condition")
	b.typeInto("condition", "budget > 10")
	b.waitJS(fmt.Sprintf(`((document.querySelector(%q) || {}).title || '').includes('budget')`, nodeSel("condition")), "the condition marked for budget")
	b.run(chromedp.Click(chromedp.ID("open-variables")))
	b.waitJS(`document.getElementById('panel').dataset.shows === 'variables'`, "the variables panel")
	b.clickOp("add_var")
	b.waitJS(fmt.Sprintf(`document.querySelector(%q)`, panelField("var.0.name")), "a variable row")
	b.typeInto("var.0.name", "budget")
	b.choose("var.0.type", "number")
	b.waitJS(`(window.designer.definition().variables[0] || {}).type === 'number'`, "budget declared as a number")
	b.waitJS(fmt.Sprintf(`!document.querySelector(%q).classList.contains('has-error')`, nodeSel("condition")), "the condition's mark cleared by the declaration")
	if got := title("condition"); got != "" {
		t.Errorf("the condition's tooltip after declaring budget: %q", got)
	}

	// Leave for Executions without saving, come back: the work is there, and Undo still knows it.
	b.run(chromedp.Click(chromedp.CSS(`nav a[href="/executions"]`)))
	b.waitJS(`location.pathname === '/executions'`, "the executions page")
	b.openDesigner("/workflows/" + wf + "/designer")
	b.waitJS(`document.getElementById('designer').dataset.restored === 'true'`, "the draft brought back")
	def := evalJS[map[string]any](b, `window.designer.definition()`)
	if steps, _ := def["steps"].([]any); len(steps) != 2 || !strings.Contains(fmt.Sprint(def["variables"]), "budget") {
		t.Fatalf("the brought-back draft: %v", def)
	}
	if got := b.text("#designer-status"); !strings.Contains(got, "Brought back the changes you had not saved") {
		t.Errorf("the status line says %q", got)
	}
	b.waitJS(fmt.Sprintf(`document.querySelector(%q).textContent === 'budget > 10'`, nodeSel("condition")+" .node-detail"), "the brought-back condition's box saying its condition")
	b.screenshot("designer-draft-restored-1280")
	if evalJS[bool](b, `document.getElementById('undo').disabled`) {
		t.Fatal("Undo is off after coming back: the history was not kept")
	}
	before := evalJS[string](b, `JSON.stringify(window.designer.definition())`)
	b.run(chromedp.Click(chromedp.ID("undo")))
	b.waitJS(fmt.Sprintf(`JSON.stringify(window.designer.definition()) !== %q`, before), "undo after coming back")

	// Saving forgets the draft: opening the designer again shows the saved version, nothing brought back.
	b.run(chromedp.Click(chromedp.ID("redo")))
	b.waitJS(fmt.Sprintf(`JSON.stringify(window.designer.definition()) === %q`, before), "redo")
	evalJS[bool](b, `(window.designer.save(), true)`)
	b.waitJS(`/Saved as version|Not saved/.test(document.getElementById('designer-status').textContent)`, "the save")
	if got := b.text("#designer-status"); !strings.Contains(got, "Saved as version") {
		t.Fatalf("saving the brought-back draft: %s; problems: %s", got, b.text("#problems"))
	}
	b.openDesigner("/workflows/" + wf + "/designer")
	if evalJS[bool](b, `document.getElementById('designer').dataset.restored === 'true'`) {
		t.Error("a saved draft is brought back again")
	}
}

// Publish publishes what the open panel shows: a field still being typed in when Publish is clicked sends
// its edit as the click lands, and the version published has it (not the step as it was before the edit).
func TestBrowserPublishTakesTheOpenPanelsLastEdit(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(map[string]any{"name": "Follow up", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []any{}, "steps": []map[string]any{{"id": "wait", "name": "Wait a day", "type": "delay",
			"nextSteps": []string{}, "configuration": map[string]any{"duration": 86400}}}})
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")
	b.selectStep("wait")
	b.settle()
	// Type 3 into Days and press Publish with the mouse at once: no Tab, no wait for the panel.
	evalJS[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.select(); return true; })()`, panelField("days")))
	b.run(chromedp.KeyEvent("3"), chromedp.Click(chromedp.ID("publish")))
	b.waitJS(`/Published version|Not published|Not saved/.test(document.getElementById('designer-status').textContent)`, "the publish")
	status := b.text("#designer-status")
	var version int
	if _, err := fmt.Sscanf(status[strings.Index(status, "Published version"):], "Published version %d", &version); err != nil || !strings.HasPrefix(status, "Published version") {
		t.Fatalf("the status after Publish: %q", status)
	}
	var def struct {
		Steps []struct {
			Configuration map[string]any `json:"configuration"`
		} `json:"steps"`
	}
	h.must(200, h.manager, "GET", fmt.Sprintf("/api/workflows/%s?version=%d", wf, version), nil, &def)
	if len(def.Steps) != 1 || def.Steps[0].Configuration["duration"] != float64(3*86400) {
		t.Fatalf("version %d, said published, holds %+v; want the 3 days typed before Publish", version, def.Steps)
	}
	var versions struct {
		Items []struct {
			Version int    `json:"version"`
			Status  string `json:"status"`
		} `json:"items"`
	}
	h.must(200, h.manager, "GET", "/api/workflows/"+wf+"/versions", nil, &versions)
	for _, v := range versions.Items {
		if (v.Status == "published") != (v.Version == version) {
			t.Errorf("versions after Publish: %+v; want only %d published", versions.Items, version)
		}
	}
}

// Names, not ids: until the workflow is published a renamed step's id follows its name, and the templates
// reading its output follow too; once published, a rename keeps the id that runs and links use.
func TestBrowserStepIDsFollowNamesUntilPublished(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	var saved struct {
		ID string `json:"id"`
	}
	h.must(201, h.manager, "POST", "/api/workflows", map[string]any{"name": "Greet", "trigger": map[string]any{"type": "manual", "configuration": map[string]any{}},
		"variables": []any{map[string]any{"name": "greeting", "type": "string"}, map[string]any{"name": "said", "type": "string"}}, "steps": []map[string]any{
			{"id": "set_a_variable", "name": "Set a variable", "type": "action", "nextSteps": []string{"set_a_variable_2"},
				"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "greeting", "value": "Hello"}}},
			{"id": "set_a_variable_2", "name": "Set a variable", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "said", "value": "{{ steps.set_a_variable.output.value }}"}}},
		}}, &saved)
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + saved.ID + "/designer")
	b.selectStep("set_a_variable")
	b.rename("set_a_variable", "Greet Ana", "greet_ana")
	b.waitStep("set_a_variable_2", `s.configuration.parameters.value === '{{ steps.greet_ana.output.value }}'`, "the template reading the renamed step's output")
	if got := b.text("#panel .panel-id code"); got != "greet_ana" {
		t.Errorf("the panel says the step id is %q", got)
	}
	// The panel edits the renamed step from now on.
	b.typeInto("param.value", `"Hi"`)
	b.waitStep("greet_ana", `s.configuration.parameters.value === 'Hi'`, "an edit after the rename")

	b.run(chromedp.Click(chromedp.ID("publish")))
	b.waitJS(`/Published version|Not published|Not saved/.test(document.getElementById('designer-status').textContent)`, "the publish")
	if got := b.text("#designer-status"); !strings.HasPrefix(got, "Published version") {
		t.Fatalf("publishing: %s; problems: %s", got, b.text("#problems"))
	}
	b.selectStep("greet_ana")
	b.typeInto("name", "Greet Bo")
	b.waitStep("greet_ana", `s.name === 'Greet Bo'`, "the published step renamed, keeping its id")

	// Opened again, the designer knows the workflow is published.
	b.openDesigner("/workflows/" + saved.ID + "/designer")
	if got := evalJS[string](b, `document.getElementById('designer').dataset.published`); got != "true" {
		t.Errorf("the designer of a published workflow has data-published=%q", got)
	}
}
