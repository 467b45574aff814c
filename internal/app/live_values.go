package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Live values: beside every template, condition and filter of a designer panel, what it gives for a record
// the manager picked ("preview with Ana Lopez, Bistro Ana"), worked out by the engine's own expression
// engine with its budgets. Nothing runs: no action, no step; only the field's text is evaluated.

// LiveValue is what one panel field gives for the picked record: its Value as the step would see it, and a
// Problem in words when it fails or reads an empty field ("lead.company is empty for Ana Lopez"); or Later
// when it reads what only the run knows (a task's answer, an earlier step's output).
type LiveValue struct {
	Value   string `json:"value,omitempty"`
	Problem string `json:"problem,omitempty"`
	Later   string `json:"later,omitempty"`
}

// Live are a panel's live values, by field name, and the record they were worked out with.
type Live struct {
	// Entity is the kind of record the workflow is about ("lead"), and Pick the record picked ("lead:ID").
	Entity string
	Pick   string
	// Record names it ("Ana Lopez, Bistro Ana"); Gone says why there is no record to preview with.
	Record string
	Gone   string
	Values map[string]LiveValue
}

// maxLiveValue is how much of a value a panel shows.
const maxLiveValue = 240

// RecordEntity is the kind of record a workflow is about: its event's record, or a declared variable named
// after a CRM entity (a manual workflow with a lead variable); "" when none. Live values are worked out with
// one, and the Run page and the Test run pick one from the CRM.
func RecordEntity(def *workflow.Definition) string { return workflow.RecordOf(def) }

// liveEnv is what the step's expressions see with the record: the variables with their defaults, the
// record under its kind, and why each of the others has no value yet.
type liveEnv struct {
	vars   map[string]any
	later  map[string]string
	names  []string
	label  string
	def    *workflow.Definition
	expr   *expression.Engine
	record bool
}

func (a *App) newLiveEnv(def *workflow.Definition, entity string, rec crm.Record) *liveEnv {
	env := &liveEnv{vars: map[string]any{"steps": map[string]any{}}, later: map[string]string{}, def: def,
		expr: a.Engine.Environment(nil).Expr, record: rec != nil}
	if rec != nil {
		env.label = RecordLabel(rec)
	}
	set := func(name string, value any, later string) {
		env.vars[name] = value
		env.names = append(env.names, name)
		if value == nil && later != "" {
			env.later[name] = later
		}
	}
	for _, v := range def.Variables {
		if v.Name == entity && rec != nil {
			set(v.Name, map[string]any(rec), "")
			continue
		}
		set(v.Name, v.Default, v.Name+" is given when the run starts")
	}
	for _, iv := range workflow.ImpliedVariables(def) {
		switch {
		case iv.Record != "" && iv.Record == entity && rec != nil:
			set(iv.Name, map[string]any(rec), "")
		case iv.From == "trigger":
			set(iv.Name, scheduleValue(def, iv.Name), iv.Name+" comes with the run's start")
		default:
			set(iv.Name, nil, fmt.Sprintf("%s is known once %q is answered", iv.Name, def.StepName(iv.From)))
		}
	}
	return env
}

// scheduleValue is the value a schedule starts its runs with, for a variable it gives.
func scheduleValue(def *workflow.Definition, name string) any {
	if def.Trigger.Type != workflow.TriggerScheduled {
		return nil
	}
	vars, _ := def.Trigger.Configuration["variables"].(map[string]any)
	return vars[name]
}

// StepLiveValues works out the live values of a step's panel with the picked record (pick is
// "lead:ID", as the record pickers send it; none picked gives the values the defaults give).
func (a *App) StepLiveValues(ctx context.Context, actor *Actor, def *workflow.Definition, step workflow.Step, pick string) (Live, error) {
	live, env, err := a.liveStart(ctx, actor, def, pick)
	if err != nil || env == nil {
		return live, err
	}
	switch cfg := step.Config().(type) {
	case *workflow.ActionConfig:
		params := workflow.ParamsMap(cfg.Parameters)
		for name, v := range params {
			if hasTemplate(v) {
				live.Values[ParamField(name)] = env.value(ctx, v)
			}
		}
		if cfg.Action == "send_email" {
			if lv, ok := a.liveMail(ctx, actor, env, params); ok {
				live.Values[ParamField("template")] = lv
			}
		}
	case *workflow.ConditionConfig:
		if strings.TrimSpace(cfg.Condition) != "" {
			lv := env.expression(ctx, cfg.Condition, true)
			if lv.Value == "true" || lv.Value == "false" {
				goes := cfg.FalseSteps
				if lv.Value == "true" {
					goes = cfg.TrueSteps
				}
				lv.Value += ": the run goes on to " + stepNames(def, goes)
			}
			live.Values[PanelCondition] = lv
		}
	case *workflow.HumanTaskConfig:
		for field, src := range map[string]string{PanelAssignee: cfg.Assignee, PanelTitle: cfg.Title, PanelDescription: cfg.Description} {
			if strings.Contains(src, "{{") {
				live.Values[field] = env.value(ctx, src)
			}
		}
	case *workflow.DelayConfig:
		if lv, field, ok := a.liveDelayInWords(ctx, cfg); ok {
			live.Values[field] = lv
		} else if strings.TrimSpace(cfg.Until) != "" {
			live.Values[PanelUntil] = env.expression(ctx, cfg.Until, false)
		}
	}
	return live, nil
}

