package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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
	if form.Has("name") {
		step.Name = strings.TrimSpace(form.Get("name"))
	}
	if step.Configuration == nil {
		step.Configuration = map[string]any{}
	}
	cfg := step.Configuration
	switch step.Type {
	case workflow.StepAction:
		parseActionForm(cfg, form, specs, errs)
	case workflow.StepCondition:
		setText(cfg, "condition", form)
	case workflow.StepHumanTask:
		for _, key := range []string{"assignee", "title", "description", "dueDate"} {
			setText(cfg, key, form)
		}
		parseFormFields(cfg, form)
	case workflow.StepDelay:
		parseDelayForm(cfg, form, errs)
	}
	step.ErrorHandling = parseErrorHandling(base.ErrorHandling, form, errs)
	return step, errs
}

// setText sets cfg[key] to the form's text, or removes it when the text is empty; a key the form does not
// carry is left alone.
func setText(cfg map[string]any, key string, form url.Values) {
	setTextAs(cfg, key, key, form)
}

func setTextAs(cfg map[string]any, key, field string, form url.Values) {
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
	if form.Has("action") {
		setText(cfg, "action", form)
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
		field := "param." + p.Name
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
	}
	return text, ""
}

// jsonValue reads JSON text. A whole {{ template }} is taken as it is (it yields the value at run time).
func jsonValue(name, text string) (any, string) {
	if isWholeTemplate(text) {
		return text, ""
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		msg := fmt.Sprintf("%s is not valid JSON at position %d", name, jsonErrorPosition(text, err))
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			msg += ": " + strings.TrimPrefix(syntax.Error(), "json: ")
		}
		if r, _ := utf8.DecodeRuneInString(text); unicode.IsLetter(r) {
			msg += `; put text in double quotes, like "` + clipText(text, 20) + `"`
		}
		return nil, msg
	}
	return v, ""
}

