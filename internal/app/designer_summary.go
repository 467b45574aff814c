package app

import (
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// StepSummary is what a step's box on the canvas says besides its name: its kind ("Action · Send an
// email") and one line of what it does ("welcome → {{lead.email}}", "2 days"). The server writes it from
// the typed configuration, so the canvas script reads no configuration to label a box.
type StepSummary struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

var stepKinds = map[string]string{workflow.StepAction: "Action", workflow.StepCondition: "Condition",
	workflow.StepParallel: "Parallel", workflow.StepHumanTask: "Human task", workflow.StepDelay: "Delay"}

// SummarizeStep is a step's box text; specs give the actions' titles.
func SummarizeStep(step workflow.Step, specs []workflow.ActionSpec) StepSummary {
	kind := stepKinds[step.Type]
	if kind == "" {
		kind = step.Type
	}
	switch cfg := step.Config().(type) {
	case *workflow.ActionConfig:
		if cfg.Action == "" {
			return StepSummary{Kind: kind}
		}
		title := cfg.Action
		if i := slices.IndexFunc(specs, func(s workflow.ActionSpec) bool { return s.Name == cfg.Action }); i >= 0 && specs[i].Title != "" {
			title = specs[i].Title
		}
		p := workflow.ParamsMap(cfg.Parameters)
		text := func(key string) string { s, _ := p[key].(string); return s }
		var detail string
		switch cfg.Action {
		case "send_email":
			detail = joinSet(" → ", text("template"), text("recipient"))
		case "create_task":
			detail = text("title")
		case "set_variable":
			detail = text("name")
		default:
			detail = joinSet("", text("title"), text("url"))
		}
		return StepSummary{Kind: kind + " · " + title, Detail: detail}
	case *workflow.ConditionConfig:
		if cfg.Condition == "" {
			return StepSummary{Kind: kind, Detail: "no condition yet"}
		}
		return StepSummary{Kind: kind, Detail: cfg.Condition}
	case *workflow.DelayConfig:
		if cfg.Until != "" {
			return StepSummary{Kind: kind, Detail: joinSet(" · ", "until "+cfg.Until, cfg.Calendar)}
		}
		if text, ok := cfg.Words(); ok && strings.TrimSpace(text) != "" {
			return StepSummary{Kind: kind, Detail: joinSet(" · ", strings.TrimSpace(text), cfg.Calendar)}
		}
		if secs, _ := cfg.Seconds(); secs > 0 {
			return StepSummary{Kind: kind, Detail: words.Exact(time.Duration(secs * float64(time.Second)))}
		}
		return StepSummary{Kind: kind}
	case *workflow.HumanTaskConfig:
		return StepSummary{Kind: kind, Detail: joinSet(" · ", cfg.Title, cfg.Assignee)}
	case *workflow.ParallelConfig:
		return StepSummary{Kind: kind, Detail: "branches, then"}
	}
	return StepSummary{Kind: kind}
}

// SummarizeSteps are the box texts of a definition's steps, by step id.
func SummarizeSteps(def *workflow.Definition, specs []workflow.ActionSpec) map[string]StepSummary {
	out := make(map[string]StepSummary, len(def.Steps))
	for _, s := range def.Steps {
		out[s.ID] = SummarizeStep(s, specs)
	}
	return out
}

// joinSet joins the texts that are not empty; with sep "" it is the first of them.
func joinSet(sep string, texts ...string) string {
	var set []string
	for _, t := range texts {
		if t != "" {
			set = append(set, t)
		}
	}
	if sep == "" && len(set) > 0 {
		return set[0]
	}
	return strings.Join(set, sep)
}
