package workflow

import (
	"fmt"
	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"
)

func (c *compiler) steps() {
	c.stepIDs = map[string]int{}
	for i, s := range c.def.Steps {
		path := fmt.Sprintf("steps[%d]", i)
		switch {
		case s.ID == "":
			c.problems.add(path+".id", "", "step %d has no id", i+1)
			continue
		case CheckID("the step id", s.ID) != "":
			c.problems.add(path+".id", s.ID, "%s", CheckID("the step id", s.ID))
		}
		if first, dup := c.stepIDs[s.ID]; dup {
			c.problems.add(path+".id", s.ID, "step id %q is used twice (steps %d and %d)", s.ID, first+1, i+1)
			continue
		}
		c.stepIDs[s.ID] = i
	}
	for i := range c.def.Steps {
		s := &c.def.Steps[i]
		if s.ID == "" || c.stepIDs[s.ID] != i {
			continue
		}
		if ps := c.step(i, s); ps != nil {
			c.plan.Steps[s.ID] = ps
		}
	}
	if len(c.def.Steps) > 0 {
		c.plan.Entry = c.def.Steps[0].ID
	}
}

func (c *compiler) step(i int, s *Step) *PlanStep {
	path := fmt.Sprintf("steps[%d]", i)
	ps := &PlanStep{ID: s.ID, Name: s.Name, Type: s.Type, Index: i, Next: s.NextSteps, Config: s.Config()}
	if strings.TrimSpace(s.Name) == "" {
		c.problems.add(path+".name", s.ID, "step %q needs a name", s.ID)
	}
	f := fields{r: ps.Config.typedRest(), path: path + ".configuration", stepID: s.ID, problems: &c.problems}
	switch cfg := ps.Config.(type) {
	case *ActionConfig:
		ps.Action = c.action(s, cfg, f)
	case *ConditionConfig:
		ps.Condition = c.condition(s, cfg, f)
		if len(s.NextSteps) > 0 {
			c.problems.add(path+".nextSteps", s.ID, "condition %q must not have nextSteps: put the following steps in trueSteps and falseSteps", stepName(*s))
		}
	case *ParallelConfig:
		ps.Parallel = f.stepList("parallelSteps", cfg.ParallelSteps)
		if len(ps.Parallel) == 0 {
			c.problems.add(f.p("parallelSteps"), s.ID, "parallel step %q needs at least one step in parallelSteps", stepName(*s))
		}
		f.only(cfg)
	case *HumanTaskConfig:
		ps.Human = c.humanTask(s, cfg, f)
	case *DelayConfig:
		ps.Delay = c.delay(s, cfg, f)
	default:
		if s.Type == "" {
			c.problems.add(path+".type", s.ID, "step %q has no type; use action, condition, parallel, human_task or delay", stepName(*s))
		} else {
			c.problems.add(path+".type", s.ID, "step %q has unknown type %q; use action, condition, parallel, human_task or delay", stepName(*s), s.Type)
		}
	}
	c.errorHandling(path, s, ps)
	return ps
}

func (c *compiler) errorHandling(path string, s *Step, ps *PlanStep) {
	ps.OnError = OnErrorFail
	eh := s.ErrorHandling
	if eh == nil {
		return
	}
	path += ".errorHandling"
	switch eh.OnError {
	case OnErrorFail, OnErrorContinue, OnErrorRetry:
		ps.OnError = eh.OnError
	case "":
		c.problems.add(path+".onError", s.ID, "onError is missing; use fail, continue or retry")
	default:
		c.problems.add(path+".onError", s.ID, "onError is %q; use fail, continue or retry", eh.OnError)
	}
	if eh.RetryCount < 0 || eh.RetryCount > MaxRetryCount {
		c.problems.add(path+".retryCount", s.ID, "retryCount is %d; use 0 to %d", eh.RetryCount, MaxRetryCount)
	}
	if eh.OnError == OnErrorRetry && eh.RetryCount < 1 {
		c.problems.add(path+".retryCount", s.ID, "onError is retry but retryCount is %d; retry at least once", eh.RetryCount)
	}
	if eh.RetryDelay < 0 || eh.RetryDelay > MaxRetryDelay {
		c.problems.add(path+".retryDelay", s.ID, "retryDelay is %v seconds; use 0 to %d", eh.RetryDelay, MaxRetryDelay)
	}
	switch eh.Backoff {
	case "", "fixed", "exponential":
	default:
		c.problems.add(path+".backoff", s.ID, "backoff is %q; use fixed or exponential", eh.Backoff)
	}
	ps.RetryCount = eh.RetryCount
	ps.RetryDelay = time.Duration(eh.RetryDelay * float64(time.Second))
	ps.Backoff = eh.Backoff
}

