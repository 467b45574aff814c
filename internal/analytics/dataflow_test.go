package analytics_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
)

func action(id, next, name, params string) string {
	return fmt.Sprintf(`{"id": %q, "name": %q, "type": "action", "nextSteps": %s,
	  "configuration": {"action": %q, "parameters": %s}}`, id, id, next, name, params)
}

// TestIndependence checks the read/write analysis on pairs of consecutive steps a → b.
func TestIndependence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		a, aParams  string // action name and parameters of a
		b, bParams  string
		independent bool
	}{
		{"different variables", "set_variable", `{"name": "note", "value": "x"}`, "set_variable", `{"name": "score", "value": 1}`, true},
		{"the same variable", "set_variable", `{"name": "note", "value": "x"}`, "set_variable", `{"name": "note", "value": "y"}`, false},
		{"b reads what a sets", "set_variable", `{"name": "score", "value": 1}`, "call_api", `{"url": "https://a.example.com/{{score}}"}`, false},
		{"a reads what b sets", "call_api", `{"url": "https://a.example.com/{{score}}"}`, "set_variable", `{"name": "score", "value": 1}`, false},
		{"b reads a's output", "call_api", `{"url": "https://a.example.com/x"}`, "call_api", `{"url": "https://b.example.com/{{steps.a.body.id}}"}`, false},
		{"b reads a's output by index", "call_api", `{"url": "https://a.example.com/x"}`, "call_api", `{"url": "https://b.example.com/{{steps[\"a\"].body}}"}`, false},
		{"b reads outputs dynamically", "call_api", `{"url": "https://a.example.com/x"}`, "call_api", `{"url": "https://b.example.com/{{steps[lead.step]}}"}`, false},
		{"an email renders every variable", "set_variable", `{"name": "note", "value": "x"}`, "send_email", `{"template": "welcome_qualified_lead", "recipient": "a@example.com"}`, false},
		{"two reads of one API", "call_api", `{"url": "https://a.example.com/x"}`, "call_api", `{"url": "https://a.example.com/y"}`, true},
		{"a write and a read of one API", "call_api", `{"url": "https://a.example.com/x", "method": "POST"}`, "call_api", `{"url": "https://a.example.com/y"}`, false},
		{"writes to two APIs", "call_api", `{"url": "https://a.example.com/x", "method": "POST"}`, "call_api", `{"url": "https://b.example.com/y", "method": "PUT"}`, true},
		{"a write to an API named by a variable", "call_api", `{"url": "{{lead.webhook}}", "method": "POST"}`, "call_api", `{"url": "https://b.example.com/y"}`, false},
		{"two CRM writes", "create_task", `{"title": "Call", "assignee": "rep@example.com"}`, "create_task", `{"title": "Mail", "assignee": "rep@example.com"}`, false},
		{"a CRM write and an API call", "create_task", `{"title": "Call", "assignee": "rep@example.com"}`, "call_api", `{"url": "https://b.example.com/y"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, plan := compile(t, def(action("a", `["b"]`, tt.a, tt.aParams), action("b", `[]`, tt.b, tt.bParams)))
			groups := analytics.ParallelGroups(d, plan)
			got := len(groups) == 1 && slices.Equal(groups[0], []string{"a", "b"})
			if got != tt.independent || (!got && len(groups) != 0) {
				t.Fatalf("groups %v; want a and b independent: %v", groups, tt.independent)
			}
		})
	}
}

// TestChains checks which runs of steps can become parallel at all.
func TestChains(t *testing.T) {
	t.Parallel()
	get := func(id, next string) string {
		return action(id, next, "call_api", `{"url": "https://`+id+`.example.com/"}`)
	}
	tests := []struct {
		name string
		src  string
		want [][]string
	}{
		{"a straight run", def(get("a", `["b"]`), get("b", `["c"]`), get("c", `[]`)), [][]string{{"a", "b", "c"}}},
		{"a step reached from two places starts a new run", def(
			`{"id": "check", "name": "check", "type": "condition", "configuration": {"condition": "score > 1", "trueSteps": ["a"], "falseSteps": ["b"]}}`,
			get("a", `["b"]`), get("b", `["c"]`), get("c", `[]`)), [][]string{{"b", "c"}}},
		{"a step with two successors ends a run", def(get("a", `["b", "x"]`), get("b", `["c"]`), get("c", `[]`), get("x", `[]`)), [][]string{{"b", "c"}}},
		{"a delay splits a run", def(get("a", `["w"]`), `{"id": "w", "name": "w", "type": "delay", "nextSteps": ["b"], "configuration": {"duration": 5}}`,
			get("b", `["c"]`), get("c", `[]`)), [][]string{{"b", "c"}}},
		{"inside a parallel branch", def(`{"id": "p", "name": "p", "type": "parallel", "nextSteps": [], "configuration": {"parallelSteps": ["a", "x"]}}`,
			get("a", `["b"]`), get("b", `[]`), get("x", `[]`)), [][]string{{"a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, plan := compile(t, tt.src)
			got := analytics.ParallelGroups(d, plan)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("groups %v, want %v", got, tt.want)
			}
		})
	}
}

// TestParallelizeInsideABranch applies a group that is a parallel step's branch: the branch list points to
// the new parallel step.
func TestParallelizeInsideABranch(t *testing.T) {
	t.Parallel()
	get := func(id, next string) string {
		return action(id, next, "call_api", `{"url": "https://`+id+`.example.com/"}`)
	}
	d, _ := compile(t, def(`{"id": "p", "name": "p", "type": "parallel", "nextSteps": ["z"], "configuration": {"parallelSteps": ["a", "x"]}}`,
		get("a", `["b"]`), get("b", `[]`), get("x", `[]`), get("z", `[]`)))
	out, plan := applied(t, d, analytics.Suggestion{Fix: &analytics.Fix{Kind: analytics.RuleParallelize, Steps: []string{"a", "b"}, ParallelStepID: "parallel_a"}})
	if got := plan.Step("p").Parallel; !slices.Equal(got, []string{"parallel_a", "x"}) {
		t.Fatalf("outer branches %v", got)
	}
	if got := plan.Step("parallel_a").Parallel; !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("inner branches %v", got)
	}
	if out.Steps[0].ID != "p" {
		t.Fatalf("the entry moved: %s", out.Steps[0].ID)
	}
}
