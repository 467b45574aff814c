package workflow_test

import (
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// leadSchema is the shape crm.Schema gives a lead (internal/crm tests that one).
var leadSchema = workflow.RecordSchema{
	Fields: []string{"id", "firstName", "lastName", "email", "phone", "companyId", "company", "assignedTo", "createdAt", "updatedAt"},
	Nested: map[string][]string{"company": {"id", "name", "website", "createdAt", "updatedAt"}},
}

// An event-triggered workflow has its record without declaring it, and a human task's answers are
// variables from the step that asks for them; the record's fields are checked at save time.
func TestImpliedVariablesNeedNoDeclaration(t *testing.T) {
	env := setup(t)
	env.Records = func(entity string) (workflow.RecordSchema, bool) { return leadSchema, entity == "lead" }
	src := `{
	  "name": "Nurture",
	  "trigger": {"type": "event", "configuration": {"event": "lead_qualified", "filter": "lead.email != \"\""}},
	  "steps": [
	    {"id": "mail", "name": "Welcome", "type": "action", "nextSteps": ["call"],
	     "configuration": {"action": "send_email", "parameters": {"template": "welcome_qualified_lead",
	       "recipient": "{{ lead.email }}", "data": {"company": "{{ lead.company.name }}"}}}},
	    {"id": "call", "name": "Schedule the call", "type": "human_task", "nextSteps": ["check"],
	     "configuration": {"assignee": "{{ lead.assignedTo }}", "title": "Call {{ lead.firstName }}",
	       "formFields": [{"name": "callDate", "type": "date", "required": true}, {"name": "hot", "type": "checkbox"}]}},
	    {"id": "check", "name": "Hot?", "type": "condition", "nextSteps": [],
	     "configuration": {"condition": "hot && callDate != \"\"", "trueSteps": [], "falseSteps": []}}
	  ],
	  "variables": []
	}`
	def := decode(t, src)
	if _, problems := workflow.Compile(def, env); problems != nil {
		t.Fatalf("problems: %v", problems)
	}
	implied := workflow.ImpliedVariables(def)
	want := []struct{ name, typ, from, record string }{{"lead", "object", "trigger", "lead"}, {"callDate", "string", "call", ""}, {"hot", "boolean", "call", ""}}
	if len(implied) != len(want) {
		t.Fatalf("implied %+v", implied)
	}
	for i, w := range want {
		if iv := implied[i]; iv.Name != w.name || iv.Type != w.typ || iv.From != w.from || iv.Record != w.record {
			t.Errorf("implied[%d] = %+v, want %+v", i, iv, w)
		}
	}
	if got := def.StartVariables(); len(got) != 1 || got[0].Name != "lead" {
		t.Errorf("a run starts with %+v; the form's answers come later", got)
	}
	vars, ferrs := workflow.CheckVariables(def, map[string]any{"lead": map[string]any{"email": "ana@bistro.example"}})
	if len(ferrs) > 0 || vars["callDate"] != nil || vars["lead"] == nil {
		t.Errorf("a run's start: %v %v", vars, ferrs)
	}

	// A misspelt field is a problem where it is written, with what was meant.
	for _, c := range []struct{ edit, path, msg string }{
		{`"recipient": "{{ lead.email }}"`, "steps[0].configuration.parameters.recipient", `lead has no field "emial"; did you mean lead.email?`},
		{`"lead.email != \"\""`, "trigger.configuration.filter", `lead has no field "emial"; did you mean lead.email?`},
		{`{{ lead.company.name }}`, "steps[0].configuration.parameters.data.company", `lead.company has no field "nmae"; did you mean lead.company.name?`},
		{`Call {{ lead.firstName }}`, "steps[1].configuration.title", `lead has no field "favouriteColour"; its fields are id, firstName`},
	} {
		bad := strings.NewReplacer("lead.email", "lead.emial", "lead.company.name", "lead.company.nmae", "lead.firstName", "lead.favouriteColour").Replace(c.edit)
		d := decode(t, strings.Replace(src, c.edit, bad, 1))
		_, problems := workflow.Compile(d, env)
		if len(problems) != 1 || problems[0].Path != c.path || !strings.Contains(problems[0].Message, c.msg) {
			t.Errorf("%s: problems %v, want one at %s saying %q", bad, problems, c.path, c.msg)
		}
	}
	// Without the record's shape (the engine compiling a published plan again) nothing is held against it.
	env.Records = nil
	if _, problems := workflow.Compile(decode(t, strings.Replace(src, "lead.email }}", "lead.emial }}", 1)), env); problems != nil {
		t.Errorf("without a shape: %v", problems)
	}
}

// A declared variable keeps its meaning; a webhook's body and a schedule's variables are variables too.
func TestImpliedVariablesOfOtherTriggers(t *testing.T) {
	def := &workflow.Definition{Trigger: workflow.Trigger{Type: "event", Configuration: map[string]any{"event": "lead_qualified"}},
		Variables: []workflow.Variable{{Name: "lead", Type: "object", Required: true}}}
	if got := workflow.ImpliedVariables(def); len(got) != 0 {
		t.Errorf("a declared lead is not implied again: %+v", got)
	}
	def = &workflow.Definition{Trigger: workflow.Trigger{Type: "webhook", Configuration: map[string]any{}}}
	if got := workflow.ImpliedVariables(def); len(got) != 1 || got[0].Name != workflow.WebhookPayload || got[0].Type != "object" {
		t.Errorf("a webhook's payload: %+v", got)
	}
	def = &workflow.Definition{Trigger: workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "@daily",
		"variables": map[string]any{"region": "north", "limit": 5.0}}}}
	got := workflow.ImpliedVariables(def)
	if len(got) != 2 || got[0].Name != "limit" || got[0].Type != "number" || got[1].Name != "region" || got[1].Type != "string" {
		t.Errorf("a schedule's variables: %+v", got)
	}
	for event, record := range map[string]string{"lead_qualified": "lead", "contact_created": "contact", "company_updated": "company", "opportunity_won": "opportunity", "task_done": "task", "trade_show_scan": ""} {
		if got := workflow.EventRecord(event); got != record {
			t.Errorf("EventRecord(%s) = %q", event, got)
		}
	}
}