func (c *compiler) action(s *Step, cfg *ActionConfig, f fields) *ActionPlan {
	name := f.requiredString("action", cfg.Action, "the action to run, one of "+strings.Join(c.env.ActionNames(), ", "))
	f.only(cfg)
	if name == "" {
		return nil
	}
	spec, ok := c.env.Action(name)
	if !ok {
		c.problems.add(f.p("action"), s.ID, "unknown action %q; use one of %s", name, strings.Join(c.env.ActionNames(), ", "))
		return nil
	}
	if raw, bad := cfg.Misfit("parameters"); bad {
		c.problems.add(f.p("parameters"), s.ID, "parameters must be an object, not %s", jsonKind(raw))
		return nil
	}
	params := ParamsMap(cfg.Parameters)
	if params == nil {
		params = map[string]any{}
	}
	ppath := f.p("parameters")
	c.checkParams(s.ID, ppath, spec, params)
	value, verrs := c.env.CompileValue(params, c.declared)
	for _, ve := range verrs {
		e := ve.ExprError
		c.problems.addExpr(ppath+"."+ve.Path, s.ID, fmt.Sprintf("step %q, parameter %s", stepName(*s), ve.Path), &e)
	}
	ap := &ActionPlan{Name: name, Params: value, Parameters: cfg.Parameters}
	if value != nil {
		c.checkStepRefs(ppath, s.ID, value.StepRefs())
		c.checkValueFields(ppath, s.ID, value)
		ap.Secrets = c.checkSecretRefs(s.ID, ppath, spec, value.SecretRefs())
	}
	if spec.Warn != nil {
		for _, w := range spec.Warn(params) {
			w.Path = ppath + "." + w.Path
			w.StepID = s.ID
			c.warnings.items = append(c.warnings.items, w)
		}
	}
	return ap
}

// checkSecretRefs checks that secrets are used only in the parameters that take them and that each
// exists; it returns the secrets the step reads.
func (c *compiler) checkSecretRefs(stepID, path string, spec ActionSpec, refs map[string][]string) []string {
	var used []string
	paths := make([]string, 0, len(refs))
	for p := range refs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		param := p
		if i := strings.IndexAny(p, ".["); i >= 0 {
			param = p[:i]
		}
		i := slices.IndexFunc(spec.Params, func(ps ParamSpec) bool { return ps.Name == param })
		if i < 0 || !spec.Params[i].Secrets {
			c.problems.add(path+"."+p, stepID, "%s cannot use secrets here: %s", spec.Name, secretsWhere)
			continue
		}
		for _, name := range refs[p] {
			if !c.env.SecretExists(name) {
				c.problems.add(path+"."+p, stepID, "there is no secret %q; a manager can create it under Settings → Secrets, or correct the name", name)
			}
			used = append(used, name)
		}
	}
	sort.Strings(used)
	return slices.Compact(used)
}

// secretsWhere says where workflows may use secrets.
const secretsWhere = "secrets can be used only in the url, headers and body of a call_api step, so that their values never end up in variables, mails or tasks"

