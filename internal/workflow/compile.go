package workflow

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

var identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Limits on a definition's size, so one workflow cannot exhaust the server.
const (
	MaxSteps       = 500
	MaxRetryCount  = 25
	MaxRetryDelay  = 7 * 24 * 3600 // seconds
	MaxDelay       = 366 * 24 * 3600
	maxNameLength  = 200
	maxFormFields  = 50
	maxSelectItems = 200
	// MaxBusinessKeys is how many business keys a workflow may declare.
	MaxBusinessKeys = 10
)

// reservedNames cannot be variable names: expressions use them for step outputs and helpers.
var reservedNames = []string{"steps", "secrets", "now", "date", "duration", "daysAgo", "hoursAgo", "daysSince", "daysUntil", "pick", "nil", "true", "false"}

// Validate reports every problem of a definition at once; nil means it is valid.
func Validate(def *Definition, env Environment) Problems {
	_, problems := Compile(def, env)
	return problems
}

// Compile checks a definition and returns its Plan, or every problem found.
func Compile(def *Definition, env Environment) (*Plan, Problems) {
	c := &compiler{def: def, env: env, plan: &Plan{Def: def, Steps: map[string]*PlanStep{}}}
	c.header()
	c.variables()
	c.implied()
	c.businessKeys()
	c.trigger()
	c.steps()
	c.graph()
	if len(c.problems.items) > 0 {
		return nil, c.problems.items
	}
	c.plan.Warnings = c.warnings.items
	return c.plan, nil
}

type compiler struct {
	def      *Definition
	env      Environment
	plan     *Plan
	problems problemList
	warnings problemList
	declared []string
	// records are the implied variables holding a CRM record, by name, with the record's entity.
	records map[string]string
	stepIDs map[string]int
}

func (c *compiler) header() {
	if strings.TrimSpace(c.def.Name) == "" {
		c.problems.add("name", "", "the workflow needs a name")
	} else if len(c.def.Name) > maxNameLength {
		c.problems.add("name", "", "the name is %d characters long; keep it under %d", len(c.def.Name), maxNameLength)
	}
	if msg := CheckID("the id", c.def.ID); c.def.ID != "" && msg != "" {
		c.problems.add("id", "", "%s", msg)
	}
	if len(c.def.Steps) == 0 {
		c.problems.add("steps", "", "the workflow has no steps; add at least one")
	}
	if len(c.def.Steps) > MaxSteps {
		c.problems.add("steps", "", "the workflow has %d steps; the limit is %d", len(c.def.Steps), MaxSteps)
	}
}

func (c *compiler) variables() {
	seen := map[string]bool{}
	for i, v := range c.def.Variables {
		path := fmt.Sprintf("variables[%d]", i)
		switch {
		case v.Name == "":
			c.problems.add(path+".name", "", "the variable needs a name")
			continue
		case !identifierRE.MatchString(v.Name):
			c.problems.add(path+".name", "", "variable name %q may only hold letters, digits and _, and must not start with a digit", v.Name)
		case slices.Contains(reservedNames, v.Name):
			c.problems.add(path+".name", "", "%q is a reserved word in expressions; choose another variable name", v.Name)
		case seen[v.Name]:
			c.problems.add(path+".name", "", "variable %q is declared twice", v.Name)
		}
		seen[v.Name] = true
		if !slices.Contains(variableTypes, v.Type) {
			c.problems.add(path+".type", "", "variable %q has type %q; use one of %s", v.Name, v.Type, strings.Join(variableTypes, ", "))
		}
		c.declared = append(c.declared, v.Name)
	}
}

// businessKeys compiles the workflow's business keys: named, at most MaxBusinessKeys, each a template over
// the variables (a run's keys are worked out before any step has run, so steps' outputs are not theirs).
func (c *compiler) businessKeys() {
	if len(c.def.BusinessKeys) > MaxBusinessKeys {
		c.problems.add("businessKeys", "", "the workflow declares %d business keys; the limit is %d", len(c.def.BusinessKeys), MaxBusinessKeys)
		return
	}
	seen := map[string]bool{}
	for i, k := range c.def.BusinessKeys {
		path := fmt.Sprintf("businessKeys[%d]", i)
		name := strings.TrimSpace(k.Name)
		switch {
		case name == "":
			c.problems.add(path+".name", "", "business key %d needs a name, such as \"Lead email\"", i+1)
			continue
		case len(name) > maxNameLength:
			c.problems.add(path+".name", "", "the business key's name is %d characters long; keep it under %d", len(name), maxNameLength)
		case seen[strings.ToLower(name)]:
			c.problems.add(path+".name", "", "business key %q is declared twice", name)
		}
		seen[strings.ToLower(name)] = true
		if strings.TrimSpace(k.Value) == "" {
			c.problems.add(path+".value", "", "business key %q needs a value, such as {{ lead.email }}", name)
			continue
		}
		val, errs := c.env.CompileValue(k.Value, c.declared)
		for _, ve := range errs {
			e := ve.ExprError
			c.problems.addExpr(path+".value", "", fmt.Sprintf("business key %q", name), &e)
		}
		if val == nil {
			continue
		}
		if refs := val.StepRefs(); len(refs) > 0 {
			c.problems.add(path+".value", "", "business key %q reads steps.%s, but keys are worked out when a run starts, before any step has run; use the variables and the record", name, refs[0])
			continue
		}
		for _, names := range val.SecretRefs() {
			if len(names) > 0 {
				c.problems.add(path+".value", "", "business key %q reads a secret; keys are shown and searched, so they may not hold secrets", name)
			}
		}
		c.checkValueFields(path+".value", "", val)
		c.plan.Keys = append(c.plan.Keys, PlanKey{Name: name, Value: val})
	}
}

