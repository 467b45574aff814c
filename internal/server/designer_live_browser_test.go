package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// Live values: a manager picks "Ana Lopez, Bistro Ana" once in a step's panel and every template and
// condition says beside it what it gives for her, in the panel of that step and of the next one opened;
// with a lead who has no company the title says which field is empty, in words.
func TestBrowserDesignerShowsLiveValuesForAPickedLead(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	var company, ana, bo struct {
		ID string `json:"id"`
	}
	h.must(201, h.manager, "POST", "/api/companies", map[string]any{"name": "Bistro Ana"}, &company)
	h.must(201, h.manager, "POST", "/api/leads", map[string]any{"firstName": "Ana", "lastName": "Lopez", "email": "ana@bistro.example",
		"score": 72, "companyId": company.ID}, &ana)
	h.must(201, h.manager, "POST", "/api/leads", map[string]any{"firstName": "Bo", "lastName": "Berg", "email": "bo@example.com", "score": 20}, &bo)
	wf := h.createWorkflow(map[string]any{"name": "Call qualified leads", "variables": []any{},
		"trigger": map[string]any{"type": "event", "configuration": map[string]any{"event": "lead_qualified"}},
		"steps": []map[string]any{
			{"id": "hot", "name": "Is it hot", "type": "condition", "nextSteps": []string{},
				"configuration": map[string]any{"condition": "lead.score > 50", "trueSteps": []string{"call"}, "falseSteps": []string{}}},
			{"id": "call", "name": "Call the lead", "type": "human_task", "nextSteps": []string{}, "configuration": map[string]any{
				"assignee": "rep@example.com", "title": "Call {{ lead.firstName }} at {{ lead.company.name }}",
				"formFields": []map[string]any{{"name": "outcome", "type": "text", "required": true}}}},
		}})
	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + wf + "/designer")

	b.selectStep("call")
	if got := b.text("#preview-picker"); !strings.Contains(got, "Pick a lead to see what each field gives") {
		t.Fatalf("the preview picker before a pick says %q", got)
	}
	b.choose("preview", "lead:"+ana.ID)
	b.waitJS(`(document.getElementById('pf-title-live') || {}).textContent?.includes('Call Ana at Bistro Ana')`, "the title's live value for Ana")
	b.screenshot("designer-live-values-1280")

	// The next panel opened previews with Ana too.
	b.selectStep("hot")
	b.waitJS(`(document.getElementById('pf-condition-live') || {}).textContent?.includes('true: the run goes on to Call the lead')`, "the condition's live value for Ana")

	// Bo has no company: the title names the empty field.
	b.selectStep("call")
	b.choose("preview", "lead:"+bo.ID)
	b.waitJS(`(document.getElementById('pf-title-live') || {}).textContent?.includes('lead.company is empty for Bo Berg')`, "the title's problem for Bo")
	if got := b.text("#pf-title-live"); !strings.Contains(got, "Call Bo at") {
		t.Errorf("the title's live value for Bo says %q; want what it gives, then the empty field", got)
	}
	// Picking a record changes nothing in the workflow.
	def := evalJS[map[string]any](b, `window.designer.definition()`)
	if s := fmt.Sprint(def); strings.Contains(s, ana.ID) || strings.Contains(s, bo.ID) || strings.Contains(s, "preview") {
		t.Errorf("the picked record went into the workflow: %s", s)
	}

	phone := newPhone(t, h)
	phone.signIn("manager@example.com")
	phone.openDesigner("/workflows/" + wf + "/designer")
	// On a phone the canvas is below the palette: bring the step into the window before clicking it.
	evalJS[bool](phone, fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: 'center'}), true)`, nodeSel("call")))
	phone.selectStep("call")
	phone.choose("preview", "lead:"+ana.ID)
	phone.waitJS(`(document.getElementById('pf-title-live') || {}).textContent?.includes('Call Ana at Bistro Ana')`, "the title's live value on a phone")
	if bad := phone.overflowing(); len(bad) > 0 {
		t.Errorf("the panel with live values overflows a phone: %v", bad)
	}
	phone.screenshot("designer-live-values-390")
}