// noSecrets is the rule for every expression and template outside call_api.
func (c *compiler) noSecrets(path, stepID string, refs []string) {
	if len(refs) > 0 {
		c.problems.add(path, stepID, "secrets.%s cannot be used here: %s", refs[0], secretsWhere)
	}
}

func (c *compiler) checkParams(stepID, path string, spec ActionSpec, params map[string]any) {
	known := make([]string, 0, len(spec.Params))
	for _, p := range spec.Params {
		known = append(known, p.Name)
		v, present := params[p.Name]
		if !present || v == nil || v == "" {
			if p.Required {
				c.problems.add(path+"."+p.Name, stepID, "%s needs the parameter %q: %s", spec.Name, p.Name, p.Description)
			}
			continue
		}
		c.checkParamKind(stepID, path+"."+p.Name, spec.Name, p, v)
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.Contains(known, k) {
			c.problems.add(path+"."+k, stepID, "%s has no parameter %q; its parameters are %s", spec.Name, k, strings.Join(known, ", "))
		}
	}
	if spec.Check != nil {
		for _, p := range spec.Check(params, checkEnv{c}) {
			p.Path = path + "." + p.Path
			p.StepID = stepID
			c.problems.items = append(c.problems.items, p)
		}
	}
}

func (c *compiler) checkParamKind(stepID, path, action string, p ParamSpec, v any) {
	s, isString := v.(string)
	literal := isString && !strings.Contains(s, "{{")
	switch p.Kind {
	case ParamText:
		if !isString {
			c.problems.add(path, stepID, "%s parameter %q must be text, not %s", action, p.Name, jsonKind(v))
		}
	case ParamEmail:
		if !isString {
			c.problems.add(path, stepID, "%s parameter %q must be an email address, not %s", action, p.Name, jsonKind(v))
		} else if literal {
			if _, err := mail.ParseAddress(s); err != nil {
				c.problems.add(path, stepID, "%s parameter %q: %q is not an email address", action, p.Name, s)
			}
		}
	case ParamDate:
		if !isString {
			c.problems.add(path, stepID, "%s parameter %q must be a date, not %s", action, p.Name, jsonKind(v))
		} else if literal {
			if err := c.env.ParseDate(s); err != nil {
				c.problems.add(path, stepID, "%s parameter %q: %v", action, p.Name, err)
			}
		}
	case ParamObject:
		if _, ok := v.(map[string]any); !ok && !isString {
			c.problems.add(path, stepID, "%s parameter %q must be an object, not %s", action, p.Name, jsonKind(v))
		}
	case ParamEnum:
		if literal && !slices.Contains(p.Options, s) {
			c.problems.add(path, stepID, "%s parameter %q is %q; use one of %s", action, p.Name, s, strings.Join(p.Options, ", "))
		} else if !isString {
			c.problems.add(path, stepID, "%s parameter %q must be one of %s", action, p.Name, strings.Join(p.Options, ", "))
		}
	case ParamNumber:
		if _, ok := v.(float64); !ok && !isString {
			c.problems.add(path, stepID, "%s parameter %q must be a number, not %s", action, p.Name, jsonKind(v))
		}
	case ParamBool:
		if _, ok := v.(bool); !ok && !isString {
			c.problems.add(path, stepID, "%s parameter %q must be true or false, not %s", action, p.Name, jsonKind(v))
		} else if literal && s != "true" && s != "false" {
			c.problems.add(path, stepID, "%s parameter %q is %q; use true or false", action, p.Name, s)
		}
	case ParamVariable:
		if !isString {
			c.problems.add(path, stepID, "%s parameter %q must be a variable name", action, p.Name)
		} else if !c.isDeclared(s) {
			c.problems.add(path, stepID, "%s parameter %q: %q is not a declared variable", action, p.Name, s)
		}
	}
}

type checkEnv struct{ c *compiler }

