package workflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// baseJSON is a small valid definition using every step type. Its step indexes:
// 0 start (action), 1 check (condition), 2 mail (action), 3 fan_out (parallel), 4 todo (action),
// 5 review (human_task), 6 wait (delay).
const baseJSON = `{
  "id": "base",
  "name": "Base workflow",
  "trigger": {"type": "manual"},
  "steps": [
    {"id": "start", "name": "Start", "type": "action",
     "configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "hello"}},
     "nextSteps": ["check"]},
    {"id": "check", "name": "Check", "type": "condition",
     "configuration": {"condition": "score > 50", "trueSteps": ["mail"], "falseSteps": ["fan_out"]}},
    {"id": "mail", "name": "Mail", "type": "action",
     "configuration": {"action": "send_email",
       "parameters": {"template": "welcome_qualified_lead", "recipient": "{{lead.email}}", "data": {"first": "{{lead.firstName}}"}}},
     "nextSteps": ["wait"]},
    {"id": "fan_out", "name": "Fan out", "type": "parallel",
     "configuration": {"parallelSteps": ["todo", "review"]},
     "nextSteps": ["wait"]},
    {"id": "todo", "name": "Todo", "type": "action",
     "configuration": {"action": "create_task",
       "parameters": {"title": "Call {{lead.name}}", "assignee": "{{lead.assignedTo}}", "priority": "high", "dueDate": "+2 days"}}},
    {"id": "review", "name": "Review", "type": "human_task",
     "configuration": {"assignee": "rep@example.com", "title": "Review {{lead.name}}",
       "formFields": [{"name": "note", "type": "text"}, {"name": "outcome", "type": "select", "options": ["won", "lost"]}]}},
    {"id": "wait", "name": "Wait", "type": "delay", "configuration": {"duration": 3600}}
  ],
  "variables": [
    {"name": "lead", "type": "object", "required": true},
    {"name": "score", "type": "number"},
    {"name": "note", "type": "string"},
    {"name": "outcome", "type": "string"}
  ]
}`

// Step indexes in baseJSON.
const (
	iStart = iota
	iCheck
	iMail
	iFanOut
	iTodo
	iReview
	iWait
)

func base(t *testing.T) *workflow.Definition {
	t.Helper()
	return decode(t, baseJSON)
}

func conf(d *workflow.Definition, i int) map[string]any { return d.Steps[i].Configuration }

func params(d *workflow.Definition, i int) map[string]any {
	return d.Steps[i].Configuration["parameters"].(map[string]any)
}

func fields(d *workflow.Definition) []any { return conf(d, iReview)["formFields"].([]any) }

func field(d *workflow.Definition, j int) map[string]any { return fields(d)[j].(map[string]any) }

func TestBaseDefinitionIsValid(t *testing.T) {
	t.Parallel()
	env := setup(t)
	plan, problems := workflow.Compile(base(t), env)
	if len(problems) != 0 {
		t.Fatalf("base definition has problems:\n%s", listProblems(problems))
	}
	if plan.Entry != "start" || len(plan.Steps) != 7 {
		t.Fatalf("plan entry %q with %d steps, want start with 7", plan.Entry, len(plan.Steps))
	}
	if got := plan.Step("wait").Delay.Duration; got != time.Hour {
		t.Fatalf("wait duration = %v, want 1h", got)
	}
	if got := plan.Step("start").OnError; got != workflow.OnErrorFail {
		t.Fatalf("default onError = %q, want fail", got)
	}
	if plan.Trigger.Type != workflow.TriggerManual {
		t.Fatalf("trigger type = %q, want manual", plan.Trigger.Type)
	}
}

func TestCompileRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(d *workflow.Definition)
		want   []wantProblem
	}{
		// Header.
		{"empty name", func(d *workflow.Definition) { d.Name = "  " },
			[]wantProblem{{"name", "the workflow needs a name"}}},
		{"no steps", func(d *workflow.Definition) { d.Steps = nil },
			[]wantProblem{{"steps", "the workflow has no steps"}}},

		// Step ids and edges.
		{"duplicate step id", func(d *workflow.Definition) { d.Steps[iWait].ID = "todo" },
			[]wantProblem{
				{"steps[6].id", `step id "todo" is used twice (steps 5 and 7)`},
				// The duplicate is dropped, so the real "wait" no longer exists.
				{"steps[2].nextSteps[0]", `step "Mail" leads to "wait", which does not exist`},
				{"steps[3].nextSteps[0]", `step "Fan out" leads to "wait", which does not exist`},
			}},
		{"unknown id in nextSteps", func(d *workflow.Definition) { d.Steps[iStart].NextSteps = []string{"check", "nope"} },
			[]wantProblem{{"steps[0].nextSteps[1]", `step "Start" leads to "nope", which does not exist`}}},
		{"unknown id in trueSteps", func(d *workflow.Definition) { conf(d, iCheck)["trueSteps"] = []any{"mail", "nope"} },
			[]wantProblem{{"steps[1].configuration.trueSteps[1]", `step "Check" leads to "nope", which does not exist`}}},
		{"unknown id in falseSteps", func(d *workflow.Definition) { conf(d, iCheck)["falseSteps"] = []any{"nope", "fan_out"} },
			[]wantProblem{{"steps[1].configuration.falseSteps[0]", `step "Check" leads to "nope", which does not exist`}}},
		{"unknown id in parallelSteps", func(d *workflow.Definition) { conf(d, iFanOut)["parallelSteps"] = []any{"todo", "review", "nope"} },
			[]wantProblem{{"steps[3].configuration.parallelSteps[2]", `step "Fan out" leads to "nope", which does not exist`}}},
		{"id listed twice in one list", func(d *workflow.Definition) { d.Steps[iStart].NextSteps = []string{"check", "check"} },
			[]wantProblem{{"steps[0].nextSteps[1]", `step "Check" is listed twice`}}},
		{"empty id in a list", func(d *workflow.Definition) { d.Steps[iStart].NextSteps = []string{"check", ""} },
			[]wantProblem{{"steps[0].nextSteps[1]", "an empty step id"}}},
		{"unreachable step", func(d *workflow.Definition) {
			d.Steps = append(d.Steps, workflow.Step{ID: "orphan", Name: "Orphan", Type: workflow.StepDelay,
				Configuration: map[string]any{"duration": 60.0}})
		}, []wantProblem{{"steps[7]", `step "Orphan" can never run: no step leads to it from the first step "Start"`}}},
		{"condition with nextSteps", func(d *workflow.Definition) { d.Steps[iCheck].NextSteps = []string{"wait"} },
			[]wantProblem{{"steps[1].nextSteps", `condition "Check" must not have nextSteps`}}},
		{"unknown step type", func(d *workflow.Definition) { d.Steps[iWait].Type = "sleep" },
			[]wantProblem{{"steps[6].type", `step "Wait" has unknown type "sleep"`}}},
		{"missing step type", func(d *workflow.Definition) { d.Steps[iWait].Type = "" },
			[]wantProblem{{"steps[6].type", `step "Wait" has no type`}}},
		{"missing step name", func(d *workflow.Definition) { d.Steps[iWait].Name = "" },
			[]wantProblem{{"steps[6].name", `step "wait" needs a name`}}},
		{"bad step id", func(d *workflow.Definition) {
			d.Steps[iWait].ID = "wait now"
			d.Steps[iMail].NextSteps = []string{"wait now"}
			d.Steps[iFanOut].NextSteps = []string{"wait now"}
		}, []wantProblem{{"steps[6].id", `step id "wait now" may only hold letters, digits, _ and -`}}},
		{"unknown configuration key", func(d *workflow.Definition) { conf(d, iCheck)["trueStep"] = []any{"mail"} },
			[]wantProblem{{"steps[1].configuration.trueStep", `unknown setting "trueStep"; the settings here are condition, trueSteps, falseSteps`}}},
		{"parallel without steps", func(d *workflow.Definition) {
			conf(d, iFanOut)["parallelSteps"] = []any{}
			d.Steps[iFanOut].NextSteps = []string{"todo", "review", "wait"}
		}, []wantProblem{{"steps[3].configuration.parallelSteps", `parallel step "Fan out" needs at least one step`}}},
		{"step list that is not a list", func(d *workflow.Definition) { conf(d, iCheck)["trueSteps"] = "mail" },
			[]wantProblem{
				{"steps[1].configuration.trueSteps", "trueSteps must be a list of step ids, not text"},
				{"steps[2]", `step "Mail" can never run`},
			}},

		// Actions.
		{"unknown action", func(d *workflow.Definition) { conf(d, iMail)["action"] = "send_sms" },
			[]wantProblem{{"steps[2].configuration.action", `unknown action "send_sms"; use one of call_api, create_record, create_task, `}}},
		{"missing action", func(d *workflow.Definition) { delete(conf(d, iMail), "action") },
			[]wantProblem{{"steps[2].configuration.action", "action is missing: the action to run, one of call_api, create_record, create_task, "}}},
		{"parameters not an object", func(d *workflow.Definition) { conf(d, iMail)["parameters"] = []any{"x"} },
			[]wantProblem{{"steps[2].configuration.parameters", "parameters must be an object, not a list"}}},
		{"unknown action parameter", func(d *workflow.Definition) { params(d, iMail)["cc"] = "boss@example.com" },
			[]wantProblem{{"steps[2].configuration.parameters.cc", `send_email has no parameter "cc"; its parameters are template, recipient, data`}}},
		{"missing required parameter", func(d *workflow.Definition) { delete(params(d, iMail), "recipient") },
			[]wantProblem{{"steps[2].configuration.parameters.recipient", `send_email needs the parameter "recipient"`}}},
		{"empty required parameter", func(d *workflow.Definition) { params(d, iTodo)["title"] = "" },
			[]wantProblem{{"steps[4].configuration.parameters.title", `create_task needs the parameter "title"`}}},
		{"literal recipient that is not an email", func(d *workflow.Definition) { params(d, iMail)["recipient"] = "bob" },
			[]wantProblem{{"steps[2].configuration.parameters.recipient", `send_email parameter "recipient": "bob" is not an email address`}}},
		{"recipient of the wrong JSON type", func(d *workflow.Definition) { params(d, iMail)["recipient"] = 42.0 },
			[]wantProblem{{"steps[2].configuration.parameters.recipient", `send_email parameter "recipient" must be an email address, not a number`}}},
		{"enum parameter out of range", func(d *workflow.Definition) { params(d, iTodo)["priority"] = "urgent" },
			[]wantProblem{{"steps[4].configuration.parameters.priority", `create_task parameter "priority" is "urgent"; use one of low, medium, high`}}},
		{"unparseable dueDate", func(d *workflow.Definition) { params(d, iTodo)["dueDate"] = "next tuesday" },
			[]wantProblem{{"steps[4].configuration.parameters.dueDate", `create_task parameter "dueDate": "next tuesday" is not a date`}}},
		{"object parameter of the wrong type", func(d *workflow.Definition) { params(d, iMail)["data"] = 1.0 },
			[]wantProblem{{"steps[2].configuration.parameters.data", `send_email parameter "data" must be an object, not a number`}}},
		{"variable parameter naming an undeclared variable", func(d *workflow.Definition) { params(d, iStart)["name"] = "ghost" },
			[]wantProblem{{"steps[0].configuration.parameters.name", `set_variable parameter "name": "ghost" is not a declared variable`}}},
		{"unknown email template", func(d *workflow.Definition) { params(d, iMail)["template"] = "nope" },
			[]wantProblem{{"steps[2].configuration.parameters.template", `there is no email template "nope"`}}},
		{"undeclared variable in an action template", func(d *workflow.Definition) { params(d, iMail)["data"] = map[string]any{"x": "Hi {{ owner }}"} },
			[]wantProblem{{"steps[2].configuration.parameters.data.x", `step "Mail", parameter data.x: unknown name "owner": it is not a declared variable (at position 7)`}}},
		{"steps reference to a missing step in an action", func(d *workflow.Definition) { params(d, iMail)["data"] = map[string]any{"x": "{{ steps.nope.id }}"} },
			[]wantProblem{{"steps[2].configuration.parameters", "steps.nope refers to a step that does not exist"}}},

		// Conditions.
		{"missing condition", func(d *workflow.Definition) { delete(conf(d, iCheck), "condition") },
			[]wantProblem{{"steps[1].configuration.condition", "condition is missing"}}},
		{"condition syntax error", func(d *workflow.Definition) { conf(d, iCheck)["condition"] = "score = 50" },
			[]wantProblem{{"steps[1].configuration.condition", `the condition of step "Check": unexpected "=" here (at position 7); use == to compare values`}}},
		{"undeclared variable in a condition", func(d *workflow.Definition) { conf(d, iCheck)["condition"] = "score > 50 && budget > 10" },
			[]wantProblem{{"steps[1].configuration.condition", `unknown name "budget": it is not a declared variable (at position 15)`}}},
		{"steps reference to a missing step in a condition", func(d *workflow.Definition) { conf(d, iCheck)["condition"] = "steps.nope.ok == true" },
			[]wantProblem{{"steps[1].configuration.condition", "steps.nope refers to a step that does not exist"}}},
		{"condition that is not boolean", func(d *workflow.Definition) { conf(d, iCheck)["condition"] = `"yes"` },
			[]wantProblem{{"steps[1].configuration.condition", "a condition must give true or false, but this expression gives text"}}},

		// Delays.
		{"delay with no duration", func(d *workflow.Definition) { delete(conf(d, iWait), "duration") },
			[]wantProblem{{"steps[6].configuration.duration", `delay "Wait" needs a duration in seconds`}}},
		{"delay with null duration", func(d *workflow.Definition) { conf(d, iWait)["duration"] = nil },
			[]wantProblem{{"steps[6].configuration.duration", `delay "Wait" needs a duration in seconds`}}},
		{"delay of 0 seconds", func(d *workflow.Definition) { conf(d, iWait)["duration"] = 0.0 },
			[]wantProblem{{"steps[6].configuration.duration", `delay "Wait" lasts 0 seconds; use more than 0`}}},
		{"negative delay", func(d *workflow.Definition) { conf(d, iWait)["duration"] = -5.0 },
			[]wantProblem{{"steps[6].configuration.duration", `delay "Wait" lasts -5 seconds`}}},
		{"delay longer than a year", func(d *workflow.Definition) { conf(d, iWait)["duration"] = float64(workflow.MaxDelay + 1) },
			[]wantProblem{{"steps[6].configuration.duration", "at most 31622400 (a year)"}}},
		{"delay duration in words", func(d *workflow.Definition) { conf(d, iWait)["duration"] = "2 business days" }, nil},
		{"delay duration in bad words", func(d *workflow.Definition) {
			d.Steps[iWait].Name = "Wait a bit"
			conf(d, iWait)["duration"] = "2 bizness days"
		},
			[]wantProblem{{"steps[6].configuration.duration", "“Wait a bit” has a duration “2 bizness days”: write a number of seconds, or e.g. “2 business days”, “3 hours”"}}},
		{"delay duration of no time", func(d *workflow.Definition) { conf(d, iWait)["duration"] = "-3 days" },
			[]wantProblem{{"steps[6].configuration.duration", "write a length of time more than 0"}}},
		{"delay duration in words longer than a year", func(d *workflow.Definition) { conf(d, iWait)["duration"] = "60 weeks" },
			[]wantProblem{{"steps[6].configuration.duration", "use at most a year"}}},
		{"delay duration neither number nor text", func(d *workflow.Definition) { conf(d, iWait)["duration"] = true },
			[]wantProblem{{"steps[6].configuration.duration", "duration must be a number of seconds or a length in words, not"}}},
		{"delay until the next business day", func(d *workflow.Definition) {
			delete(conf(d, iWait), "duration")
			conf(d, iWait)["until"] = "next business day 9:00"
			conf(d, iWait)["calendar"] = "team:closers"
		}, nil},
		{"delay until a bad next business day", func(d *workflow.Definition) {
			delete(conf(d, iWait), "duration")
			conf(d, iWait)["until"] = "next business day noon"
		}, []wantProblem{{"steps[6].configuration.until", "waits until “next business day noon”: write it like “next business day 9:00”"}}},
		{"delay in an unknown calendar", func(d *workflow.Definition) { conf(d, iWait)["calendar"] = "closers" },
			[]wantProblem{{"steps[6].configuration.calendar", "write team:NAME for a team's"}}},
		{"delay with duration and until", func(d *workflow.Definition) { conf(d, iWait)["until"] = `now() + duration("1h")` },
			[]wantProblem{{"steps[6].configuration", `delay "Wait" has both duration and until; keep one`}}},
		{"delay until with an undeclared name", func(d *workflow.Definition) {
			delete(conf(d, iWait), "duration")
			conf(d, iWait)["until"] = "meetingAt"
		}, []wantProblem{{"steps[6].configuration.until", `the until date of delay "Wait": unknown name "meetingAt"`}}},
		{"delay until with a steps reference to a missing step", func(d *workflow.Definition) {
			delete(conf(d, iWait), "duration")
			conf(d, iWait)["until"] = `date(steps.nope.dueDate)`
		}, []wantProblem{{"steps[6].configuration.until", "steps.nope refers to a step that does not exist"}}},
		{"delay until", func(d *workflow.Definition) {
			delete(conf(d, iWait), "duration")
			conf(d, iWait)["until"] = `now() + duration("2h")`
		}, nil},

		// Error handling.
		{"retry with retryCount 0", func(d *workflow.Definition) {
			d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{OnError: "retry", RetryCount: 0, RetryDelay: 60}
		}, []wantProblem{{"steps[2].errorHandling.retryCount", "onError is retry but retryCount is 0; retry at least once"}}},
		{"onError explode", func(d *workflow.Definition) {
			d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{OnError: "explode"}
		}, []wantProblem{{"steps[2].errorHandling.onError", `onError is "explode"; use fail, continue or retry`}}},
		{"onError missing", func(d *workflow.Definition) {
			d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{RetryCount: 1}
		}, []wantProblem{{"steps[2].errorHandling.onError", "onError is missing"}}},
		{"retryDelay negative", func(d *workflow.Definition) {
			d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{OnError: "fail", RetryDelay: -1}
		}, []wantProblem{{"steps[2].errorHandling.retryDelay", "retryDelay is -1 seconds; use 0 to 604800"}}},
		{"retryCount too large", func(d *workflow.Definition) {
			d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{OnError: "retry", RetryCount: 26}
		}, []wantProblem{{"steps[2].errorHandling.retryCount", "retryCount is 26; use 0 to 25"}}},
		{"backoff linear", func(d *workflow.Definition) {
			d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{OnError: "retry", RetryCount: 2, RetryDelay: 5, Backoff: "linear"}
		}, []wantProblem{{"steps[2].errorHandling.backoff", `backoff is "linear"; use fixed or exponential`}}},

		// Human tasks and their forms.
		{"human task without assignee and title", func(d *workflow.Definition) {
			delete(conf(d, iReview), "assignee")
			conf(d, iReview)["title"] = " "
		}, []wantProblem{
			{"steps[5].configuration.assignee", "assignee is missing: who does the task"},
			{"steps[5].configuration.title", "title is empty: what the task is called in the inbox"},
		}},
		{"undeclared variable in a human task template", func(d *workflow.Definition) { conf(d, iReview)["title"] = "Review {{lead.name}} for {{owner}}" },
			[]wantProblem{{"steps[5].configuration.title", `step "Review", title: unknown name "owner": it is not a declared variable (at position 28)`}}},
		{"undeclared variable in a human task description", func(d *workflow.Definition) { conf(d, iReview)["description"] = "Ask {{ owner }} first" },
			[]wantProblem{{"steps[5].configuration.description", `step "Review", description: unknown name "owner": it is not a declared variable`}}},
		{"unclosed template in a human task title", func(d *workflow.Definition) { conf(d, iReview)["title"] = "Review {{ lead.name" },
			[]wantProblem{{"steps[5].configuration.title", "not closed"}}},
		{"steps reference to a missing step in a human task", func(d *workflow.Definition) { conf(d, iReview)["title"] = "Review {{steps.nope.title}}" },
			[]wantProblem{{"steps[5].configuration.title", "steps.nope refers to a step that does not exist"}}},
		{"human task dueDate not a date", func(d *workflow.Definition) { conf(d, iReview)["dueDate"] = "next tuesday" },
			[]wantProblem{{"steps[5].configuration.dueDate", `"next tuesday" is not a date`}}},
		{"form field of unknown type", func(d *workflow.Definition) { field(d, 0)["type"] = "color" },
			[]wantProblem{{"steps[5].configuration.formFields[0].type", `field "note" has unknown type "color"`}}},
		{"form field without type", func(d *workflow.Definition) { delete(field(d, 0), "type") },
			[]wantProblem{{"steps[5].configuration.formFields[0].type", "type is missing"}}},
		{"select without options", func(d *workflow.Definition) { delete(field(d, 1), "options") },
			[]wantProblem{{"steps[5].configuration.formFields[1].options", `select field "outcome" needs options to choose from`}}},
		{"select listing an option twice", func(d *workflow.Definition) { field(d, 1)["options"] = []any{"won", "lost", "won"} },
			[]wantProblem{{"steps[5].configuration.formFields[1].options", `select field "outcome" lists option "won" twice`}}},
		{"options on a text field", func(d *workflow.Definition) { field(d, 0)["options"] = []any{"a"} },
			[]wantProblem{{"steps[5].configuration.formFields[0].options", `only select fields have options; field "note" is text`}}},
		{"duplicate form field names", func(d *workflow.Definition) { field(d, 1)["name"] = "note" },
			[]wantProblem{{"steps[5].configuration.formFields[1].name", `the form has two fields named "note"`}}},
		{"form field named like a helper", func(d *workflow.Definition) { field(d, 0)["name"] = "now" },
			[]wantProblem{{"steps[5].configuration.formFields[0].name", `"now" is a reserved word in expressions; choose another field name`}}},
		{"form field name with a space", func(d *workflow.Definition) { field(d, 0)["name"] = "call note" },
			[]wantProblem{{"steps[5].configuration.formFields[0].name", `field name "call note" may only hold letters, digits and _`}}},
		{"form field required not a boolean", func(d *workflow.Definition) { field(d, 0)["required"] = "yes" },
			[]wantProblem{{"steps[5].configuration.formFields[0].required", "required must be true or false"}}},
		{"form field with an unknown key", func(d *workflow.Definition) { field(d, 0)["placeholder"] = "x" },
			[]wantProblem{{"steps[5].configuration.formFields[0].placeholder", `unknown setting "placeholder"`}}},
		{"form field that is not an object", func(d *workflow.Definition) { conf(d, iReview)["formFields"] = []any{"note"} },
			[]wantProblem{{"steps[5].configuration.formFields[0]", "a form field must be an object with name and type, not text"}}},

		// Variables.
		{"variable with a bad name", func(d *workflow.Definition) {
			d.Variables = append(d.Variables, workflow.Variable{Name: "1st", Type: "string"})
		}, []wantProblem{{"variables[4].name", `variable name "1st" may only hold letters, digits and _, and must not start with a digit`}}},
		{"variable with a reserved name", func(d *workflow.Definition) {
			d.Variables = append(d.Variables, workflow.Variable{Name: "steps", Type: "object"})
		}, []wantProblem{{"variables[4].name", `"steps" is a reserved word in expressions`}}},
		{"variable declared twice", func(d *workflow.Definition) {
			d.Variables = append(d.Variables, workflow.Variable{Name: "score", Type: "number"})
		}, []wantProblem{{"variables[4].name", `variable "score" is declared twice`}}},
		{"variable of unknown type", func(d *workflow.Definition) { d.Variables[1].Type = "integer" },
			[]wantProblem{{"variables[1].type", `variable "score" has type "integer"; use one of string, number, boolean, object, array, date`}}},
		{"variable without a name", func(d *workflow.Definition) {
			d.Variables = append(d.Variables, workflow.Variable{Type: "string"})
		}, []wantProblem{{"variables[4].name", "the variable needs a name"}}},

		// Triggers.
		{"scheduled trigger", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "scheduled", Configuration: map[string]any{
				"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin", "catchUp": "skip", "variables": map[string]any{"score": 10.0}}}
		}, nil},
		{"scheduled trigger with a bad cron line", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "every day"}}
		}, []wantProblem{{"trigger.configuration.cron", `the schedule "every day" is not a valid cron line`}}},
		{"scheduled trigger without cron", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "scheduled", Configuration: map[string]any{}}
		}, []wantProblem{{"trigger.configuration.cron", "cron is missing"}}},
		{"scheduled trigger with a bad timezone", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "@daily", "timezone": "Mars/Olympus"}}
		}, []wantProblem{{"trigger.configuration.timezone", `unknown timezone "Mars/Olympus"`}}},
		{"scheduled trigger with a bad timezone and a bad cron line", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "often", "timezone": "Mars/Olympus"}}
		}, []wantProblem{
			{"trigger.configuration.timezone", `unknown timezone "Mars/Olympus"`},
			{"trigger.configuration.cron", `the schedule "often" is not a valid cron line`},
		}},
		{"scheduled trigger with catchUp sometimes", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "@daily", "catchUp": "sometimes"}}
		}, []wantProblem{{"trigger.configuration.catchUp", `catchUp is "sometimes"; use "once"`}}},
		{"scheduled trigger variables not an object", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "@daily", "variables": []any{"score"}}}
		}, []wantProblem{{"trigger.configuration.variables", "variables must be an object"}}},
		{"event trigger without event", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "event", Configuration: map[string]any{}}
		}, []wantProblem{{"trigger.configuration.event", "event is missing"}}},
		{"event trigger with a bad event name", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "event", Configuration: map[string]any{"event": "lead qualified"}}
		}, []wantProblem{{"trigger.configuration.event", `event name "lead qualified" may only hold letters, digits and _`}}},
		{"event filter with an undeclared name", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "event", Configuration: map[string]any{"event": "lead_qualified", "filter": "lead.score > 50 && budget > 1"}}
		}, []wantProblem{{"trigger.configuration.filter", `the event filter: unknown name "budget": it is not a declared variable (at position 20)`}}},
		{"unknown trigger type", func(d *workflow.Definition) { d.Trigger.Type = "cron" },
			[]wantProblem{{"trigger.type", `unknown trigger type "cron"; use manual, scheduled, event or webhook`}}},
		{"missing trigger type", func(d *workflow.Definition) { d.Trigger.Type = "" },
			[]wantProblem{{"trigger.type", "the trigger needs a type"}}},
		{"manual trigger with settings", func(d *workflow.Definition) {
			d.Trigger.Configuration = map[string]any{"cron": "@daily"}
		}, []wantProblem{{"trigger.configuration.cron", `unknown setting "cron": this takes no settings`}}},
		{"webhook requireSignature yes", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "webhook", Configuration: map[string]any{"requireSignature": "yes"}}
		}, []wantProblem{{"trigger.configuration.requireSignature", "requireSignature must be true or false"}}},
		{"webhook with an unknown setting", func(d *workflow.Definition) {
			d.Trigger = workflow.Trigger{Type: "webhook", Configuration: map[string]any{"secret": "s"}}
		}, []wantProblem{{"trigger.configuration.secret", `unknown setting "secret"; the settings here are requireSignature`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := setup(t)
			d := base(t)
			tt.mutate(d)
			plan, problems := workflow.Compile(d, env)
			checkProblems(t, problems, tt.want)
			if (plan == nil) != (len(tt.want) > 0) {
				t.Fatalf("plan = %v with %d problem(s): a plan must be returned exactly when there are no problems", plan, len(problems))
			}
			for _, p := range problems {
				if p.Message == "" {
					t.Fatalf("problem at %s has no message", p.Path)
				}
			}
		})
	}
}

