package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/forms"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The designer's side panels are HTML forms the server renders and reads back (docs/DESIGNER.md names
// their fields). The functions here turn a panel's form into the step, trigger or variables it describes,
// and back into form values, so a panel shows exactly what the definition holds. They are pure: the web
// layer passes the form in and renders what comes out.

// FormErrors are the panel fields whose text could not be read (bad JSON, a word where a number goes), by
// field name. The step keeps its previous value for such a field; the panel shows the text and the error.
type FormErrors map[string]string

// FieldTypes are the types a human task's form field can have, in the order the builder offers them.
var FieldTypes = []string{workflow.FieldText, workflow.FieldTextarea, workflow.FieldNumber, workflow.FieldEmail,
	workflow.FieldDate, workflow.FieldDatetime, workflow.FieldSelect, workflow.FieldCheckbox}

// VariableTypes are the types a variable can have.
var VariableTypes = []string{"string", "number", "boolean", "object", "array", "date"}

// ParseStepForm reads a step's panel. base is the step as it was: its id, type, connections, position and any
// setting the form does not show are kept. specs are the actions the server knows.
func ParseStepForm(base workflow.Step, form url.Values, specs []workflow.ActionSpec) (workflow.Step, FormErrors) {
	step := cloneStep(base)
	errs := FormErrors{}
	if form.Has(PanelName) {
		step.Name = strings.TrimSpace(form.Get(PanelName))
	}
	if step.Configuration == nil {
		step.Configuration = map[string]any{}
	}
	cfg := step.Configuration
	switch step.Type {
	case workflow.StepAction:
		parseActionForm(cfg, form, specs, errs)
	case workflow.StepCondition:
		setText(cfg, "condition", PanelCondition, form)
	case workflow.StepHumanTask:
		setText(cfg, "assignee", PanelAssignee, form)
		setText(cfg, "title", PanelTitle, form)
		setText(cfg, "description", PanelDescription, form)
		setText(cfg, dueKey(cfg), PanelDueDate, form)
		setText(cfg, "assignment", PanelAssignment, form)
		parseSLAForm(cfg, form)
		parseFormFields(cfg, form)
	case workflow.StepDelay:
		parseDelayForm(cfg, form, errs)
	}
	step.ErrorHandling = parseErrorHandling(base.ErrorHandling, form, errs)
	return step, errs
}

// dueKey is the key a human task writes its due date under: due when it has one, else the seed's dueDate.
func dueKey(cfg map[string]any) string {
	if _, ok := cfg["due"]; ok {
		return "due"
	}
	return "dueDate"
}

// parseSLAForm reads a human task's reminders, escalation and delegation. Reminders are written as a list
// ("-4h, 0h"); the escalation is kept only while it says after when or to whom, and keeps any other
// setting it holds; delegation is written only when it is off (it applies unless it says false).
func parseSLAForm(cfg map[string]any, form url.Values) {
	if form.Has(PanelReminders) {
		var list []any
		for _, r := range strings.Split(form.Get(PanelReminders), ",") {
			if r = strings.TrimSpace(r); r != "" {
				list = append(list, r)
			}
		}
		if len(list) > 0 {
			cfg["reminders"] = list
		} else {
			delete(cfg, "reminders")
		}
	}
	if form.Has(PanelEscalateAfter) || form.Has(PanelEscalateTo) {
		esc, _ := cfg["escalation"].(map[string]any)
		esc = cloneMap(esc)
		if esc == nil {
			esc = map[string]any{}
		}
		setText(esc, "after", PanelEscalateAfter, form)
		setText(esc, "to", PanelEscalateTo, form)
		if form.Has(PanelApply) {
			esc["notify"] = forms.Checked(form.Get(PanelEscalateNotify))
		}
		if esc["after"] == nil && esc["to"] == nil {
			delete(cfg, "escalation")
		} else {
			cfg["escalation"] = esc
		}
	}
	if form.Has(PanelApply) {
		if forms.Checked(form.Get(PanelDelegation)) {
			delete(cfg, "delegation")
		} else {
			cfg["delegation"] = false
		}
	}
}