func (e checkEnv) IsDeclared(name string) bool          { return e.c.isDeclared(name) }
func (e checkEnv) EmailTemplateExists(name string) bool { return e.c.env.EmailTemplateExists(name) }
func (e checkEnv) EmailTemplatePlaceholders(name string) ([]string, bool) {
	return e.c.env.EmailTemplatePlaceholders(name)
}
func (c *compiler) checkStepRefs(path, stepID string, refs []string) {
	for _, r := range refs {
		if _, ok := c.stepIDs[r]; !ok {
			c.problems.add(path, stepID, "steps.%s refers to a step that does not exist", r)
		}
	}
}

func (c *compiler) condition(s *Step, cfg *ConditionConfig, f fields) *ConditionPlan {
	cp := &ConditionPlan{
		Source:     f.requiredString("condition", cfg.Condition, `an expression such as nextAction == "schedule_demo"`),
		TrueSteps:  f.stepList("trueSteps", cfg.TrueSteps),
		FalseSteps: f.stepList("falseSteps", cfg.FalseSteps),
	}
	f.only(cfg)
	if cp.Source == "" {
		return cp
	}
	expr, err := c.env.CompileExpression(cp.Source, c.declared, true)
	if err != nil {
		c.problems.addExpr(f.p("condition"), s.ID, fmt.Sprintf("the condition of step %q", stepName(*s)), err)
		return cp
	}
	c.checkStepRefs(f.p("condition"), s.ID, expr.StepRefs())
	c.checkFields(f.p("condition"), s.ID, expr.Fields())
	c.noSecrets(f.p("condition"), s.ID, expr.SecretRefs())
	cp.Expr = expr
	return cp
}

func (c *compiler) humanTask(s *Step, cfg *HumanTaskConfig, f fields) *HumanPlan {
	hp := &HumanPlan{}
	compile := func(key, v string, required bool, what string) Value {
		var src string
		if required {
			src = f.requiredString(key, v, what)
		} else {
			src = f.optionalString(key, v)
		}
		if src == "" {
			return nil
		}
		val, errs := c.env.CompileValue(src, c.declared)
		for _, ve := range errs {
			e := ve.ExprError
			c.problems.addExpr(f.p(key), s.ID, fmt.Sprintf("step %q, %s", stepName(*s), key), &e)
		}
		if val != nil {
			c.checkStepRefs(f.p(key), s.ID, val.StepRefs())
			c.checkValueFields(f.p(key), s.ID, val)
			for _, names := range val.SecretRefs() {
				c.noSecrets(f.p(key), s.ID, names)
			}
		}
		return val
	}
	hp.Assignee = compile("assignee", cfg.Assignee, true, "who does the task (an email address, team:NAME or {{lead.assignedTo}})")
	team, isTeam := strings.CutPrefix(cfg.Assignee, TeamPrefix)
	switch a := cfg.Assignee; {
	case isTeam && strings.TrimSpace(team) == "":
		c.problems.add(f.p("assignee"), s.ID, "the assignee %q names no team: write team: and the team's name, like team:closers", a)
	case a != "" && !isTeam && !strings.Contains(a, "{{"):
		if addr, err := mail.ParseAddress(a); err != nil || addr.Address != a {
			c.problems.add(f.p("assignee"), s.ID, "the assignee %q is not an email address (or a team, written team:NAME)", a)
		}
	}
	hp.Assignment = f.optionalString("assignment", cfg.Assignment)
	switch hp.Assignment {
	case "":
		hp.Assignment = AssignClaim
	case AssignClaim, AssignRoundRobin, AssignLeastLoaded:
		if !isTeam && !strings.Contains(cfg.Assignee, "{{") {
			c.problems.add(f.p("assignment"), s.ID, "assignment %q is for a task given to a team: make the assignee team:NAME", hp.Assignment)
		}
	default:
		c.problems.add(f.p("assignment"), s.ID, "assignment %q is not a way to give out tasks: use claim, round_robin or least_loaded", hp.Assignment)
	}
	hp.Title = compile("title", cfg.Title, true, "what the task is called in the inbox")
	hp.Description = compile("description", cfg.Description, false, "")
	dueKey, dueSrc := "dueDate", cfg.DueDate
	if f.r.Has("due") {
		if f.r.Has("dueDate") && cfg.DueDate != "" && cfg.Due != "" {
			c.problems.add(f.p("due"), s.ID, "the task has both due and dueDate: keep one of them")
		}
		if cfg.Due != "" || cfg.DueDate == "" {
			dueKey, dueSrc = "due", cfg.Due
		}
	}
	hp.DueDate = compile(dueKey, dueSrc, false, "")
	if due := f.optionalString(dueKey, dueSrc); due != "" && !strings.Contains(due, "{{") && !businesstime.IsOffset(due) {
		if err := c.env.ParseDate(due); err != nil {
			c.problems.add(f.p(dueKey), s.ID, "%v", err)
		}
	}
	for i, r := range f.stringList("reminders", "lengths of time", "a reminder", cfg.Reminders) {
		o, err := businesstime.ParseOffset(r)
		if err != nil {
			c.problems.add(fmt.Sprintf("%s[%d]", f.p("reminders"), i), s.ID, "reminder %d: %v (before the due date, like -4h; 0h is at the due date)", i+1, err)
			continue
		}
		hp.Reminders = append(hp.Reminders, o)
	}
	hp.Escalation = c.escalation(s, cfg, f)
	if (len(cfg.Reminders) > 0 || hp.Escalation != nil) && dueSrc == "" {
		c.problems.add(f.p("due"), s.ID, "reminders and escalation count from the due date, and the task has none: give it a due, like +8 business hours")
	}
	hp.Delegation = true
	if f.r.Has("delegation") {
		if raw, bad := cfg.Misfit("delegation"); bad {
			c.problems.add(f.p("delegation"), s.ID, "delegation must be true or false, not %s", jsonKind(raw))
		} else {
			hp.Delegation = cfg.Delegation
		}
	}
	hp.FormFields = c.formFields(s, cfg, f)
	f.only(cfg)
	return hp
}