func (c *compiler) isDeclared(name string) bool { return slices.Contains(c.declared, name) }

// implied adds the variables the trigger and the forms bring (ImpliedVariables) to the declared ones.
func (c *compiler) implied() {
	c.records = map[string]string{}
	for _, iv := range ImpliedVariables(c.def) {
		c.declared = append(c.declared, iv.Name)
		if iv.Record != "" {
			c.records[iv.Name] = iv.Record
		}
	}
}

// checkFields checks the paths an expression reads below record variables against the records' fields
// (when the environment knows them): lead.emial is a problem saying lead.email was probably meant.
func (c *compiler) checkFields(path, stepID string, fields []string) {
	seen := map[string]bool{}
	for _, f := range fields {
		root, _, _ := strings.Cut(f, ".")
		entity, ok := c.records[root]
		if !ok {
			continue
		}
		schema, ok := c.env.RecordFields(entity)
		if !ok {
			continue
		}
		if msg := schema.checkField(f); msg != "" && !seen[msg] {
			seen[msg] = true
			c.problems.add(path, stepID, "%s", msg)
		}
	}
}

// checkValueFields is checkFields for each string of a template value.
func (c *compiler) checkValueFields(path, stepID string, v Value) {
	byPath := v.Fields()
	for _, p := range slices.Sorted(maps.Keys(byPath)) {
		at := path
		if p != "" {
			at = path + "." + p
		}
		c.checkFields(at, stepID, byPath[p])
	}
}

func (c *compiler) trigger() {
	t := c.def.Trigger
	tp := TriggerPlan{Type: t.Type}
	cfg := config{m: t.Configuration, path: "trigger.configuration", problems: &c.problems}
	switch t.Type {
	case TriggerManual:
		cfg.only()
	case TriggerEvent:
		tp.Event = cfg.requiredString("event", "the event that starts the workflow (for example lead_qualified)")
		if tp.Event != "" && !identifierRE.MatchString(tp.Event) {
			c.problems.add(cfg.path+".event", "", "event name %q may only hold letters, digits and _", tp.Event)
		}
		if src := cfg.optionalString("filter"); src != "" {
			expr, err := c.env.CompileExpression(src, c.declared, true)
			if err != nil {
				c.problems.addExpr(cfg.path+".filter", "", "the event filter", err)
			} else {
				c.noSecrets(cfg.path+".filter", "", expr.SecretRefs())
				c.checkFields(cfg.path+".filter", "", expr.Fields())
			}
			tp.Filter = expr
		}
		cfg.only("event", "filter")
	case TriggerScheduled:
		tp.Cron = cfg.requiredString("cron", `a schedule such as "0 9 * * 1-5" or "@daily"`)
		tp.Timezone = cfg.optionalString("timezone")
		if tp.Timezone == "" {
			tp.Timezone = "UTC"
		}
		zone := tp.Timezone
		if _, err := time.LoadLocation(zone); err != nil {
			c.problems.add(cfg.path+".timezone", "", "unknown timezone %q; use an IANA name such as Europe/Berlin or America/New_York", zone)
			zone = "UTC" // still check the cron line
		}
		if tp.Cron != "" {
			if err := c.env.CheckSchedule(tp.Cron, zone); err != nil {
				c.problems.add(cfg.path+".cron", "", "%v", err)
			}
		}
		tp.CatchUp = cfg.optionalString("catchUp")
		switch tp.CatchUp {
		case "":
			tp.CatchUp = "once"
		case "once", "skip":
		default:
			c.problems.add(cfg.path+".catchUp", "", `catchUp is %q; use "once" (run one missed fire after downtime) or "skip"`, tp.CatchUp)
		}
		if raw, ok := t.Configuration["variables"]; ok {
			m, isMap := raw.(map[string]any)
			if !isMap {
				c.problems.add(cfg.path+".variables", "", "variables must be an object of variable name to value")
			}
			tp.Variables = m // each is a variable of the workflow (ImpliedVariables)
		}
		cfg.only("cron", "timezone", "catchUp", "variables")
	case TriggerWebhook:
		if raw, ok := t.Configuration["requireSignature"]; ok {
			b, isBool := raw.(bool)
			if !isBool {
				c.problems.add(cfg.path+".requireSignature", "", "requireSignature must be true or false")
			}
			tp.Unsigned = isBool && !b
		}
		cfg.only("requireSignature")
	case "":
		c.problems.add("trigger.type", "", "the trigger needs a type: manual, scheduled, event or webhook")
	default:
		c.problems.add("trigger.type", "", "unknown trigger type %q; use manual, scheduled, event or webhook", t.Type)
	}
	c.plan.Trigger = tp
}
