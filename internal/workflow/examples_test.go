package workflow_test

import (
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func TestRunnableExamplesCompile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file      string
		entry     string
		steps     int
		trigger   string
		event     string
		humanStep string
	}{
		{file: "lead_nurture_sequence.json", entry: "welcome_email", steps: 6, trigger: workflow.TriggerEvent, event: "lead_qualified", humanStep: "schedule_call"},
		{file: "opportunity_pipeline.json", entry: "initial_research", steps: 10, trigger: workflow.TriggerEvent, event: "opportunity_created", humanStep: "confirm_demo"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			env := setup(t)
			def := readExample(t, tt.file)
			plan, problems := workflow.Compile(def, env)
			if len(problems) != 0 {
				t.Fatalf("Compile reported %d problem(s), want none:\n%s", len(problems), listProblems(problems))
			}
			if plan == nil {
				t.Fatalf("Compile returned no plan and no problems")
			}
			if plan.Entry != tt.entry {
				t.Fatalf("Entry = %q, want %q", plan.Entry, tt.entry)
			}
			if len(plan.Steps) != tt.steps {
				t.Fatalf("plan has %d steps, want %d", len(plan.Steps), tt.steps)
			}
			if plan.Trigger.Type != tt.trigger || plan.Trigger.Event != tt.event {
				t.Fatalf("trigger = %q/%q, want %q/%q", plan.Trigger.Type, plan.Trigger.Event, tt.trigger, tt.event)
			}
			if h := plan.Step(tt.humanStep); h == nil || h.Human == nil || len(h.Human.FormFields) != 2 {
				t.Fatalf("human task %q was not planned with its two form fields: %+v", tt.humanStep, h)
			}
			if problems := workflow.Validate(def, env); problems != nil {
				t.Fatalf("Validate = %v, want nil", problems)
			}
		})
	}
}

func TestSeedVerbatimExamplesFail(t *testing.T) {
	t.Parallel()
	t.Run("lead nurture: JavaScript date arithmetic", func(t *testing.T) {
		t.Parallel()
		env := setup(t)
		plan, problems := workflow.Compile(readExample(t, "seed-verbatim/lead_nurture_sequence.json"), env)
		if plan != nil {
			t.Fatalf("Compile returned a plan for an invalid definition")
		}
		checkProblems(t, problems, []wantProblem{
			{path: "steps[2].configuration.condition", msg: "new Date()"},
		})
		p := problems[0]
		if p.StepID != "check_engagement" {
			t.Fatalf("StepID = %q, want check_engagement", p.StepID)
		}
		if p.Position != 25 {
			t.Fatalf("Position = %d, want 25 (the n of new Date())", p.Position)
		}
		const want = `date(lead.lastInteraction) > now() - duration("72h")`
		if !strings.Contains(p.Hint, want) {
			t.Fatalf("Hint = %q, want it to contain %q", p.Hint, want)
		}
		if !strings.Contains(p.Message, want) || !strings.Contains(p.Message, "(at position 25)") {
			t.Fatalf("Message = %q, want it to carry the position and the hint", p.Message)
		}
	})
	t.Run("opportunity pipeline: missing branch and undeclared variable", func(t *testing.T) {
		t.Parallel()
		env := setup(t)
		plan, problems := workflow.Compile(readExample(t, "seed-verbatim/opportunity_pipeline.json"), env)
		if plan != nil {
			t.Fatalf("Compile returned a plan for an invalid definition")
		}
		checkProblems(t, problems, []wantProblem{
			{path: "steps[5].configuration.parameters.data.nextSteps", msg: `unknown name "nextSteps": it is not a declared variable`},
			{path: "steps[2].configuration.falseSteps[0]", msg: `"check_proposal", which does not exist`},
		})
		if problems[0].StepID != "send_demo_followup" || problems[1].StepID != "route_next_action" {
			t.Fatalf("StepIDs = %q, %q; want send_demo_followup, route_next_action", problems[0].StepID, problems[1].StepID)
		}
		if problems[0].Position != 3 {
			t.Fatalf("Position of {{nextSteps}} = %d, want 3", problems[0].Position)
		}
	})
}