func isWholeTemplate(s string) bool {
	return strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") && strings.Count(s, "{{") == 1
}

// jsonErrorPosition is the 1-based character where JSON text goes wrong.
func jsonErrorPosition(text string, err error) int {
	offset := len(text)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		offset = int(syntax.Offset)
	}
	offset = min(max(offset, 1), len(text))
	return utf8.RuneCountInString(text[:offset])
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

var fieldKeyRE = regexp.MustCompile(`^field\.(\d+)\.(name|type)$`)

// parseFormFields reads the form-field builder (field.<i>.name|label|type|required|options|help) and applies
// its button (op=add_field|remove_field:<i>|up:<i>|down:<i>).
func parseFormFields(cfg map[string]any, form url.Values) {
	n := rowCount(form, fieldKeyRE)
	op := form.Get("op")
	if n < 0 && !strings.HasSuffix(op, "_field") && !strings.Contains(op, ":") {
		return // the builder was not in the form
	}
	baseFields := formFieldRows(workflow.DecodeConfig(workflow.StepHumanTask, cfg).(*workflow.HumanTaskConfig))
	fields := make([]any, 0, n+1)
	for i := range max(n, 0) {
		var old *workflow.FormField
		if i < len(baseFields) {
			old = baseFields[i]
		}
		p := fmt.Sprintf("field.%d.", i)
		f := map[string]any{"name": strings.TrimSpace(form.Get(p + "name")), "type": form.Get(p + "type")}
		if required := isChecked(form.Get(p + "required")); required || old == nil || said(old, "required") {
			f["required"] = required // a field that never said stays silent (not required)
		}
		if f["type"] == "" {
			f["type"] = workflow.FieldText
		}
		if label := strings.TrimSpace(form.Get(p + "label")); label != "" {
			f["label"] = label
		}
		help := strings.TrimSpace(form.Get(p + "help"))
		if !form.Has(p+"help") && old != nil {
			help = old.Help
		}
		if help != "" {
			f["help"] = help
		}
		if f["type"] == workflow.FieldSelect {
			if form.Has(p + "options") {
				if opts := splitOptions(form.Get(p + "options")); len(opts) > 0 {
					f["options"] = opts
				}
			} else if old != nil && said(old, "options") {
				f["options"] = workflow.ConfigValue(old, "options")
			}
		}
		fields = append(fields, f)
	}
	fields = applyRowOp(fields, op, "field", func() any {
		return map[string]any{"name": "", "type": workflow.FieldText, "required": false}
	})
	cfg["formFields"] = fields
}

// rowCount is the number of rows whose keys match re (its first group is the row index); -1 for none.
func rowCount(form url.Values, re *regexp.Regexp) int {
	n := -1
	for k := range form {
		if m := re.FindStringSubmatch(k); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < 1000 && i+1 > n {
				n = i + 1
			}
		}
	}
	return n
}

// applyRowOp applies a builder button: add_<what>, remove_<what>:<i>, and moving a row up or down (up:<i>,
// down:<i> for form fields; var_up:<i>, var_down:<i> for variables).
func applyRowOp[T any](rows []T, op, what string, blank func() T) []T {
	verb, arg, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(arg)
	valid := err == nil && i >= 0 && i < len(rows)
	up, down := "up", "down"
	if what == "var" {
		up, down = "var_up", "var_down"
	}
	switch {
	case verb == "add_"+what:
		return append(rows, blank())
	case verb == "remove_"+what && valid:
		return slices.Delete(rows, i, i+1)
	case verb == up && valid && i > 0:
		rows[i-1], rows[i] = rows[i], rows[i-1]
	case verb == down && valid && i < len(rows)-1:
		rows[i], rows[i+1] = rows[i+1], rows[i]
	}
	return rows
}

func splitOptions(s string) []any {
	var out []any
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func isChecked(v string) bool {
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// parseDelayForm reads delayMode (duration|until), days, hours, minutes and until.
func parseDelayForm(cfg map[string]any, form url.Values, errs FormErrors) {
	if !form.Has("delayMode") {
		return
	}
	if form.Get("delayMode") == "until" {
		delete(cfg, "duration")
		setText(cfg, "until", form)
		if !form.Has("until") {
			delete(cfg, "until")
		}
		return
	}
	delete(cfg, "until")
	var secs float64
	var set, bad bool
	for _, u := range []struct {
		field string
		secs  float64
	}{{"days", 86400}, {"hours", 3600}, {"minutes", 60}} {
		text := strings.TrimSpace(form.Get(u.field))
		if text == "" {
			continue
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			errs[u.field] = fmt.Sprintf("%s must be a number, not %q", u.field, text)
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
	fields := []string{"onError", "retryCount", "retryDelay", "backoff"}
	if !slices.ContainsFunc(fields, form.Has) {
		return cloneErrorHandling(base)
	}
	if !slices.ContainsFunc(fields, func(f string) bool { return strings.TrimSpace(form.Get(f)) != "" }) {
		return nil
	}
	eh := workflow.ErrorHandling{OnError: form.Get("onError"), Backoff: form.Get("backoff")}
	if base != nil { // a number that does not read keeps the one it had
		eh.RetryCount, eh.RetryDelay = base.RetryCount, base.RetryDelay
	}
	if text := strings.TrimSpace(form.Get("retryCount")); text == "" {
		eh.RetryCount = 0
	} else if n, err := strconv.Atoi(text); err != nil {
		errs["retryCount"] = fmt.Sprintf("retries must be a whole number, not %q", text)
	} else {
		eh.RetryCount = n
	}
	if text := strings.TrimSpace(form.Get("retryDelay")); text == "" {
		eh.RetryDelay = 0
	} else if f, err := strconv.ParseFloat(text, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		errs["retryDelay"] = fmt.Sprintf("the retry delay must be a number of seconds, not %q", text)
	} else {
		eh.RetryDelay = f
	}
	return &eh
}

// StepFormValues are the panel's field values for a step: what ParseStepForm reads back into the same step.
func StepFormValues(step workflow.Step, specs []workflow.ActionSpec) url.Values {
	v := url.Values{}
	v.Set("name", step.Name)
	switch cfg := step.Config().(type) {
	case *workflow.ActionConfig:
		v.Set("action", cfg.Action)
		params := workflow.ParamsMap(cfg.Parameters)
		if spec, ok := specByName(specs, cfg.Action); ok {
			for _, p := range spec.Params {
				v.Set("param."+p.Name, paramText(p, params[p.Name]))
			}
		}
	case *workflow.ConditionConfig:
		v.Set("condition", typedText(cfg, "condition", cfg.Condition))
	case *workflow.HumanTaskConfig:
		v.Set("assignee", typedText(cfg, "assignee", cfg.Assignee))
		v.Set("title", typedText(cfg, "title", cfg.Title))
		v.Set("description", typedText(cfg, "description", cfg.Description))
		v.Set("dueDate", typedText(cfg, "dueDate", cfg.DueDate))
		for i, f := range formFieldRows(cfg) {
			if f == nil {
				f = &workflow.FormField{}
			}
			p := fmt.Sprintf("field.%d.", i)
			v.Set(p+"name", typedText(f, "name", f.Name))
			v.Set(p+"label", typedText(f, "label", f.Label))
			v.Set(p+"type", typedText(f, "type", f.Type))
			v.Set(p+"help", typedText(f, "help", f.Help))
			if f.Required {
				v.Set(p+"required", "on")
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
				v.Set(p+"options", strings.Join(opts, ", "))
			}
		}
	case *workflow.DelayConfig:
		if until := cfg.Until; until != "" {
			v.Set("delayMode", "until")
			v.Set("until", until)
		} else {
			v.Set("delayMode", "duration")
			d, h, m := splitDuration(cfg.Duration)
			v.Set("days", d)
			v.Set("hours", h)
			v.Set("minutes", m)
		}
	}
	if eh := step.ErrorHandling; eh != nil {
		v.Set("onError", eh.OnError)
		v.Set("retryCount", strconv.Itoa(eh.RetryCount))
		v.Set("retryDelay", formatNumber(eh.RetryDelay))
		v.Set("backoff", eh.Backoff)
	} else {
		for _, f := range []string{"onError", "retryCount", "retryDelay", "backoff"} {
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
	if form.Has("triggerType") {
		t.Type = form.Get("triggerType")
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
		setText(cfg, "cron", form)
		setText(cfg, "timezone", form)
		setText(cfg, "catchUp", form)
		if form.Has("scheduleVariables") {
			text := strings.TrimSpace(form.Get("scheduleVariables"))
			if text == "" {
				delete(cfg, "variables")
				break
			}
			v, msg := jsonValue("variables", text)
			if _, isObject := v.(map[string]any); msg == "" && !isObject {
				msg = `variables must be a JSON object of variable names and values, like {"region": "north"}`
			}
			if msg != "" {
				errs["scheduleVariables"] = msg
				break
			}
			cfg["variables"] = v
		}
	case workflow.TriggerEvent:
		if form.Has("event") || form.Has("customEvent") {
			event := strings.TrimSpace(form.Get("customEvent"))
			if event == "" {
				event = strings.TrimSpace(form.Get("event"))
			}
			if event != "" {
				cfg["event"] = event
			} else {
				delete(cfg, "event")
			}
		}
		setText(cfg, "filter", form)
	case workflow.TriggerWebhook:
		if form.Has("apply") {
			_, explicit := base.Configuration["requireSignature"]
			switch signed := isChecked(form.Get("requireSignature")); {
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
	v.Set("triggerType", t.Type)
	cfg := t.Configuration
	switch t.Type {
	case workflow.TriggerScheduled:
		v.Set("cron", textOf(cfg["cron"]))
		v.Set("timezone", textOf(cfg["timezone"]))
		v.Set("catchUp", textOf(cfg["catchUp"]))
		if vars, ok := cfg["variables"]; ok && vars != nil {
			v.Set("scheduleVariables", jsonText(vars, true))
		} else {
			v.Set("scheduleVariables", "")
		}
	case workflow.TriggerEvent:
		event := textOf(cfg["event"])
		if slices.Contains(KnownEvents(), event) {
			v.Set("event", event)
			v.Set("customEvent", "")
		} else {
			v.Set("event", "")
			v.Set("customEvent", event)
		}
		v.Set("filter", textOf(cfg["filter"]))
	case workflow.TriggerWebhook:
		if b, ok := cfg["requireSignature"].(bool); !ok || b {
			v.Set("requireSignature", "on")
		}
	}
	return v
}

var varKeyRE = regexp.MustCompile(`^var\.(\d+)\.(name|type)$`)

// ParseVariablesForm reads the variables panel (var.<i>.name|type|required|description|default and the
// buttons op=add_var|remove_var:<i>|var_up:<i>|var_down:<i>). A string variable's default is its text; other
// defaults are JSON.
func ParseVariablesForm(base []workflow.Variable, form url.Values) ([]workflow.Variable, FormErrors) {
	errs := FormErrors{}
	n := rowCount(form, varKeyRE)
	if n < 0 && !strings.Contains(form.Get("op"), "var") {
		return slices.Clone(base), errs
	}
	out := make([]workflow.Variable, 0, max(n, 0)+1)
	for i := range max(n, 0) {
		p := fmt.Sprintf("var.%d.", i)
		v := workflow.Variable{Name: strings.TrimSpace(form.Get(p + "name")), Type: form.Get(p + "type"),
			Required: isChecked(form.Get(p + "required")), Description: strings.TrimSpace(form.Get(p + "description"))}
		if v.Type == "" {
			v.Type = "string"
		}
		text := strings.TrimSpace(form.Get(p + "default"))
		switch {
		case text == "":
		case v.Type == "string":
			v.Default = text
		default:
			d, msg := jsonValue("the default", text)
			if msg != "" {
				errs[p+"default"] = msg
				if i < len(base) {
					v.Default = base[i].Default
				}
				break
			}
			v.Default = d
		}
		out = append(out, v)
	}
	out = applyRowOp(out, form.Get("op"), "var", func() workflow.Variable { return workflow.Variable{Type: "string"} })
	return out, errs
}

// VariablesFormValues are the variables panel's values.
func VariablesFormValues(vars []workflow.Variable) url.Values {
	out := url.Values{}
	for i, v := range vars {
		p := fmt.Sprintf("var.%d.", i)
		out.Set(p+"name", v.Name)
		out.Set(p+"type", v.Type)
		out.Set(p+"description", v.Description)
		if v.Required {
			out.Set(p+"required", "on")
		}
		switch d := v.Default.(type) {
		case nil:
			out.Set(p+"default", "")
		case string:
			if v.Type == "string" {
				out.Set(p+"default", d)
			} else {
				out.Set(p+"default", jsonText(d, false))
			}
		default:
			out.Set(p+"default", jsonText(d, false))
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
			return "triggerType"
		}
		key, _, _ := strings.Cut(strings.TrimPrefix(rest, "configuration."), ".")
		switch key {
		case "variables":
			return "scheduleVariables"
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
			return fmt.Sprintf("var.%d.%s", i, key)
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
		return "field." + m[1] + "." + key
	}
	if p, ok := strings.CutPrefix(rest, ".configuration.parameters."); ok {
		end := strings.IndexAny(p, ".[")
		if end < 0 {
			end = len(p)
		}
		return "param." + p[:end]
	}
	switch rest {
	case ".name":
		return "name"
	case ".configuration.action", ".configuration.condition", ".configuration.assignee", ".configuration.title",
		".configuration.description", ".configuration.dueDate", ".configuration.duration", ".configuration.until":
		return strings.TrimPrefix(rest, ".configuration.")
	case ".errorHandling.onError", ".errorHandling.retryCount", ".errorHandling.retryDelay", ".errorHandling.backoff":
		return strings.TrimPrefix(rest, ".errorHandling.")
	}
	return ""
}

// entityFields are the fields a CRM event's variable has (one level expanded), offered as {{ }} suggestions.
var entityFields = map[string][]string{
	"lead": {"id", "firstName", "lastName", "email", "phone", "title", "status", "source", "score",
		"lastInteraction", "assignedTo", "company.name"},
	"opportunity": {"id", "name", "stage", "amount", "currency", "closeDate", "assignedTo", "contact.email",
		"contact.firstName", "contact.lastName", "company.name"},
	"contact": {"id", "firstName", "lastName", "email", "phone", "assignedTo", "company.name"},
	"company": {"id", "name", "assignedTo"},
}

// VariableSuggestions are the {{ }} templates a text field may use: every declared variable and, for the CRM
// record variables (lead, opportunity, contact, company), their fields.
func VariableSuggestions(def *workflow.Definition) []string {
	var out []string
	for _, v := range def.Variables {
		if v.Name == "" {
			continue
		}
		out = append(out, "{{"+v.Name+"}}")
		for _, f := range entityFields[v.Name] {
			out = append(out, "{{"+v.Name+"."+f+"}}")
		}
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
