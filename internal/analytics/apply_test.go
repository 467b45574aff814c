package analytics_test

import (
	"slices"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A definition built in Go holds its lists as []string, not the []any that decoding JSON gives; applying a
// fix reads them through the typed configuration, so such a list is redirected like any other.
func TestApplyRedirectsStringLists(t *testing.T) {
	t.Parallel()
	call := func(id, next string) workflow.Step {
		s := workflow.Step{ID: id, Name: id, Type: workflow.StepAction, NextSteps: []string{next},
			Configuration: map[string]any{"action": "call_api", "parameters": map[string]any{"url": "https://" + id + ".example.com/x"}}}
		if next == "" {
			s.NextSteps = []string{}
		}
		return s
	}
	def := &workflow.Definition{Name: "Go-built", Trigger: workflow.Trigger{Type: workflow.TriggerManual},
		Variables: []workflow.Variable{{Name: "score", Type: "number"}},
		Steps: []workflow.Step{
			{ID: "check", Name: "Check", Type: workflow.StepCondition, Configuration: map[string]any{
				"condition": "score > 50", "trueSteps": []string{"score"}, "falseSteps": []string{"fan"}}},
			{ID: "fan", Name: "Fan", Type: workflow.StepParallel, NextSteps: []string{},
				Configuration: map[string]any{"parallelSteps": []string{"score", "other"}}},
			call("score", "geo"), call("geo", "firmo"), call("firmo", ""), call("other", ""),
		}}
	out, err := analytics.Apply(def, &analytics.Fix{Kind: analytics.RuleParallelize,
		Steps: []string{"score", "geo", "firmo"}, ParallelStepID: "lookups"})
	if err != nil {
		t.Fatal(err)
	}
	check, _ := out.StepByID("check")
	c := check.Config().(*workflow.ConditionConfig)
	if !slices.Equal(c.TrueSteps, []string{"lookups"}) || !slices.Equal(c.FalseSteps, []string{"fan"}) {
		t.Fatalf("the condition leads to %v and %v, want [lookups] and [fan]", c.TrueSteps, c.FalseSteps)
	}
	fan, _ := out.StepByID("fan")
	if p := fan.Config().(*workflow.ParallelConfig); !slices.Equal(p.ParallelSteps, []string{"lookups", "other"}) {
		t.Fatalf("the parallel step's branches are %v, want [lookups other]", p.ParallelSteps)
	}
	lookups, _ := out.StepByID("lookups")
	if p := lookups.Config().(*workflow.ParallelConfig); !slices.Equal(p.ParallelSteps, []string{"score", "geo", "firmo"}) {
		t.Fatalf("the new parallel step's branches are %v", p.ParallelSteps)
	}
	if _, problems := workflow.Compile(out, environment()); problems != nil {
		t.Fatalf("the applied definition does not compile: %v", problems)
	}
	if got, _ := def.StepByID("check"); !slices.Equal(got.Configuration["trueSteps"].([]string), []string{"score"}) {
		t.Fatal("Apply changed the definition it was given")
	}
}

// A call_api step with no parameters object gets one holding the timeout; other settings stay.
func TestApplyTimeoutKeepsTheOtherParameters(t *testing.T) {
	t.Parallel()
	def := &workflow.Definition{Name: "T", Trigger: workflow.Trigger{Type: workflow.TriggerManual}, Steps: []workflow.Step{
		{ID: "fetch", Name: "Fetch", Type: workflow.StepAction, NextSteps: []string{}, Configuration: map[string]any{
			"action": "call_api", "parameters": map[string]any{"url": "https://api.example.com/x", "headers": map[string]any{"Accept": "application/json"}}}}}}
	out, err := analytics.Apply(def, &analytics.Fix{Kind: analytics.RuleTimeout, Steps: []string{"fetch"}, Timeout: 30})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := out.StepByID("fetch")
	p := s.Config().(*workflow.ActionConfig).Parameters.(*workflow.CallAPIParams)
	if p.Timeout != 30.0 || p.URL != "https://api.example.com/x" || p.Headers["Accept"] != "application/json" {
		t.Fatalf("parameters after the fix: %#v", p)
	}
}
