package analytics_test

import (
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The designer's box of a step (static/js/designer.js NODE_W × NODE_H, a line more for a long name).
const boxW, boxH = 220, 90

// An applied parallelize fix places the new parallel step where the designer, which lays steps out top to
// bottom, has room for it: its box overlaps no other step's, it sits above its branches, and every link
// still goes down the page.
func TestApplyParallelizePlacesTheNewStepClearOfTheOthers(t *testing.T) {
	t.Parallel()
	at := func(x, y float64) *workflow.Position { return &workflow.Position{X: x, Y: y} }
	call := func(id string, pos *workflow.Position, next ...string) workflow.Step {
		return workflow.Step{ID: id, Name: id, Type: workflow.StepAction, NextSteps: append([]string{}, next...), Position: pos,
			Configuration: map[string]any{"action": "call_api", "parameters": map[string]any{"url": "https://" + id + ".example.com/x"}}}
	}
	tests := []struct {
		name  string
		steps []workflow.Step
		group []string
		above []string // steps that must stay where they were
	}{
		{
			name: "a chain of two",
			steps: []workflow.Step{
				call("load", at(40, 40), "score"), call("score", at(40, 194), "geo"), call("geo", at(40, 348), "save"),
				call("save", at(40, 502)),
			},
			group: []string{"score", "geo"},
			above: []string{"load"},
		},
		{
			name: "three beside another branch",
			steps: []workflow.Step{
				{ID: "check", Name: "Check", Type: workflow.StepCondition, Position: at(300, 40), NextSteps: []string{},
					Configuration: map[string]any{"condition": "score > 50", "trueSteps": []string{"score"}, "falseSteps": []string{"skip"}}},
				call("score", at(170, 194), "geo"), call("geo", at(170, 348), "firmo"), call("firmo", at(170, 502), "note"),
				call("skip", at(440, 194), "note"),
				call("note", at(300, 656)),
			},
			group: []string{"score", "geo", "firmo"},
			above: []string{"check"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := &workflow.Definition{Name: "Laid out", Trigger: workflow.Trigger{Type: workflow.TriggerManual},
				Variables: []workflow.Variable{{Name: "score", Type: "number"}}, Steps: tt.steps}
			out, err := analytics.Apply(def, &analytics.Fix{Kind: analytics.RuleParallelize, Steps: tt.group, ParallelStepID: "lookups"})
			if err != nil {
				t.Fatal(err)
			}
			p, ok := out.StepByID("lookups")
			if !ok || p.Position == nil {
				t.Fatalf("the new parallel step has no position: %+v", p)
			}
			for i, a := range out.Steps {
				for _, b := range out.Steps[i+1:] {
					if overlap(a.Position, b.Position) {
						t.Errorf("%s at %+v overlaps %s at %+v", a.ID, *a.Position, b.ID, *b.Position)
					}
				}
			}
			for _, id := range tt.group {
				s, _ := out.StepByID(id)
				if s.Position.Y < p.Position.Y+boxH {
					t.Errorf("the branch %s at y %v is not below the parallel step at y %v", id, s.Position.Y, p.Position.Y)
				}
			}
			for _, s := range out.Steps {
				for _, next := range successors(s) {
					n, _ := out.StepByID(next)
					if n.Position.Y < s.Position.Y+boxH {
						t.Errorf("the link %s → %s goes up the page: y %v → %v", s.ID, next, s.Position.Y, n.Position.Y)
					}
				}
			}
			for _, id := range tt.above {
				was, _ := def.StepByID(id)
				now, _ := out.StepByID(id)
				if *now.Position != *was.Position {
					t.Errorf("%s moved from %+v to %+v", id, *was.Position, *now.Position)
				}
			}
			if _, problems := workflow.Compile(out, environment()); problems != nil {
				t.Fatalf("the applied definition does not compile: %v", problems)
			}
		})
	}
}

func overlap(a, b *workflow.Position) bool {
	return a.X < b.X+boxW && b.X < a.X+boxW && a.Y < b.Y+boxH && b.Y < a.Y+boxH
}

func successors(s workflow.Step) []string {
	out := append([]string{}, s.NextSteps...)
	switch c := s.Config().(type) {
	case *workflow.ConditionConfig:
		out = append(append(out, c.TrueSteps...), c.FalseSteps...)
	case *workflow.ParallelConfig:
		out = append(out, c.ParallelSteps...)
	}
	return out
}
