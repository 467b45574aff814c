package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A mail template's placeholders are checked when the workflow is saved: a send_email step that does not
// give companyName, which welcome_qualified_lead reads, is a problem under the step's data naming it, shown
// in the panel; once the panel gives it, the workflow saves and a test run renders the mail (recorded).
func TestMailTemplatePlaceholdersAreCheckedAtSave(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		def := map[string]any{
			"name":    "Welcome",
			"trigger": map[string]any{"type": "event", "configuration": map[string]any{"event": "lead_qualified"}},
			"steps": []map[string]any{{"id": "welcome", "name": "Welcome", "type": "action", "nextSteps": []string{},
				"configuration": map[string]any{"action": "send_email", "parameters": map[string]any{"template": "welcome_qualified_lead",
					"recipient": "{{ lead.email }}", "data": map[string]any{"firstName": "{{ lead.firstName }}"}}}}},
			"variables": []any{},
		}
		var problem struct {
			Details []struct{ Path, Message string }
		}
		if status := h.call(h.manager, "POST", "/api/workflows", def, &problem); status != http.StatusUnprocessableEntity {
			t.Fatalf("saving without companyName: %d", status)
		}
		if len(problem.Details) != 1 || problem.Details[0].Path != "steps[0].configuration.parameters.data" ||
			!strings.Contains(problem.Details[0].Message, `template "welcome_qualified_lead" uses "companyName", which this step does not give`) {
			t.Fatalf("the problem: %+v", problem.Details)
		}

		// The panel shows it under Data; giving it there clears it.
		m := h.session("manager@example.com")
		m.get("/workflows")
		raw, _ := json.Marshal(def)
		doc := m.panel("/designer/panel", url.Values{"definition": {string(raw)}, "step": {"welcome"}})
		if got := doc.Find(`textarea[name="param.data"]`).Parent().Find(".field-error").Text(); !strings.Contains(got, `uses "companyName"`) {
			t.Fatalf("the panel's data field says %q", got)
		}
		if got := doc.Find("#template-placeholders code").Text(); got != "firstName, companyName" {
			t.Errorf("the panel lists the template's placeholders as %q", got)
		}
		form := panelForm(doc)
		form.Set("param.data", `{"firstName": "{{ lead.firstName }}", "companyName": "{{ lead.company.name }}"}`)
		doc = m.panel("/designer/panel", form)
		if doc.Find(".field-error").Length() != 0 {
			t.Fatalf("problems after giving companyName: %q", doc.Find(".field-error").Text())
		}
		var step workflow.Step
		scriptJSON(t, doc, "panel-step", &step)
		def["steps"] = []workflow.Step{step}
		var saved struct{ ID string }
		h.must(http.StatusCreated, h.manager, "POST", "/api/workflows", def, &saved)

		actor := &auth.Principal{Email: "manager@example.com", Role: auth.RoleManager}
		id, err := h.srv.App.StartTest(context.Background(), actor, saved.ID, 1, map[string]any{
			"lead": map[string]any{"email": "ana@bistro.example", "firstName": "Ana", "company": map[string]any{"name": "Bistro Ana"}}})
		if err != nil {
			t.Fatal(err)
		}
		e := h.waitStatus(id, "completed")
		out, _ := e.StepOutputs["welcome"].(map[string]any)
		mail, _ := out["mail"].(map[string]any)
		if body, _ := mail["body"].(string); !strings.Contains(body, "talking with Bistro Ana") || mail["subject"] != "Welcome to Kitchen Pantry, Ana" || out["test"] != true {
			t.Fatalf("the recorded mail: %v", out)
		}
		if mails := h.count(&store.Mail{}); mails != 0 {
			t.Fatalf("the test run put %d mails in the outbox; it records the mail, it does not send it", mails)
		}
	})
}
