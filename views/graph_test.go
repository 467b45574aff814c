package views

import (
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The graph's arrows are the plan's: a condition's and a parallel step's lists count whether they were decoded
// from JSON ([]any) or built in Go ([]string).
func TestLayoutGraphDrawsThePlansEdges(t *testing.T) {
	t.Parallel()
	def := &workflow.Definition{Steps: []workflow.Step{
		{ID: "check", Name: "Check", Type: workflow.StepCondition, Configuration: map[string]any{
			"condition": "x > 1", "trueSteps": []string{"fan"}, "falseSteps": []any{"done"}}},
		{ID: "fan", Name: "Fan", Type: workflow.StepParallel, NextSteps: []string{"done"},
			Configuration: map[string]any{"parallelSteps": []string{"a", "b"}}},
		{ID: "a", Name: "A", Type: workflow.StepDelay, Configuration: map[string]any{"duration": 60.0}},
		{ID: "b", Name: "B", Type: workflow.StepDelay, Configuration: map[string]any{"duration": 60.0}},
		{ID: "done", Name: "Done", Type: workflow.StepDelay, Configuration: map[string]any{"duration": 60.0}},
	}}
	g := LayoutGraph(def, nil)
	var got []string
	for _, e := range g.Edges {
		got = append(got, e.From+">"+e.To+":"+e.Label)
	}
	want := []string{"check>fan:yes", "check>done:no", "fan>a:", "fan>b:", "fan>done:"}
	if len(got) != len(want) {
		t.Fatalf("edges %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("edges %v, want %v", got, want)
		}
	}
}
