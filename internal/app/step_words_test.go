package app_test

import (
	"slices"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A diff and a suggestion's review say steps and settings in words, not JSON.
func TestStepsAndSettingsInWords(t *testing.T) {
	t.Parallel()
	def, err := workflow.Decode([]byte(`{"id": "words", "name": "Words", "trigger": {"type": "event", "configuration": {"event": "lead_qualified", "filter": "lead.score > 50"}},
	  "variables": [{"name": "budget", "type": "number"}],
	  "steps": [
	    {"id": "wait", "name": "Wait a bit", "type": "delay", "nextSteps": ["hot"], "configuration": {"duration": 172800}},
	    {"id": "hot", "name": "Is it hot", "type": "condition", "nextSteps": [], "configuration": {"condition": "lead.score > 80", "trueSteps": ["call"], "falseSteps": []}},
	    {"id": "call", "name": "Call provider A", "type": "action", "nextSteps": [], "configuration": {"action": "call_api", "parameters": {"url": "https://a.example/x", "method": "POST"}},
	      "errorHandling": {"retryCount": 3, "retryDelay": 10, "onError": "fail"}}
	  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	step := func(id string) *workflow.Step { s, _ := def.StepByID(id); return s }
	specs := []workflow.ActionSpec{{Name: "call_api", Title: "Call an API"}}
	for _, c := range []struct{ got, want string }{
		{app.StepFieldWords(def, step("wait"), "configuration", specs), "Wait 2 days"},
		{app.StepFieldWords(def, step("wait"), "nextSteps", specs), "then Is it hot"},
		{app.StepFieldWords(def, step("hot"), "configuration", specs), "If lead.score > 80: yes → Call provider A, no → the end"},
		{app.StepFieldWords(def, step("call"), "configuration", specs), "Call an API: method POST; url https://a.example/x"},
		{app.StepFieldWords(def, step("call"), "errorHandling", specs), "retry 3 times, 10 s apart, then stop the run"},
		{app.StepFieldWords(def, step("wait"), "errorHandling", specs), "stop the run when it fails"},
		{app.ErrorHandlingWords(&workflow.ErrorHandling{RetryCount: 1, RetryDelay: 1.5, Backoff: "exponential", OnError: workflow.OnErrorContinue}),
			"retry 1 time, 1.5 s apart, doubling each time, then skip the step and go on"},
		{app.SettingWords(def, "trigger"), "on the CRM event lead_qualified, only when lead.score > 50"},
		{app.SettingWords(def, "variables"), "budget (number)"},
	} {
		if c.got != c.want {
			t.Errorf("said %q, want %q", c.got, c.want)
		}
	}
}

// A step's expression fields offer the outputs of the steps that can run before it, and only those.
func TestStepOutputsAreSuggestedToTheStepsAfter(t *testing.T) {
	t.Parallel()
	def, err := workflow.Decode([]byte(`{"id": "outs", "name": "Outputs", "trigger": {"type": "manual", "configuration": {}}, "variables": [{"name": "note", "type": "string"}],
	  "steps": [
	    {"id": "welcome", "name": "Send welcome", "type": "action", "nextSteps": ["hot"], "configuration": {"action": "send_email", "parameters": {"to": "a@b.example", "template": "t"}}},
	    {"id": "hot", "name": "Is it hot", "type": "condition", "nextSteps": [], "configuration": {"condition": "true", "trueSteps": ["remember"], "falseSteps": []}},
	    {"id": "remember", "name": "Remember", "type": "action", "nextSteps": ["after"], "configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "x"}}},
	    {"id": "after", "name": "After", "type": "delay", "nextSteps": [], "configuration": {"duration": 60}}
	  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	specs := []workflow.ActionSpec{{Name: "send_email", Outputs: []string{"mailId", "to", "subject"}}, {Name: "set_variable"}}
	got := app.StepOutputSuggestions(def, "after", specs)
	want := []string{"{{steps.welcome.output.mailId}}", "{{steps.welcome.output.to}}", "{{steps.welcome.output.subject}}", "{{steps.remember.output.note}}"}
	if !slices.Equal(got, want) {
		t.Errorf("the step after both is offered %v, want %v", got, want)
	}
	if got := app.StepOutputSuggestions(def, "welcome", specs); len(got) != 0 {
		t.Errorf("the first step is offered %v, want nothing", got)
	}
}
