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
