package app

import (
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func TestSummarizeStepSaysWhatTheBoxShows(t *testing.T) {
	specs := []workflow.ActionSpec{{Name: "send_email", Title: "Send an email"}, {Name: "call_api", Title: "Call an API"}}
	step := func(typ string, cfg map[string]any) workflow.Step {
		return workflow.Step{ID: "s", Name: "S", Type: typ, Configuration: cfg}
	}
	for _, c := range []struct {
		step workflow.Step
		want StepSummary
	}{
		{step("action", map[string]any{"action": "send_email", "parameters": map[string]any{"template": "welcome", "recipient": "{{lead.email}}"}}),
			StepSummary{"Action · Send an email", "welcome → {{lead.email}}"}},
		{step("action", map[string]any{"action": "send_email", "parameters": map[string]any{"recipient": "{{lead.email}}"}}),
			StepSummary{"Action · Send an email", "{{lead.email}}"}},
		{step("action", map[string]any{"action": "call_api", "parameters": map[string]any{"url": "https://crm.example/hook"}}),
			StepSummary{"Action · Call an API", "https://crm.example/hook"}},
		{step("action", map[string]any{"action": "made_up"}), StepSummary{"Action · made_up", ""}},
		{step("action", map[string]any{}), StepSummary{"Action", ""}},
		{step("condition", map[string]any{"condition": "lead.score > 50", "trueSteps": []any{"a"}}), StepSummary{"Condition", "lead.score > 50"}},
		{step("condition", map[string]any{}), StepSummary{"Condition", "no condition yet"}},
		{step("delay", map[string]any{"duration": 259200}), StepSummary{"Delay", "3 days"}},
		{step("delay", map[string]any{"duration": 5400}), StepSummary{"Delay", "90 minutes"}},
		{step("delay", map[string]any{"until": `date(opportunity.closeDate)`}), StepSummary{"Delay", "until date(opportunity.closeDate)"}},
		{step("delay", map[string]any{"duration": "2 business days"}), StepSummary{"Delay", "2 business days"}},
		{step("delay", map[string]any{"until": "next business day 9:00", "calendar": "team:closers"}), StepSummary{"Delay", "until next business day 9:00 · team:closers"}},
		{step("human_task", map[string]any{"title": "Call", "assignee": "rep@example.com"}), StepSummary{"Human task", "Call · rep@example.com"}},
		{step("parallel", map[string]any{"parallelSteps": []any{}}), StepSummary{"Parallel", "branches, then"}},
	} {
		if got := SummarizeStep(c.step, specs); got != c.want {
			t.Errorf("%s %v: %+v, want %+v", c.step.Type, c.step.Configuration, got, c.want)
		}
	}
	news := newSteps(specs)
	if d := news["delay"]; d.Summary.Detail != "1 day" || d.Configuration["duration"] != 86400 || d.Name != "Delay" {
		t.Errorf("the palette's delay: %+v", d)
	}
	if a := news["action:send_email"]; a.Name != "Send an email" || a.Summary.Kind != "Action · Send an email" || a.Configuration["action"] != "send_email" {
		t.Errorf("the palette's send_email: %+v", a)
	}
	if len(news) != 5+len(specs) {
		t.Errorf("%d new steps, want one per step type and action", len(news))
	}
}