// TestCompileStepIDs checks that problems inside a step name the step, and problems outside do not.
func TestCompileStepIDs(t *testing.T) {
	t.Parallel()
	env := setup(t)
	d := base(t)
	conf(d, iCheck)["condition"] = "budget > 1"
	d.Variables[1].Type = "integer"
	problems := workflow.Validate(d, env)
	checkProblems(t, problems, []wantProblem{
		{"variables[1].type", `has type "integer"`},
		{"steps[1].configuration.condition", `unknown name "budget"`},
	})
	if problems[0].StepID != "" || problems[1].StepID != "check" {
		t.Fatalf("StepIDs = %q, %q; want \"\", check", problems[0].StepID, problems[1].StepID)
	}
	if problems[1].Position != 1 {
		t.Fatalf("Position = %d, want 1", problems[1].Position)
	}
}

func TestCompileLoops(t *testing.T) {
	t.Parallel()
	loop := func(middleType string, middleConf map[string]any) *workflow.Definition {
		return &workflow.Definition{
			Name:    "Loop",
			Trigger: workflow.Trigger{Type: workflow.TriggerManual},
			Variables: []workflow.Variable{
				{Name: "note", Type: "string"},
			},
			Steps: []workflow.Step{
				{ID: "a", Name: "A", Type: workflow.StepAction, NextSteps: []string{"b"},
					Configuration: map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "note", "value": "x"}}},
				{ID: "b", Name: "B", Type: middleType, NextSteps: []string{"a"}, Configuration: middleConf},
			},
		}
	}
	setVar := map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "note", "value": "y"}}
	tests := []struct {
		name string
		def  *workflow.Definition
		want []wantProblem
	}{
		{"action to action", loop(workflow.StepAction, setVar),
			[]wantProblem{{"steps[0]", "steps a → b form a loop without a delay or human task"}}},
		{"through a delay", loop(workflow.StepDelay, map[string]any{"duration": 60.0}), nil},
		{"through a human task", loop(workflow.StepHumanTask, map[string]any{"assignee": "rep@example.com", "title": "Look"}), nil},
		{"self loop", &workflow.Definition{
			Name:    "Self",
			Trigger: workflow.Trigger{Type: workflow.TriggerManual},
			Steps: []workflow.Step{{ID: "a", Name: "A", Type: workflow.StepParallel, NextSteps: []string{"a"},
				Configuration: map[string]any{"parallelSteps": []any{"a"}}}},
		}, []wantProblem{{"steps[0]", "steps a form a loop"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := setup(t)
			_, problems := workflow.Compile(tt.def, env)
			checkProblems(t, problems, tt.want)
		})
	}
}

func TestCompileReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	env := setup(t)
	d := base(t)
	d.Name = ""                                                                // 1
	d.Trigger.Type = "cron"                                                    // 2
	params(d, iTodo)["priority"] = "urgent"                                    // 3
	conf(d, iWait)["duration"] = 0.0                                           // 4
	d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{OnError: "explode"} // 5
	plan, problems := workflow.Compile(d, env)
	if plan != nil {
		t.Fatalf("Compile returned a plan for a definition with 5 mistakes")
	}
	checkProblems(t, problems, []wantProblem{
		{"name", "the workflow needs a name"},
		{"trigger.type", `unknown trigger type "cron"`},
		{"steps[2].errorHandling.onError", `onError is "explode"`},
		{"steps[4].configuration.parameters.priority", `"urgent"`},
		{"steps[6].configuration.duration", "lasts 0 seconds"},
	})
	const prefix = "the workflow has 5 problem(s): name: the workflow needs a name; trigger.type: "
	if got := problems.Error(); !strings.HasPrefix(got, prefix) {
		t.Fatalf("Problems.Error() = %q, want prefix %q", got, prefix)
	}
}

func TestCompilePlan(t *testing.T) {
	t.Parallel()
	env := setup(t)
	d := base(t)
	d.Steps[iMail].ErrorHandling = &workflow.ErrorHandling{OnError: "retry", RetryCount: 3, RetryDelay: 1.5, Backoff: "exponential"}
	d.Trigger = workflow.Trigger{Type: "webhook", Configuration: map[string]any{"requireSignature": false}}
	plan, problems := workflow.Compile(d, env)
	if len(problems) != 0 {
		t.Fatalf("unexpected problems:\n%s", listProblems(problems))
	}
	mail := plan.Step("mail")
	if mail.OnError != workflow.OnErrorRetry || mail.RetryCount != 3 || mail.RetryDelay != 1500*time.Millisecond || mail.Backoff != "exponential" {
		t.Fatalf("mail error handling = %q/%d/%v/%q, want retry/3/1.5s/exponential", mail.OnError, mail.RetryCount, mail.RetryDelay, mail.Backoff)
	}
	if mail.Action == nil || mail.Action.Name != "send_email" {
		t.Fatalf("mail action = %+v, want send_email", mail.Action)
	}
	rendered, err := mail.Action.Params.Render(context.Background(), map[string]any{"lead": map[string]any{"email": "a@example.com", "firstName": "Ann"}})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	m := rendered.(map[string]any)
	if m["recipient"] != "a@example.com" || m["data"].(map[string]any)["first"] != "Ann" {
		t.Fatalf("rendered parameters = %v", m)
	}
	check := plan.Step("check")
	got, err := check.Condition.Expr.Run(context.Background(), map[string]any{"score": 60.0})
	if err != nil || got != true {
		t.Fatalf("condition(score=60) = %v, %v; want true", got, err)
	}
	if !plan.Trigger.Unsigned {
		t.Fatalf("requireSignature false did not make the webhook unsigned")
	}
	if review := plan.Step("review").Human; review.DueDate != nil || len(review.FormFields) != 2 || review.FormFields[1].Options[1] != "lost" {
		t.Fatalf("review plan = %+v", review)
	}
}

func TestRetryDelayFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		delay   time.Duration
		backoff string
		next    int
		want    time.Duration
	}{
		{"fixed first retry", 10 * time.Second, "", 2, 10 * time.Second},
		{"fixed fifth retry", 10 * time.Second, "fixed", 6, 10 * time.Second},
		{"exponential first retry", 10 * time.Second, "exponential", 2, 10 * time.Second},
		{"exponential second retry", 10 * time.Second, "exponential", 3, 20 * time.Second},
		{"exponential third retry", 10 * time.Second, "exponential", 4, 40 * time.Second},
		{"exponential capped at a day", 10 * time.Second, "exponential", 30, 24 * time.Hour},
		{"exponential from a long base is capped", 20 * time.Hour, "exponential", 3, 24 * time.Hour},
		{"exponential of zero stays zero", 0, "exponential", 10, 0},
		{"fixed is not capped", 48 * time.Hour, "fixed", 5, 48 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &workflow.PlanStep{RetryDelay: tt.delay, Backoff: tt.backoff}
			if got := s.RetryDelayFor(tt.next); got != tt.want {
				t.Fatalf("RetryDelayFor(%d) = %v, want %v", tt.next, got, tt.want)
			}
		})
	}
}

func TestSuccessors(t *testing.T) {
	t.Parallel()
	env := setup(t)
	d := base(t)
	// A parallel step with overlapping nextSteps: order is parallelSteps, then nextSteps, without repeats.
	d.Steps[iFanOut].NextSteps = []string{"wait", "review"}
	plan, problems := workflow.Compile(d, env)
	if len(problems) != 0 {
		t.Fatalf("unexpected problems:\n%s", listProblems(problems))
	}
	tests := []struct {
		id   string
		want []string
	}{
		{"start", []string{"check"}},
		{"check", []string{"mail", "fan_out"}},
		{"fan_out", []string{"todo", "review", "wait"}},
		{"wait", nil},
		{"nope", nil},
	}
	for _, tt := range tests {
		got := plan.Successors(tt.id)
		if len(got) != len(tt.want) {
			t.Fatalf("Successors(%q) = %v, want %v", tt.id, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Fatalf("Successors(%q) = %v, want %v", tt.id, got, tt.want)
			}
		}
	}
	check := plan.Step("check")
	if got := check.Successors(true); len(got) != 1 || got[0] != "mail" {
		t.Fatalf("check.Successors(true) = %v, want [mail]", got)
	}
	if got := check.Successors(false); len(got) != 1 || got[0] != "fan_out" {
		t.Fatalf("check.Successors(false) = %v, want [fan_out]", got)
	}
	if got := plan.Step("mail").Successors(false); len(got) != 1 || got[0] != "wait" {
		t.Fatalf("mail.Successors = %v, want [wait]", got)
	}
}