// setText sets cfg[key] to the text of the form's field, or removes it when the text is empty; a field the
// form does not carry leaves the key alone.
func setText(cfg map[string]any, key, field string, form url.Values) {
	if !form.Has(field) {
		return
	}
	if v := strings.TrimSpace(form.Get(field)); v != "" {
		cfg[key] = v
	} else {
		delete(cfg, key)
	}
}

func specByName(specs []workflow.ActionSpec, name string) (workflow.ActionSpec, bool) {
	i := slices.IndexFunc(specs, func(s workflow.ActionSpec) bool { return s.Name == name })
	if i < 0 {
		return workflow.ActionSpec{}, false
	}
	return specs[i], true
}

func parseActionForm(cfg map[string]any, form url.Values, specs []workflow.ActionSpec, errs FormErrors) {
	before := actionConfig(cfg).Action
	if form.Has(PanelAction) {
		setText(cfg, "action", PanelAction, form)
	}
	typed := actionConfig(cfg)
	name := typed.Action
	params := workflow.ParamsMap(typed.Parameters)
	if params == nil {
		params = map[string]any{}
	}
	spec, known := specByName(specs, name)
	if !known {
		if len(params) > 0 {
			cfg["parameters"] = params
		}
		return
	}
	if name != before {
		// Another action: keep only what the new one takes (a title stays a title).
		for k := range params {
			if !slices.ContainsFunc(spec.Params, func(p workflow.ParamSpec) bool { return p.Name == k }) {
				delete(params, k)
			}
		}
	}
	for _, p := range spec.Params {
		field := ParamField(p.Name)
		if !form.Has(field) {
			continue
		}
		text := strings.TrimSpace(form.Get(field))
		if text == "" {
			delete(params, p.Name)
			continue
		}
		v, err := paramValue(p, text)
		if err != "" {
			errs[field] = err
			continue
		}
		params[p.Name] = v
	}
	cfg["parameters"] = params
}

func actionConfig(cfg map[string]any) *workflow.ActionConfig {
	return workflow.DecodeConfig(workflow.StepAction, cfg).(*workflow.ActionConfig)
}

// paramValue reads one parameter's text by its kind.
func paramValue(p workflow.ParamSpec, text string) (any, string) {
	switch p.Kind {
	case workflow.ParamNumber:
		if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, ""
		}
		return text, "" // a template such as {{lead.score}}; validation says whether it is right
	case workflow.ParamObject, workflow.ParamAny:
		return jsonValue(p.Name, text)
	case workflow.ParamBool:
		switch text {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return text, "" // a template; validation says whether it is right
	}
	return text, ""
}

// jsonValue reads JSON text. A whole {{ template }} is taken as it is (it yields the value at run time).
func jsonValue(name, text string) (any, string) {
	if isWholeTemplate(text) {
		return text, ""
	}
	return forms.JSON(name, text)
}