// TriggerLiveValues works out the live value of an event trigger's filter with the picked record.
func (a *App) TriggerLiveValues(ctx context.Context, actor *Actor, def *workflow.Definition, pick string) (Live, error) {
	live, env, err := a.liveStart(ctx, actor, def, pick)
	if err != nil || env == nil {
		return live, err
	}
	if filter, _ := def.Trigger.Configuration["filter"].(string); strings.TrimSpace(filter) != "" {
		lv := env.expression(ctx, filter, true)
		switch lv.Value {
		case "true":
			lv.Value = "true: the event would start a run"
		case "false":
			lv.Value = "false: the event would not start a run"
		}
		live.Values[PanelFilter] = lv
	}
	return live, nil
}

// liveStart reads the picked record. A record that is gone (or of another kind) is said, not an error: the
// panel still shows, with its picker.
func (a *App) liveStart(ctx context.Context, actor *Actor, def *workflow.Definition, pick string) (Live, *liveEnv, error) {
	live := Live{Entity: RecordEntity(def), Values: map[string]LiveValue{}}
	kind, id, _ := strings.Cut(pick, ":")
	if pick == "" || live.Entity == "" {
		return live, a.newLiveEnv(def, live.Entity, nil), nil
	}
	if kind != live.Entity {
		live.Gone = "the workflow is about a " + live.Entity + ", not a " + kind + ": pick a " + live.Entity
		return live, a.newLiveEnv(def, live.Entity, nil), nil
	}
	rec, err := a.GetRecord(ctx, actor, crm.Entity(kind), id)
	var aerr *Error
	switch {
	case errors.As(err, &aerr) && errors.Is(aerr.Kind, ErrNotFound):
		live.Gone = "that " + kind + " is not in the CRM any more: pick another"
		return live, a.newLiveEnv(def, live.Entity, nil), nil
	case err != nil:
		return live, nil, err
	}
	live.Pick, live.Record = pick, RecordLabel(rec)
	return live, a.newLiveEnv(def, live.Entity, rec), nil
}

// value renders a parameter or a text field (a template, or a JSON value with templates inside).
func (env *liveEnv) value(ctx context.Context, v any) LiveValue {
	_, lv := env.render(ctx, v)
	return lv
}

// render is value with what it rendered, nil when it gave nothing to use.
func (env *liveEnv) render(ctx context.Context, v any) (any, LiveValue) {
	vt, perrs := env.expr.ParseValue(v, env.names)
	if len(perrs) > 0 {
		return nil, LiveValue{} // the field's problem says what is wrong with it
	}
	var fields []string
	for _, fs := range vt.Fields() {
		fields = append(fields, fs...)
	}
	if lv, later := env.unknown(vt.Names(), vt.StepRefs()); later {
		return nil, lv
	}
	out, err := vt.Render(ctx, env.vars)
	if err != nil {
		out = nil
	}
	return out, env.outcome(out, err, fields)
}

// expression evaluates a condition (boolean) or an expression such as a delay's date.
func (env *liveEnv) expression(ctx context.Context, src string, boolean bool) LiveValue {
	var p *expression.Program
	var err error
	if boolean {
		p, err = env.expr.CompileBool(src, env.names)
	} else {
		p, err = env.expr.Compile(src, env.names)
	}
	if err != nil {
		return LiveValue{}
	}
	if lv, later := env.unknown(p.Names(), p.StepRefs()); later {
		return lv
	}
	out, err := p.Run(ctx, env.vars)
	return env.outcome(out, err, p.Fields())
}

// unknown says when what the text reads is known only to the run.
func (env *liveEnv) unknown(names, steps []string) (LiveValue, bool) {
	if len(steps) > 0 {
		return LiveValue{Later: "known when the run has done " + stepNames(env.def, steps)}, true
	}
	for _, n := range names {
		if why, ok := env.later[n]; ok {
			return LiveValue{Later: why}, true
		}
	}
	return LiveValue{}, false
}

// outcome says what the text gave: the value, or why it gave nothing, naming the first empty field it reads.
func (env *liveEnv) outcome(out any, err error, fields []string) LiveValue {
	empty := env.emptyField(fields)
	if err != nil {
		if empty != "" {
			return LiveValue{Problem: empty}
		}
		var ee *expression.Error
		if errors.As(err, &ee) {
			if ee.Hint != "" {
				return LiveValue{Problem: ee.Message + ": " + ee.Hint}
			}
			return LiveValue{Problem: ee.Message}
		}
		return LiveValue{Problem: err.Error()}
	}
	text := liveText(out)
	if strings.TrimSpace(text) == "" && empty == "" {
		return LiveValue{Problem: "it gives nothing (an empty text)"}
	}
	return LiveValue{Value: text, Problem: empty}
}