// escalation checks {"after": "2h", "to": "manager" | "team:NAME" | email, "notify": true}.
func (c *compiler) escalation(s *Step, cfg *HumanTaskConfig, f fields) *EscalationPlan {
	if raw, bad := cfg.Misfit("escalation"); bad {
		if raw != nil {
			c.problems.add(f.p("escalation"), s.ID, "escalation must be an object like {\"after\": \"2h\", \"to\": \"manager\"}, not %s", jsonKind(raw))
		}
		return nil
	}
	if cfg.Escalation == nil {
		return nil
	}
	path := f.p("escalation")
	ep := &EscalationPlan{To: "manager"}
	after, _ := cfg.Escalation["after"].(string)
	o, err := businesstime.ParseOffset(after)
	if err != nil {
		c.problems.add(path+".after", s.ID, "escalation after: %v (how long after the due date, like 2h)", err)
	} else {
		ep.After = o
	}
	if to, ok := cfg.Escalation["to"]; ok {
		text, isText := to.(string)
		team, isTeam := strings.CutPrefix(text, TeamPrefix)
		switch {
		case !isText:
			c.problems.add(path+".to", s.ID, "escalation to must be text: manager, team:NAME or an email address")
		case text == "manager":
		case isTeam && strings.TrimSpace(team) != "":
		default:
			if addr, err := mail.ParseAddress(text); err != nil || addr.Address != text {
				c.problems.add(path+".to", s.ID, "escalation to %q is not manager, team:NAME or an email address", text)
			}
		}
		ep.To = text
	}
	if n, ok := cfg.Escalation["notify"]; ok {
		b, isBool := n.(bool)
		if !isBool {
			c.problems.add(path+".notify", s.ID, "escalation notify must be true or false")
		}
		ep.Notify = b
	} else {
		ep.Notify = true
	}
	for k := range cfg.Escalation {
		if k != "after" && k != "to" && k != "notify" {
			c.problems.add(path+"."+k, s.ID, "unknown escalation setting %q; the settings are after, to, notify", k)
		}
	}
	return ep
}