func TestDefinitionLookups(t *testing.T) {
	t.Parallel()
	d := base(t)
	if s, ok := d.StepByID("todo"); !ok || s.Name != "Todo" {
		t.Fatalf("StepByID(todo) = %v, %v", s, ok)
	}
	if _, ok := d.StepByID("nope"); ok {
		t.Fatalf("StepByID(nope) found a step")
	}
	got := d.VariableNames()
	want := []string{"lead", "score", "note", "outcome"}
	if len(got) != len(want) {
		t.Fatalf("VariableNames = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("VariableNames = %v, want %v", got, want)
		}
	}
}

func TestTriggerPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trigger workflow.Trigger
		want    workflow.TriggerPlan
	}{
		{"manual", workflow.Trigger{Type: "manual"}, workflow.TriggerPlan{Type: "manual"}},
		{"scheduled defaults to UTC and catch up once",
			workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "@daily"}},
			workflow.TriggerPlan{Type: "scheduled", Cron: "@daily", Timezone: "UTC", CatchUp: "once"}},
		{"scheduled with settings",
			workflow.Trigger{Type: "scheduled", Configuration: map[string]any{"cron": "0 9 * * 1-5", "timezone": "America/New_York", "catchUp": "skip"}},
			workflow.TriggerPlan{Type: "scheduled", Cron: "0 9 * * 1-5", Timezone: "America/New_York", CatchUp: "skip"}},
		{"event", workflow.Trigger{Type: "event", Configuration: map[string]any{"event": "lead_qualified"}},
			workflow.TriggerPlan{Type: "event", Event: "lead_qualified"}},
		{"webhook is signed by default", workflow.Trigger{Type: "webhook"}, workflow.TriggerPlan{Type: "webhook"}},
		{"webhook signing on", workflow.Trigger{Type: "webhook", Configuration: map[string]any{"requireSignature": true}},
			workflow.TriggerPlan{Type: "webhook"}},
		{"webhook signing turned off", workflow.Trigger{Type: "webhook", Configuration: map[string]any{"requireSignature": false}},
			workflow.TriggerPlan{Type: "webhook", Unsigned: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := setup(t)
			d := base(t)
			d.Trigger = tt.trigger
			plan, problems := workflow.Compile(d, env)
			if len(problems) != 0 {
				t.Fatalf("unexpected problems:\n%s", listProblems(problems))
			}
			got := plan.Trigger
			if got.Type != tt.want.Type || got.Event != tt.want.Event || got.Cron != tt.want.Cron ||
				got.Timezone != tt.want.Timezone || got.CatchUp != tt.want.CatchUp || got.Unsigned != tt.want.Unsigned {
				t.Fatalf("TriggerPlan = %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("event filter is compiled", func(t *testing.T) {
		t.Parallel()
		env := setup(t)
		d := base(t)
		d.Trigger = workflow.Trigger{Type: "event", Configuration: map[string]any{"event": "lead_qualified", "filter": "score >= 10"}}
		plan, problems := workflow.Compile(d, env)
		if len(problems) != 0 {
			t.Fatalf("unexpected problems:\n%s", listProblems(problems))
		}
		for _, tc := range []struct {
			score float64
			want  bool
		}{{9, false}, {10, true}} {
			got, err := plan.Trigger.Filter.Run(context.Background(), map[string]any{"score": tc.score})
			if err != nil || got != tc.want {
				t.Fatalf("filter(score=%v) = %v, %v; want %v", tc.score, got, err, tc.want)
			}
		}
	})
}