// emptyField names the first field read whose value is empty: "lead.company is empty for Ana Lopez".
func (env *liveEnv) emptyField(fields []string) string {
	for _, path := range fields {
		parts := strings.Split(path, ".")
		v, ok := env.vars[parts[0]]
		if !ok || v == nil {
			continue // a variable with no value yet is said by unknown
		}
		for i := 1; i < len(parts); i++ {
			m, isMap := v.(map[string]any)
			if !isMap {
				break
			}
			v = m[parts[i]]
			if v == nil || v == "" {
				whose := "this " + parts[0]
				if env.record && env.label != "" {
					whose = env.label
				}
				return strings.Join(parts[:i+1], ".") + " is empty for " + whose
			}
		}
	}
	return ""
}

// liveMail fills the step's mail template in with the step's data and the variables, as send_email does,
// and says its subject.
func (a *App) liveMail(ctx context.Context, actor *Actor, env *liveEnv, params map[string]any) (LiveValue, bool) {
	name, _ := params["template"].(string)
	if name == "" || strings.Contains(name, "{{") {
		return LiveValue{}, false
	}
	vars := map[string]any{}
	for k, v := range env.vars {
		if v != nil {
			vars[k] = v
		}
	}
	if data, ok := params["data"].(map[string]any); ok {
		out, rendered := env.render(ctx, data)
		if rendered.Later != "" || rendered.Problem != "" {
			return rendered, true
		}
		m, ok := out.(map[string]any)
		if !ok {
			return LiveValue{}, false // data that does not read: its field says why
		}
		maps.Copy(vars, m)
	}
	p, err := a.PreviewMailTemplate(ctx, actor, name, TemplatePreview{Variables: vars})
	if err != nil {
		var verr *ValidationError
		if errors.As(err, &verr) && len(verr.Details) > 0 {
			return LiveValue{Problem: verr.Details[0].Message}, true
		}
		return LiveValue{}, false
	}
	if len(p.Missing) > 0 {
		return LiveValue{Problem: "the mail would show [" + strings.Join(p.Missing, "], [") + "]: give them in Data"}, true
	}
	return LiveValue{Value: "Subject: " + clip(p.Subject)}, true
}

// liveText is a value as a panel shows it: text as it is, a time in words, anything else as JSON.
func liveText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return clip(x)
	case bool:
		return fmt.Sprint(x)
	case time.Time:
		return x.Format("Mon 2 Jan 2006, 15:04 MST")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return clip(fmt.Sprint(v))
	}
	return clip(string(b))
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxLiveValue {
		return s
	}
	return string([]rune(s)[:maxLiveValue]) + "…"
}

// stepNames names steps for a person: "Schedule call and Send welcome email"; "the end" for none.
func stepNames(def *workflow.Definition, ids []string) string {
	if len(ids) == 0 {
		return "the end"
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = def.StepName(id)
	}
	return words.List(names)
}

// hasTemplate reports whether a parameter's value holds a {{ template }} anywhere.
func hasTemplate(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, "{{")
	case map[string]any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	}
	return false
}

// liveDelayInWords says when a delay written in words ("2 business days", "next business day 9:00") would
// end if it began now, in the working calendar it counts in; ok is false for a delay not written so.
func (a *App) liveDelayInWords(ctx context.Context, cfg *workflow.DelayConfig) (lv LiveValue, field string, ok bool) {
	text, inWords := cfg.Words()
	m, isMoment, merr := businesstime.ParseMoment(cfg.Until)
	field = PanelDurationWords
	if isMoment {
		field = PanelUntil
	}
	if !inWords && !isMoment {
		return lv, "", false
	}
	team, _ := strings.CutPrefix(strings.TrimSpace(cfg.Calendar), workflow.TeamPrefix)
	raw, err := a.DB.Teams().Calendar(ctx, strings.TrimSpace(team))
	if err != nil {
		return LiveValue{Problem: err.Error()}, field, true
	}
	cal, err := businesstime.Parse(raw)
	if err != nil {
		return LiveValue{Problem: err.Error()}, field, true
	}
	var d workflow.DelayPlan
	if isMoment {
		if merr != nil {
			return LiveValue{Problem: merr.Error()}, field, true
		}
		d.Moment = &m
	} else {
		o, perr := businesstime.ParseOffset(text)
		if perr != nil {
			return LiveValue{Problem: perr.Error()}, field, true
		}
		d.Offset = &o
	}
	now := a.Clock.Now()
	at, _, err := d.WakeIn(cal, now)
	if err != nil {
		return LiveValue{Problem: err.Error()}, field, true
	}
	return LiveValue{Value: words.On(at, now, cal.Location()) + ", if it began now"}, field, true
}