func (c *compiler) formFields(s *Step, cfg *HumanTaskConfig, f fields) []FormField {
	if _, bad := cfg.Misfit("formFields"); !bad && cfg.FormFields == nil {
		return nil // absent or null
	}
	// items are the list as written when some of it is not a field; the typed list holds the fields in order.
	raw, bad := cfg.Misfit("formFields")
	items := make([]any, len(cfg.FormFields))
	if bad {
		list, isList := raw.([]any)
		if !isList {
			if raw != nil {
				c.problems.add(f.p("formFields"), s.ID, "formFields must be a list of fields, not %s", jsonKind(raw))
			}
			return nil
		}
		items = list
	}
	if len(items) > maxFormFields {
		c.problems.add(f.p("formFields"), s.ID, "the form has %d fields; the limit is %d", len(items), maxFormFields)
	}
	out := make([]FormField, 0, len(items))
	seen := map[string]bool{}
	next := 0
	for i, it := range items {
		path := fmt.Sprintf("%s[%d]", f.p("formFields"), i)
		if bad {
			if _, ok := it.(map[string]any); !ok {
				c.problems.add(path, s.ID, "a form field must be an object with name and type, not %s", jsonKind(it))
				continue
			}
		}
		typed := cfg.FormFields[next]
		next++
		ff := fields{r: &typed.Rest, path: path, stepID: s.ID, problems: f.problems}
		fd := FormField{
			Name:  ff.requiredString("name", typed.Name, "the variable the value is stored in"),
			Type:  ff.requiredString("type", typed.Type, "one of "+strings.Join(fieldTypes, ", ")),
			Label: ff.optionalString("label", typed.Label),
			Help:  ff.optionalString("help", typed.Help),
		}
		if typed.Has("required") {
			if _, bad := typed.Misfit("required"); bad {
				c.problems.add(ff.p("required"), s.ID, "required must be true or false")
			}
			fd.Required = typed.Required
		}
		if fd.Name != "" {
			switch {
			case !identifierRE.MatchString(fd.Name):
				c.problems.add(ff.p("name"), s.ID, "field name %q may only hold letters, digits and _", fd.Name)
			case seen[fd.Name]:
				c.problems.add(ff.p("name"), s.ID, "the form has two fields named %q", fd.Name)
			case slices.Contains(reservedNames, fd.Name):
				c.problems.add(ff.p("name"), s.ID, "%q is a reserved word in expressions; choose another field name", fd.Name)
			}
			seen[fd.Name] = true
		}
		if fd.Type != "" && !slices.Contains(fieldTypes, fd.Type) {
			c.problems.add(ff.p("type"), s.ID, "field %q has unknown type %q; use one of %s", fd.Name, fd.Type, strings.Join(fieldTypes, ", "))
		}
		opts := ff.stringList("options", "choices", "a choice", typed.Options)
		if fd.Type == FieldSelect {
			if len(opts) == 0 {
				c.problems.add(ff.p("options"), s.ID, "select field %q needs options to choose from", fd.Name)
			}
			if len(opts) > maxSelectItems {
				c.problems.add(ff.p("options"), s.ID, "select field %q has %d options; the limit is %d", fd.Name, len(opts), maxSelectItems)
			}
			for j, o := range opts {
				if slices.Index(opts, o) != j {
					c.problems.add(ff.p("options"), s.ID, "select field %q lists option %q twice", fd.Name, o)
				}
			}
		} else if len(opts) > 0 {
			c.problems.add(ff.p("options"), s.ID, "only select fields have options; field %q is %s", fd.Name, fd.Type)
		}
		fd.Options = opts
		ff.only(&typed)
		out = append(out, fd)
	}
	return out
}

