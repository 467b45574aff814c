package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Steps and settings in words, as the diff of two versions and the review of an applied suggestion show
// them: "Wait 3 days" → "Wait 2 days", "retry 3 times, 10 s apart". The JSON stays one click away.

// StepFieldWords says one field of a step (name, type, configuration, nextSteps, errorHandling) as a
// person reads it; def names the steps it leads to.
func StepFieldWords(def *workflow.Definition, s *workflow.Step, field string, specs []workflow.ActionSpec) string {
	if s == nil {
		return ""
	}
	switch field {
	case "name":
		return s.Name
	case "type":
		if k := stepKinds[s.Type]; k != "" {
			return k
		}
		return s.Type
	case "configuration":
		return ConfigWords(def, *s, specs)
	case "nextSteps":
		return "then " + stepNames(def, s.NextSteps)
	case "errorHandling":
		return ErrorHandlingWords(s.ErrorHandling)
	}
	return ""
}

// ConfigWords says what a step does: "Wait 3 days", "Send an email: welcome_qualified_lead to {{ lead.email }}".
func ConfigWords(def *workflow.Definition, s workflow.Step, specs []workflow.ActionSpec) string {
	switch cfg := s.Config().(type) {
	case *workflow.ActionConfig:
		if cfg.Action == "" {
			return "no action chosen"
		}
		title := cfg.Action
		if i := slices.IndexFunc(specs, func(sp workflow.ActionSpec) bool { return sp.Name == cfg.Action }); i >= 0 && specs[i].Title != "" {
			title = specs[i].Title
		}
		p := workflow.ParamsMap(cfg.Parameters)
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+" "+paramWords(p[k]))
		}
		if len(parts) == 0 {
			return title
		}
		return title + ": " + strings.Join(parts, "; ")
	case *workflow.ConditionConfig:
		return fmt.Sprintf("If %s: yes → %s, no → %s", orNone(cfg.Condition, "(no condition)"), stepNames(def, cfg.TrueSteps), stepNames(def, cfg.FalseSteps))
	case *workflow.ParallelConfig:
		return "Run " + stepNames(def, cfg.ParallelSteps) + " at the same time"
	case *workflow.DelayConfig:
		if cfg.Until != "" {
			return "Wait until " + cfg.Until
		}
		if text, ok := cfg.Words(); ok {
			return "Wait " + text
		}
		secs, _ := cfg.Seconds()
		return "Wait " + words.Exact(time.Duration(secs*float64(time.Second)))
	case *workflow.HumanTaskConfig:
		var b strings.Builder
		fmt.Fprintf(&b, "Task %q for %s", cfg.Title, orNone(cfg.Assignee, "nobody yet"))
		if cfg.DueDate != "" {
			b.WriteString(", due " + cfg.DueDate)
		}
		if len(cfg.FormFields) > 0 {
			names := make([]string, len(cfg.FormFields))
			for i, f := range cfg.FormFields {
				names[i] = orNone(f.Label, f.Name)
			}
			b.WriteString(", asks " + words.List(names))
		}
		return b.String()
	}
	return liveText(s.Configuration)
}

// ErrorHandlingWords says what happens when a step fails: "retry 3 times, 10 s apart, then stop the run".
func ErrorHandlingWords(eh *workflow.ErrorHandling) string {
	if eh == nil || (eh.RetryCount == 0 && eh.OnError == "") {
		return "stop the run when it fails"
	}
	var parts []string
	if eh.RetryCount > 0 {
		r := "retry " + words.Plural(eh.RetryCount, "time")
		if eh.RetryDelay > 0 {
			r += ", " + words.Seconds(eh.RetryDelay) + " apart"
		}
		if eh.Backoff == "exponential" {
			r += ", doubling each time"
		}
		parts = append(parts, r)
	}
	switch eh.OnError {
	case workflow.OnErrorContinue:
		parts = append(parts, "then skip the step and go on")
	default:
		parts = append(parts, "then stop the run")
	}
	return strings.Join(parts, ", ")
}

// paramWords is a parameter's value as the diff says it: text as written, anything else as JSON.
func paramWords(v any) string {
	if v == nil {
		return "(empty)"
	}
	return liveText(v)
}

func orNone(s, none string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

// SettingWords says a workflow setting (name, description, trigger, variables) as a person reads it.
func SettingWords(def *workflow.Definition, name string) string {
	switch name {
	case "name":
		return def.Name
	case "description":
		return orNone(def.Description, "(none)")
	case "trigger":
		return TriggerWords(def.Trigger)
	case "variables":
		if len(def.Variables) == 0 {
			return "none declared"
		}
		vs := make([]string, len(def.Variables))
		for i, v := range def.Variables {
			vs[i] = v.Name + " (" + orNone(v.Type, "any") + ")"
		}
		return words.List(vs)
	}
	return ""
}

// TriggerWords says what starts the workflow: "on the CRM event lead_qualified, only when lead.score > 50".
func TriggerWords(t workflow.Trigger) string {
	text := func(k string) string { s, _ := t.Configuration[k].(string); return s }
	switch t.Type {
	case workflow.TriggerManual:
		return "by hand (the Run button or the API)"
	case workflow.TriggerScheduled:
		return "on the schedule " + text("cron") + " (" + orNone(text("timezone"), "UTC") + ")"
	case workflow.TriggerEvent:
		out := "on the CRM event " + text("event")
		if f := text("filter"); f != "" {
			out += ", only when " + f
		}
		return out
	case workflow.TriggerWebhook:
		if req, ok := t.Configuration["requireSignature"].(bool); ok && !req {
			return "from a webhook, unsigned deliveries accepted"
		}
		return "from a webhook, signed deliveries only"
	}
	return t.Type
}