func isWholeTemplate(s string) bool {
	return strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") && strings.Count(s, "{{") == 1
}

// parseFormFields reads the form-field builder (field.<i>.name|label|type|required|options|help) and applies
// its button (op=add_field|remove_field:<i>|up:<i>|down:<i>).
func parseFormFields(cfg map[string]any, form url.Values) {
	n := FormFieldRows.Count(form)
	op := form.Get(PanelOp)
	if n < 0 && !FormFieldRows.IsOp(op) {
		return // the builder was not in the form
	}
	baseFields := formFieldRows(workflow.DecodeConfig(workflow.StepHumanTask, cfg).(*workflow.HumanTaskConfig))
	fields := make([]any, 0, n+1)
	for i := range max(n, 0) {
		var old *workflow.FormField
		if i < len(baseFields) {
			old = baseFields[i]
		}
		field := func(key string) string { return FormFieldRows.Name(i, key) }
		f := map[string]any{"name": strings.TrimSpace(form.Get(field("name"))), "type": form.Get(field("type"))}
		if required := forms.Checked(form.Get(field("required"))); required || old == nil || said(old, "required") {
			f["required"] = required // a field that never said stays silent (not required)
		}
		if f["type"] == "" {
			f["type"] = workflow.FieldText
		}
		if label := strings.TrimSpace(form.Get(field("label"))); label != "" {
			f["label"] = label
		}
		help := strings.TrimSpace(form.Get(field("help")))
		if !form.Has(field("help")) && old != nil {
			help = old.Help
		}
		if help != "" {
			f["help"] = help
		}
		if f["type"] == workflow.FieldSelect {
			if form.Has(field("options")) {
				if opts := splitOptions(form.Get(field("options"))); len(opts) > 0 {
					f["options"] = opts
				}
			} else if old != nil && said(old, "options") {
				f["options"] = workflow.ConfigValue(old, "options")
			}
		}
		fields = append(fields, f)
	}
	fields = forms.Apply(FormFieldRows, fields, op, func() any {
		return map[string]any{"name": "", "type": workflow.FieldText, "required": false}
	})
	cfg["formFields"] = fields
}

// splitOptions reads a select's options, as the definition's JSON holds them.
func splitOptions(s string) []any {
	var out []any
	for _, o := range forms.List(s) {
		out = append(out, o)
	}
	return out
}

// parseDelayForm reads delayMode (duration|until), days, hours, minutes or the duration in words, until, and
// the calendar.
func parseDelayForm(cfg map[string]any, form url.Values, errs FormErrors) {
	if !form.Has(PanelDelayMode) {
		return
	}
	setText(cfg, "calendar", PanelCalendar, form)
	if form.Get(PanelDelayMode) == DelayUntil {
		delete(cfg, "duration")
		setText(cfg, "until", PanelUntil, form)
		if !form.Has(PanelUntil) {
			delete(cfg, "until")
		}
		return
	}
	delete(cfg, "until")
	if text := strings.TrimSpace(form.Get(PanelDurationWords)); text != "" {
		cfg["duration"] = text // the save's check says what is wrong with it
		return
	}
	var secs float64
	var set, bad bool
	for _, u := range []struct {
		field string
		secs  float64
	}{{PanelDays, 86400}, {PanelHours, 3600}, {PanelMinutes, 60}} {
		text := strings.TrimSpace(form.Get(u.field))
		if text == "" {
			continue
		}
		f, msg := forms.Float(u.field, text)
		if msg != "" {
			errs[u.field] = msg
			bad = true
			continue
		}
		secs += f * u.secs
		set = true
	}
	switch {
	case bad: // keep the duration it had
	case set:
		cfg["duration"] = math.Round(secs*1000) / 1000
	default:
		delete(cfg, "duration")
	}
}

// parseErrorHandling reads onError, retryCount, retryDelay (seconds) and backoff; all of them empty means no
// error handling (fail the run).
func parseErrorHandling(base *workflow.ErrorHandling, form url.Values, errs FormErrors) *workflow.ErrorHandling {
	fields := errorHandlingFields
	if !slices.ContainsFunc(fields, form.Has) {
		return cloneErrorHandling(base)
	}
	if !slices.ContainsFunc(fields, func(f string) bool { return strings.TrimSpace(form.Get(f)) != "" }) {
		return nil
	}
	eh := workflow.ErrorHandling{OnError: form.Get(PanelOnError), Backoff: form.Get(PanelBackoff)}
	if base != nil { // a number that does not read keeps the one it had
		eh.RetryCount, eh.RetryDelay = base.RetryCount, base.RetryDelay
	}
	if text := strings.TrimSpace(form.Get(PanelRetryCount)); text == "" {
		eh.RetryCount = 0
	} else if n, msg := forms.Int("retries", text); msg != "" {
		errs[PanelRetryCount] = msg
	} else {
		eh.RetryCount = n
	}
	if text := strings.TrimSpace(form.Get(PanelRetryDelay)); text == "" {
		eh.RetryDelay = 0
	} else if f, msg := forms.Float("the retry delay", text); msg != "" {
		errs[PanelRetryDelay] = fmt.Sprintf("the retry delay must be a number of seconds, not %q", text)
	} else {
		eh.RetryDelay = f
	}
	return &eh
}

// StepFormValues are the panel's field values for a step: what ParseStepForm reads back into the same step.
func StepFormValues(step workflow.Step, specs []workflow.ActionSpec) url.Values {
	v := url.Values{}
	v.Set(PanelName, step.Name)
	switch cfg := step.Config().(type) {
	case *workflow.ActionConfig:
		v.Set(PanelAction, cfg.Action)
		params := workflow.ParamsMap(cfg.Parameters)
		if spec, ok := specByName(specs, cfg.Action); ok {
			for _, p := range spec.Params {
				v.Set(ParamField(p.Name), paramText(p, params[p.Name]))
			}
		}
	case *workflow.ConditionConfig:
		v.Set(PanelCondition, typedText(cfg, "condition", cfg.Condition))
	case *workflow.HumanTaskConfig:
		v.Set(PanelAssignee, typedText(cfg, "assignee", cfg.Assignee))
		v.Set(PanelTitle, typedText(cfg, "title", cfg.Title))
		v.Set(PanelDescription, typedText(cfg, "description", cfg.Description))
		if cfg.Has("due") {
			v.Set(PanelDueDate, typedText(cfg, "due", cfg.Due))
		} else {
			v.Set(PanelDueDate, typedText(cfg, "dueDate", cfg.DueDate))
		}
		v.Set(PanelAssignment, typedText(cfg, "assignment", cfg.Assignment))
		if raw, bad := cfg.Misfit("reminders"); bad {
			v.Set(PanelReminders, textOf(raw))
		} else {
			v.Set(PanelReminders, strings.Join(cfg.Reminders, ", "))
		}
		v.Set(PanelEscalateAfter, textOf(cfg.Escalation["after"]))
		v.Set(PanelEscalateTo, textOf(cfg.Escalation["to"]))
		// Notifying is the default, also for an escalation not yet written.
		if notify, ok := cfg.Escalation["notify"].(bool); notify || !ok {
			v.Set(PanelEscalateNotify, "on")
		}
		if !cfg.Has("delegation") || cfg.Delegation {
			v.Set(PanelDelegation, "on")
		}
		for i, f := range formFieldRows(cfg) {
			if f == nil {
				f = &workflow.FormField{}
			}
			field := func(key string) string { return FormFieldRows.Name(i, key) }
			v.Set(field("name"), typedText(f, "name", f.Name))
			v.Set(field("label"), typedText(f, "label", f.Label))
			v.Set(field("type"), typedText(f, "type", f.Type))
			v.Set(field("help"), typedText(f, "help", f.Help))
			if f.Required {
				v.Set(field("required"), "on")
			}
			if f.Type == workflow.FieldSelect {
				opts := f.Options
				if raw, bad := f.Misfit("options"); bad {
					opts = nil
					if list, ok := raw.([]any); ok {
						for _, o := range list {
							opts = append(opts, textOf(o))
						}
					}
				}
				v.Set(field("options"), strings.Join(opts, ", "))
			}
		}
	case *workflow.DelayConfig:
		if until := cfg.Until; until != "" {
			v.Set(PanelDelayMode, DelayUntil)
			v.Set(PanelUntil, until)
		} else {
			v.Set(PanelDelayMode, DelayForAWhile)
			secs, _ := cfg.Seconds()
			text, _ := cfg.Words()
			d, h, m := splitDuration(secs)
			v.Set(PanelDays, d)
			v.Set(PanelHours, h)
			v.Set(PanelMinutes, m)
			v.Set(PanelDurationWords, text)
		}
		v.Set(PanelCalendar, cfg.Calendar)
	}
	if eh := step.ErrorHandling; eh != nil {
		v.Set(PanelOnError, eh.OnError)
		v.Set(PanelRetryCount, strconv.Itoa(eh.RetryCount))
		v.Set(PanelRetryDelay, formatNumber(eh.RetryDelay))
		v.Set(PanelBackoff, eh.Backoff)
	} else {
		for _, f := range errorHandlingFields {
			v.Set(f, "")
		}
	}
	return v
}

// said reports whether a form field has the key with a value other than null.
func said(f *workflow.FormField, key string) bool {
	raw, bad := f.Misfit(key)
	return f.Has(key) && !(bad && raw == nil)
}

// formFieldRows are a human task's form fields as the builder's rows: one for each item of the list as
// written, nil for an item that is not a field.
func formFieldRows(cfg *workflow.HumanTaskConfig) []*workflow.FormField {
	raw, bad := cfg.Misfit("formFields")
	list, isList := raw.([]any)
	if !bad || !isList {
		rows := make([]*workflow.FormField, len(cfg.FormFields))
		for i := range cfg.FormFields {
			rows[i] = &cfg.FormFields[i]
		}
		return rows
	}
	rows := make([]*workflow.FormField, 0, len(list))
	next := 0
	for _, it := range list {
		if _, ok := it.(map[string]any); ok && next < len(cfg.FormFields) {
			rows = append(rows, &cfg.FormFields[next])
			next++
		} else {
			rows = append(rows, nil)
		}
	}
	return rows
}

// typedText is a text setting as the panel shows it: the text, or what was written instead of text (a number,
// JSON) so that the panel shows it and validation can point at it.
func typedText(o interface{ Misfit(string) (any, bool) }, key, v string) string {
	if raw, bad := o.Misfit(key); bad {
		return textOf(raw)
	}
	return v
}

// splitDuration writes seconds as whole days and hours and the minutes left (fractional when seconds are).
func splitDuration(secs float64) (days, hours, minutes string) {
	if secs <= 0 {
		return "", "", ""
	}
	d := math.Floor(secs / 86400)
	secs -= d * 86400
	h := math.Floor(secs / 3600)
	secs -= h * 3600
	m := secs / 60
	return formatNumber(d), formatNumber(h), formatNumber(math.Round(m*1e6) / 1e6)
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// textOf is a value as form text: strings as they are, anything else as JSON.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return formatNumber(x)
	}
	return jsonText(v, false)
}

// paramText is a parameter's value as the panel shows it.
func paramText(p workflow.ParamSpec, v any) string {
	if v == nil {
		return ""
	}
	switch p.Kind {
	case workflow.ParamObject, workflow.ParamAny:
		if s, ok := v.(string); ok && isWholeTemplate(s) {
			return s
		}
		return jsonText(v, true)
	}
	return textOf(v)
}

func jsonText(v any, indent bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the page escapes; the text stays as typed
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ApplyStep returns a copy of def with the step put in place of the one with its id; start moves it first.
func ApplyStep(def *workflow.Definition, step workflow.Step, start bool) *workflow.Definition {
	out := *def
	out.Steps = make([]workflow.Step, 0, len(def.Steps))
	for _, s := range def.Steps {
		if s.ID == step.ID {
			s = step
		}
		out.Steps = append(out.Steps, s)
	}
	if i := slices.IndexFunc(out.Steps, func(s workflow.Step) bool { return s.ID == step.ID }); start && i > 0 {
		s := out.Steps[i]
		out.Steps = slices.Insert(slices.Delete(out.Steps, i, i+1), 0, s)
	}
	return &out
}

// ParseTriggerForm reads the trigger panel. Fields of a type are read only when the panel showed that type
// (a new type starts with its defaults: a webhook is signed).
func ParseTriggerForm(base workflow.Trigger, form url.Values) (workflow.Trigger, FormErrors) {
	errs := FormErrors{}
	t := workflow.Trigger{Type: base.Type, Configuration: cloneMap(base.Configuration)}
	if form.Has(PanelTriggerType) {
		t.Type = form.Get(PanelTriggerType)
	}
	if t.Configuration == nil {
		t.Configuration = map[string]any{}
	}
	if t.Type != base.Type {
		t.Configuration = map[string]any{}
		return t, errs
	}
	cfg := t.Configuration
	switch t.Type {
	case workflow.TriggerScheduled:
		setText(cfg, "cron", PanelCron, form)
		setText(cfg, "timezone", PanelTimezone, form)
		setText(cfg, "catchUp", PanelCatchUp, form)
		if form.Has(PanelScheduleVariables) {
			text := strings.TrimSpace(form.Get(PanelScheduleVariables))
			if text == "" {
				delete(cfg, "variables")
				break
			}
			v, msg := jsonValue("variables", text)
			if _, isObject := v.(map[string]any); msg == "" && !isObject {
				msg = `variables must be a JSON object of variable names and values, like {"region": "north"}`
			}
			if msg != "" {
				errs[PanelScheduleVariables] = msg
				break
			}
			cfg["variables"] = v
		}
	case workflow.TriggerEvent:
		if form.Has(PanelEvent) || form.Has(PanelCustomEvent) {
			event := strings.TrimSpace(form.Get(PanelCustomEvent))
			if event == "" {
				event = strings.TrimSpace(form.Get(PanelEvent))
			}
			if event != "" {
				cfg["event"] = event
			} else {
				delete(cfg, "event")
			}
		}
		setText(cfg, "filter", PanelFilter, form)
	case workflow.TriggerWebhook:
		if form.Has(PanelApply) {
			_, explicit := base.Configuration["requireSignature"]
			switch signed := forms.Checked(form.Get(PanelRequireSignature)); {
			case !signed:
				cfg["requireSignature"] = false
			case explicit:
				cfg["requireSignature"] = true
			default:
				delete(cfg, "requireSignature") // signing is the default
			}
		}
	}
	return t, errs
}

// TriggerFormValues are the trigger panel's values for a trigger.
func TriggerFormValues(t workflow.Trigger) url.Values {
	v := url.Values{}
	v.Set(PanelTriggerType, t.Type)
	cfg := t.Configuration
	switch t.Type {
	case workflow.TriggerScheduled:
		v.Set(PanelCron, textOf(cfg["cron"]))
		v.Set(PanelTimezone, textOf(cfg["timezone"]))
		v.Set(PanelCatchUp, textOf(cfg["catchUp"]))
		if vars, ok := cfg["variables"]; ok && vars != nil {
			v.Set(PanelScheduleVariables, jsonText(vars, true))
		} else {
			v.Set(PanelScheduleVariables, "")
		}
	case workflow.TriggerEvent:
		event := textOf(cfg["event"])
		if slices.Contains(KnownEvents(), event) {
			v.Set(PanelEvent, event)
			v.Set(PanelCustomEvent, "")
		} else {
			v.Set(PanelEvent, "")
			v.Set(PanelCustomEvent, event)
		}
		v.Set(PanelFilter, textOf(cfg["filter"]))
	case workflow.TriggerWebhook:
		if b, ok := cfg["requireSignature"].(bool); !ok || b {
			v.Set(PanelRequireSignature, "on")
		}
	}
	return v
}

// ParseVariablesForm reads the variables panel (var.<i>.name|type|required|description|default and the
// buttons op=add_var|remove_var:<i>|var_up:<i>|var_down:<i>). A string variable's default is its text; other
// defaults are JSON.
func ParseVariablesForm(base []workflow.Variable, form url.Values) ([]workflow.Variable, FormErrors) {
	errs := FormErrors{}
	n := VariableRows.Count(form)
	if n < 0 && !strings.Contains(form.Get(PanelOp), "var") {
		return slices.Clone(base), errs
	}
	out := make([]workflow.Variable, 0, max(n, 0)+1)
	for i := range max(n, 0) {
		field := func(key string) string { return VariableRows.Name(i, key) }
		v := workflow.Variable{Name: strings.TrimSpace(form.Get(field("name"))), Type: form.Get(field("type")),
			Required: forms.Checked(form.Get(field("required"))), Description: strings.TrimSpace(form.Get(field("description")))}
		if v.Type == "" {
			v.Type = "string"
		}
		text := strings.TrimSpace(form.Get(field("default")))
		switch {
		case text == "":
		case v.Type == "string":
			v.Default = text
		default:
			d, msg := jsonValue("the default", text)
			if msg != "" {
				errs[field("default")] = msg
				if i < len(base) {
					v.Default = base[i].Default
				}
				break
			}
			v.Default = d
		}
		out = append(out, v)
	}
	out = forms.Apply(VariableRows, out, form.Get(PanelOp), func() workflow.Variable { return workflow.Variable{Type: "string"} })
	return out, errs
}

// VariablesFormValues are the variables panel's values.
func VariablesFormValues(vars []workflow.Variable) url.Values {
	out := url.Values{}
	for i, v := range vars {
		field := func(key string) string { return VariableRows.Name(i, key) }
		out.Set(field("name"), v.Name)
		out.Set(field("type"), v.Type)
		out.Set(field("description"), v.Description)
		if v.Required {
			out.Set(field("required"), "on")
		}
		switch d := v.Default.(type) {
		case nil:
			out.Set(field("default"), "")
		case string:
			if v.Type == "string" {
				out.Set(field("default"), d)
			} else {
				out.Set(field("default"), jsonText(d, false))
			}
		default:
			out.Set(field("default"), jsonText(d, false))
		}
	}
	return out
}

var stepPathRE = regexp.MustCompile(`^steps\[\d+\]`)

// ProblemField names the panel field a problem's path is about ("steps[3].configuration.condition" →
// "condition"), or "" when no single field is (the problem is then listed apart).
func ProblemField(path string) string {
	switch {
	case stepPathRE.MatchString(path):
		return stepProblemField(stepPathRE.ReplaceAllString(path, ""))
	case strings.HasPrefix(path, "trigger."):
		rest := strings.TrimPrefix(path, "trigger.")
		if rest == "type" {
			return PanelTriggerType
		}
		key, _, _ := strings.Cut(strings.TrimPrefix(rest, "configuration."), ".")
		switch key {
		case "variables":
			return PanelScheduleVariables
		case "cron", "timezone", "catchUp", "event", "filter", "requireSignature":
			return key
		}
	case strings.HasPrefix(path, "variables["):
		var i int
		var key string
		if n, _ := fmt.Sscanf(strings.NewReplacer("[", " ", "].", " ", "]", " ").Replace(path), "variables %d %s", &i, &key); n >= 1 {
			if key == "" {
				key = "name"
			}
			return VariableRows.Name(i, key)
		}
	}
	return ""
}

var formFieldPathRE = regexp.MustCompile(`^\.configuration\.formFields\[(\d+)\](?:\.(\w+))?`)

func stepProblemField(rest string) string {
	if m := formFieldPathRE.FindStringSubmatch(rest); m != nil {
		key := m[2]
		if key == "" {
			key = "name"
		}
		i, _ := strconv.Atoi(m[1])
		return FormFieldRows.Name(i, key)
	}
	if p, ok := strings.CutPrefix(rest, ".configuration.parameters."); ok {
		end := strings.IndexAny(p, ".[")
		if end < 0 {
			end = len(p)
		}
		return ParamField(p[:end])
	}
	if strings.HasPrefix(rest, ".configuration.reminders") {
		return PanelReminders
	}
	switch rest {
	case ".name":
		return PanelName
	case ".configuration.due":
		return PanelDueDate
	case ".configuration.assignment", ".configuration.delegation", ".configuration.escalation.after", ".configuration.escalation.to",
		".configuration.escalation.notify":
		return strings.TrimPrefix(rest, ".configuration.")
	case ".configuration.escalation":
		return PanelEscalateAfter
	case ".configuration.action", ".configuration.condition", ".configuration.assignee", ".configuration.title",
		".configuration.description", ".configuration.dueDate", ".configuration.duration", ".configuration.until",
		".configuration.calendar":
		return strings.TrimPrefix(rest, ".configuration.")
	case ".errorHandling.onError", ".errorHandling.retryCount", ".errorHandling.retryDelay", ".errorHandling.backoff":
		return strings.TrimPrefix(rest, ".errorHandling.")
	}
	return ""
}

// VariableSuggestions are the {{ }} templates a text field may use: every variable, declared or implied,
// and for a CRM record variable (lead, opportunity, contact, company, task) each of its fields, one level
// into the records it holds (lead.company.name).
func VariableSuggestions(def *workflow.Definition) []string {
	var out []string
	for _, v := range def.AllVariables() {
		if v.Name == "" {
			continue
		}
		out = append(out, "{{"+v.Name+"}}")
		for _, f := range recordFields(v.Name) {
			out = append(out, "{{"+v.Name+"."+f+"}}")
		}
	}
	return out
}

// StepOutputSuggestions are the outputs of the steps that can run before stepID ({{steps.welcome.output.subject}}),
// for the step's expression fields: the keys each action says it gives, and a set_variable's variable.
func StepOutputSuggestions(def *workflow.Definition, stepID string, specs []workflow.ActionSpec) []string {
	before := map[string]bool{}
	preds := map[string][]string{}
	for _, s := range def.Steps {
		for _, next := range stepSuccessors(s) {
			preds[next] = append(preds[next], s.ID)
		}
	}
	queue := slices.Clone(preds[stepID])
	for len(queue) > 0 && len(before) < len(def.Steps) {
		id := queue[0]
		queue = queue[1:]
		if before[id] || id == stepID {
			continue
		}
		before[id] = true
		queue = append(queue, preds[id]...)
	}
	var out []string
	for _, s := range def.Steps {
		cfg, ok := s.Config().(*workflow.ActionConfig)
		if !before[s.ID] || !ok {
			continue
		}
		keys := []string{}
		if spec, ok := specByName(specs, cfg.Action); ok {
			keys = spec.Outputs
		}
		if cfg.Action == "set_variable" {
			if name, _ := workflow.ParamsMap(cfg.Parameters)["name"].(string); name != "" {
				keys = []string{name}
			}
		}
		for _, k := range keys {
			out = append(out, "{{steps."+s.ID+".output."+k+"}}")
		}
	}
	return out
}

// stepSuccessors are the steps a step can lead to.
func stepSuccessors(s workflow.Step) []string {
	out := slices.Clone(s.NextSteps)
	switch cfg := s.Config().(type) {
	case *workflow.ConditionConfig:
		out = append(append(out, cfg.TrueSteps...), cfg.FalseSteps...)
	case *workflow.ParallelConfig:
		out = append(out, cfg.ParallelSteps...)
	}
	return out
}

// recordFields are the fields of a CRM entity's records, nested ones as company.name; none for a name that
// is no entity.
func recordFields(entity string) []string {
	schema, ok := crm.Schema(crm.Entity(entity))
	if !ok {
		return nil
	}
	var out []string
	for _, f := range schema.Fields {
		nested, expanded := schema.Nested[f]
		if !expanded {
			out = append(out, f)
			continue
		}
		for _, g := range nested {
			out = append(out, f+"."+g)
		}
	}
	return out
}

// ImpliedView is a variable the workflow has without declaring it, as the Variables panel lists it.
type ImpliedView struct {
	workflow.ImpliedVariable
	// FromStep is the name of the step whose form asks for it; "" when the trigger brings it.
	FromStep string
	// Fields are a record's fields ("email", "company.name").
	Fields []string
}

// ImpliedVariables are what the Variables panel shows read-only: the event's record with its fields, the
// webhook's body, the schedule's variables and the forms' answers.
func ImpliedVariables(def *workflow.Definition) []ImpliedView {
	var out []ImpliedView
	for _, iv := range workflow.ImpliedVariables(def) {
		v := ImpliedView{ImpliedVariable: iv, Fields: recordFields(iv.Record)}
		if iv.From != "trigger" {
			v.FromStep = iv.From
			if s, ok := def.StepByID(iv.From); ok && s.Name != "" {
				v.FromStep = s.Name
			}
		}
		out = append(out, v)
	}
	return out
}

// DetailsByField sorts problems into those a panel field shows (by field name) and the rest.
func DetailsByField(details []Detail) (map[string][]string, []Detail) {
	byField := map[string][]string{}
	var rest []Detail
	for _, d := range details {
		if f := ProblemField(d.Path); f != "" {
			byField[f] = append(byField[f], d.Message)
			continue
		}
		rest = append(rest, d)
	}
	return byField, rest
}

// TriggerProblems are the problems about the trigger; VariableProblems those about the variables.
func TriggerProblems(details []Detail) []Detail {
	return filterDetails(details, func(p string) bool { return strings.HasPrefix(p, "trigger") })
}

// VariableProblems are the problems about the declared variables.
func VariableProblems(details []Detail) []Detail {
	return filterDetails(details, func(p string) bool { return strings.HasPrefix(p, "variables") })
}

func filterDetails(details []Detail, keep func(string) bool) []Detail {
	out := []Detail{}
	for _, d := range details {
		if keep(d.Path) {
			out = append(out, d)
		}
	}
	return out
}

// cloneStep deep-copies a step through JSON, so edits never touch the definition it came from.
func cloneStep(s workflow.Step) workflow.Step {
	var out workflow.Step
	b, err := json.Marshal(s)
	if err == nil && json.Unmarshal(b, &out) == nil {
		return out
	}
	return s
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	var out map[string]any
	b, err := json.Marshal(m)
	if err == nil && json.Unmarshal(b, &out) == nil {
		return out
	}
	return m
}

func cloneErrorHandling(eh *workflow.ErrorHandling) *workflow.ErrorHandling {
	if eh == nil {
		return nil
	}
	c := *eh
	return &c
}
