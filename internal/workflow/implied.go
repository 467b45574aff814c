package workflow

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// A workflow has more variables than it declares. The trigger brings some: an event's record under its
// entity's name (lead_qualified brings lead), a webhook delivery's body as payload, a schedule's variables.
// A human task's form brings its answers, from the step that asks for them. Nobody declares them, and every
// expression may read them; a declared variable of the same name wins, so definitions written before keep
// their meaning.

// RecordEntities are the CRM records an event can be about. An event's name starts with its record's:
// lead_qualified is about a lead, task_done about a CRM task.
var RecordEntities = []string{"lead", "contact", "company", "opportunity", "task"}

// TriggerRecord is the CRM entity of the record an event-triggered workflow starts with, which is also the
// name of its variable, declared or implied ("lead" for lead_qualified); "" for other triggers.
func TriggerRecord(def *Definition) string {
	if def.Trigger.Type != TriggerEvent {
		return ""
	}
	event, _ := def.Trigger.Configuration["event"].(string)
	return EventRecord(event)
}

// EventRecord is the record an event is about ("lead" for lead_qualified), or "" for an event posted to
// the API with data of its own.
func EventRecord(event string) string {
	for _, e := range RecordEntities {
		if strings.HasPrefix(event, e+"_") {
			return e
		}
	}
	return ""
}

// WebhookPayload is the variable holding the body of the webhook delivery that started the run.
const WebhookPayload = "payload"

// ImpliedVariable is a variable a workflow has without declaring it.
type ImpliedVariable struct {
	Variable
	// From is "trigger", or the id of the human task step whose form asks for it.
	From string `json:"from"`
	// Record is the CRM entity of an event's record ("lead"); its fields are the record's.
	Record string `json:"record,omitempty"`
}

// ImpliedVariables are the variables the definition's trigger and forms bring, in that order, leaving out
// declared names.
func ImpliedVariables(def *Definition) []ImpliedVariable {
	declared := map[string]bool{}
	for _, v := range def.Variables {
		declared[v.Name] = true
	}
	var out []ImpliedVariable
	add := func(iv ImpliedVariable) {
		if iv.Name == "" || declared[iv.Name] || !identifierRE.MatchString(iv.Name) || slices.Contains(reservedNames, iv.Name) {
			return
		}
		declared[iv.Name] = true
		out = append(out, iv)
	}
	cfg := def.Trigger.Configuration
	switch def.Trigger.Type {
	case TriggerEvent:
		event, _ := cfg["event"].(string)
		if e := EventRecord(event); e != "" {
			add(ImpliedVariable{Variable: Variable{Name: e, Type: "object",
				Description: fmt.Sprintf("The %s the %s event is about", recordWords[e], event)}, From: "trigger", Record: e})
		}
	case TriggerWebhook:
		add(ImpliedVariable{Variable: Variable{Name: WebhookPayload, Type: "object",
			Description: "The body of the webhook delivery"}, From: "trigger"})
	case TriggerScheduled:
		vars, _ := cfg["variables"].(map[string]any)
		names := make([]string, 0, len(vars))
		for k := range vars {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			add(ImpliedVariable{Variable: Variable{Name: k, Type: valueType(vars[k]),
				Description: "Given by the schedule"}, From: "trigger"})
		}
	}
	for _, s := range def.Steps {
		if s.Type != StepHumanTask {
			continue
		}
		cfg, ok := s.Config().(*HumanTaskConfig)
		if !ok {
			continue
		}
		for _, f := range cfg.FormFields {
			add(ImpliedVariable{Variable: Variable{Name: f.Name, Type: answerType(f.Type),
				Description: fmt.Sprintf("Answered in %q", stepName(s))}, From: s.ID})
		}
	}
	return out
}

// AllVariables are the declared variables, then the implied ones.
func (d *Definition) AllVariables() []Variable {
	out := slices.Clone(d.Variables)
	for _, iv := range ImpliedVariables(d) {
		out = append(out, iv.Variable)
	}
	return out
}

// StartVariables are the variables a run may be started with: the declared ones and those its trigger
// brings (not a form's answers, which come later).
func (d *Definition) StartVariables() []Variable {
	out := slices.Clone(d.Variables)
	for _, iv := range ImpliedVariables(d) {
		if iv.From == "trigger" {
			out = append(out, iv.Variable)
		}
	}
	return out
}

var recordWords = map[string]string{"lead": "lead", "contact": "contact", "company": "company",
	"opportunity": "opportunity", "task": "CRM task"}

func stepName(s Step) string {
	if s.Name != "" {
		return s.Name
	}
	return s.ID
}

// answerType is the variable type of a form field's answer.
func answerType(fieldType string) string {
	switch fieldType {
	case FieldNumber:
		return "number"
	case FieldCheckbox:
		return "boolean"
	}
	return "string"
}

// valueType is the variable type of a JSON value.
func valueType(v any) string {
	switch v.(type) {
	case float64, int, int64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "string"
}

// RecordSchema is the shape of a CRM record as a workflow sees it (the payload of its events): its
// fields, and for each reference expanded one level (lead.company), the fields of the record it holds.
type RecordSchema struct {
	Fields []string
	Nested map[string][]string
}

// checkField says what is wrong with a dotted path read from a record ("lead.emial"), or "".
func (rs RecordSchema) checkField(path string) string {
	parts := strings.Split(path, ".")
	if len(parts) < 2 {
		return ""
	}
	root, first := parts[0], parts[1]
	if !slices.Contains(rs.Fields, first) {
		return noField(root, first, rs.Fields)
	}
	if nested, ok := rs.Nested[first]; ok && len(parts) > 2 && !slices.Contains(nested, parts[2]) {
		return noField(root+"."+first, parts[2], nested)
	}
	return ""
}

func noField(of, name string, fields []string) string {
	msg := fmt.Sprintf("%s has no field %q", of, name)
	if s, ok := closestName(name, fields); ok {
		return msg + fmt.Sprintf("; did you mean %s.%s?", of, s)
	}
	return msg + "; its fields are " + strings.Join(fields, ", ")
}

// closestName is the name nearest to a likely typo of it.
func closestName(name string, names []string) (string, bool) {
	best, bestDist := "", -1
	for _, n := range names {
		if d := editDistance(strings.ToLower(name), strings.ToLower(n)); bestDist < 0 || d < bestDist {
			best, bestDist = n, d
		}
	}
	return best, bestDist >= 0 && bestDist <= max(1, len(name)/3)
}

// editDistance counts the edits between two names: a letter added, dropped, changed, or two letters
// swapped (emial is one edit from email).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	var before []int // the row of two letters back, for swaps
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
		}
		before, prev = prev, cur
	}
	return prev[len(rb)]
}
