package workflow_test

import (
	"slices"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// secretsDef is a workflow with a call_api step whose parameters are given, then a step of another kind.
func secretsDef(t *testing.T, params string, second string) *workflow.Definition {
	t.Helper()
	return decode(t, `{"name": "Sync", "trigger": {"type": "manual", "configuration": {}},
		"variables": [{"name": "note", "type": "string"}],
		"steps": [
			{"id": "call", "name": "Call", "type": "action", "nextSteps": ["next"],
			 "configuration": {"action": "call_api", "parameters": `+params+`}},
			`+second+`]}`)
}

const plainNext = `{"id": "next", "name": "Next", "type": "action", "nextSteps": [],
	"configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "done"}}}`

func TestSecretsAreCheckedWhenSaved(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.Secrets = func(name string) bool { return name == "CRM_API_KEY" || name == "OTHER" }

	good := secretsDef(t, `{"url": "https://api.example.com/x?key={{ secrets.OTHER }}",
		"headers": {"Authorization": "Bearer {{ secrets.CRM_API_KEY }}"}, "body": {"k": "{{ secrets.CRM_API_KEY }}"}}`, plainNext)
	plan, problems := workflow.Compile(good, env)
	if len(problems) != 0 {
		t.Fatalf("unexpected problems:\n%s", listProblems(problems))
	}
	if got := plan.Step("call").Action.Secrets; !slices.Equal(got, []string{"CRM_API_KEY", "OTHER"}) {
		t.Fatalf("the step reads secrets %v, want CRM_API_KEY and OTHER", got)
	}
	if len(plan.Warnings) != 0 {
		t.Fatalf("a step that uses secrets got warnings: %v", plan.Warnings)
	}

	cases := []struct {
		name   string
		def    *workflow.Definition
		want   []wantProblem
		global bool
	}{
		{"a secret that does not exist", secretsDef(t, `{"url": "https://api.example.com", "headers": {"X-Api-Key": "{{ secrets.MISSING }}"}}`, plainNext),
			[]wantProblem{{`steps[0].configuration.parameters.headers["X-Api-Key"]`, `there is no secret "MISSING"`}}, false},
		{"a secret in a parameter that does not take one", secretsDef(t, `{"url": "https://api.example.com", "timeout": "{{ secrets.CRM_API_KEY }}"}`, plainNext),
			[]wantProblem{{"steps[0].configuration.parameters.timeout", "secrets can be used only in the url, headers and body of a call_api step"}}, false},
		{"a secret copied into a variable", secretsDef(t, `{"url": "https://api.example.com"}`, `{"id": "next", "name": "Next", "type": "action", "nextSteps": [],
			"configuration": {"action": "set_variable", "parameters": {"name": "note", "value": "{{ secrets.CRM_API_KEY }}"}}}`),
			[]wantProblem{{"steps[1].configuration.parameters.value", "set_variable cannot use secrets here"}}, false},
		{"a secret in a condition", secretsDef(t, `{"url": "https://api.example.com"}`, `{"id": "next", "name": "Next", "type": "condition", "nextSteps": [],
			"configuration": {"condition": "secrets.CRM_API_KEY == \"x\"", "trueSteps": [], "falseSteps": []}}`),
			[]wantProblem{{"steps[1].configuration.condition", "secrets.CRM_API_KEY cannot be used here"}}, false},
		{"a secret in a task's title", secretsDef(t, `{"url": "https://api.example.com"}`, `{"id": "next", "name": "Next", "type": "human_task", "nextSteps": [],
			"configuration": {"assignee": "rep@example.com", "title": "Key {{ secrets.CRM_API_KEY }}", "formFields": []}}`),
			[]wantProblem{{"steps[1].configuration.title", "secrets.CRM_API_KEY cannot be used here"}}, false},
		{"a secret not named", secretsDef(t, `{"url": "https://api.example.com", "body": "{{ toJSON(secrets) }}"}`, plainNext),
			[]wantProblem{{"steps[0].configuration.parameters.body", "a secret must be used by its name"}}, false},
	}
	for _, tc := range cases {
		_, problems := workflow.Compile(tc.def, env)
		t.Run(tc.name, func(t *testing.T) { checkProblems(t, problems, tc.want) })
	}
}

func TestSecretsIsAReservedName(t *testing.T) {
	t.Parallel()
	d := secretsDef(t, `{"url": "https://api.example.com"}`, plainNext)
	d.Variables = append(d.Variables, workflow.Variable{Name: "secrets", Type: "object"})
	_, problems := workflow.Compile(d, setup(t))
	if len(problems) == 0 || problems[0].Path != "variables[1].name" {
		t.Fatalf("a variable named secrets was accepted:\n%s", listProblems(problems))
	}
}

func TestCredentialsWrittenIntoAStepAreWarnedAbout(t *testing.T) {
	t.Parallel()
	d := secretsDef(t, `{"url": "https://api.example.com/x?api_key=sk_live_0123456789",
		"headers": {"Authorization": "Bearer sk_live_abcdefghij", "Accept": "application/json"}}`, plainNext)
	plan, problems := workflow.Compile(d, setup(t))
	if len(problems) != 0 {
		t.Fatalf("credentials are allowed, with a warning; got problems:\n%s", listProblems(problems))
	}
	var paths []string
	for _, w := range plan.Warnings {
		paths = append(paths, w.Path)
		if w.StepID != "call" || w.Hint == "" {
			t.Errorf("warning %+v: want the step and a suggested secret name", w)
		}
	}
	want := []string{"steps[0].configuration.parameters.headers.Authorization", "steps[0].configuration.parameters.url?api_key"}
	if !slices.Equal(paths, want) {
		t.Fatalf("warnings at %v, want %v", paths, want)
	}
}