func (c *compiler) delay(s *Step, cfg *DelayConfig, f fields) *DelayPlan {
	dp := &DelayPlan{}
	secs, hasDuration := cfg.Seconds()
	if hasDuration {
		secs, hasDuration = f.number("duration", secs)
	}
	text, inWords := cfg.Words()
	hasDuration = hasDuration || inWords
	until := f.optionalString("until", cfg.Until)
	dp.Team = c.delayCalendar(s, cfg, f)
	f.only(cfg)
	switch {
	case hasDuration && until != "":
		c.problems.add(f.path, s.ID, "delay %q has both duration and until; keep one", stepName(*s))
	case inWords:
		dp.Offset = c.delayWords(s, text, f)
	case hasDuration:
		if secs <= 0 || secs > MaxDelay {
			c.problems.add(f.p("duration"), s.ID, "delay %q lasts %v seconds; use more than 0 and at most %d (a year)", stepName(*s), secs, MaxDelay)
		}
		dp.Duration = time.Duration(secs * float64(time.Second))
	case until != "":
		if m, ok, err := businesstime.ParseMoment(until); ok {
			if err != nil {
				c.problems.add(f.p("until"), s.ID, "“%s” waits until “%s”: write it like “next business day 9:00”, or an expression giving a date", stepName(*s), until)
			}
			dp.Moment = &m
			break
		}
		expr, err := c.env.CompileExpression(until, c.declared, false)
		if err != nil {
			c.problems.addExpr(f.p("until"), s.ID, fmt.Sprintf("the until date of delay %q", stepName(*s)), err)
		} else {
			c.checkStepRefs(f.p("until"), s.ID, expr.StepRefs())
			c.checkFields(f.p("until"), s.ID, expr.Fields())
			c.noSecrets(f.p("until"), s.ID, expr.SecretRefs())
		}
		dp.Until = expr
	default:
		if cfg.Duration != nil {
			c.problems.add(f.p("duration"), s.ID, "duration must be a number of seconds or a length in words, not %s", jsonKind(cfg.Duration))
		} else {
			c.problems.add(f.p("duration"), s.ID, "delay %q needs a duration in seconds (259200 is 3 days) or in words (2 business days), or an until date", stepName(*s))
		}
	}
	return dp
}

// delayWords reads a delay's duration written in words.
func (c *compiler) delayWords(s *Step, text string, f fields) *businesstime.Offset {
	o, err := businesstime.ParseOffset(text)
	switch {
	case err != nil:
		c.problems.add(f.p("duration"), s.ID, "“%s” has a duration “%s”: write a number of seconds, or e.g. “2 business days”, “3 hours”", stepName(*s), text)
		return nil
	case o.Days < 0 || o.Duration < 0 || (o.Days == 0 && o.Duration == 0):
		c.problems.add(f.p("duration"), s.ID, "“%s” has a duration “%s”: write a length of time more than 0, like “2 business days”", stepName(*s), text)
	case o.Days > 366 || o.Duration > MaxDelay*time.Second:
		c.problems.add(f.p("duration"), s.ID, "“%s” has a duration “%s”: use at most a year", stepName(*s), text)
	}
	return &o
}

// delayCalendar reads whose working calendar a delay counts in: "" (the company's) or "team:NAME".
func (c *compiler) delayCalendar(s *Step, cfg *DelayConfig, f fields) string {
	cal := strings.TrimSpace(f.optionalString("calendar", cfg.Calendar))
	if cal == "" || cal == "company" {
		return ""
	}
	team, ok := strings.CutPrefix(cal, TeamPrefix)
	if !ok || strings.TrimSpace(team) == "" {
		c.problems.add(f.p("calendar"), s.ID, "“%s” counts in the calendar “%s”: leave it out for the company's working hours, or write team:NAME for a team's", stepName(*s), cal)
		return ""
	}
	return strings.TrimSpace(team)
}
