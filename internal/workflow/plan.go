package workflow

import (
	"context"
	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"time"
)

// Expr is a compiled expression (the expression package's Program satisfies it). Run evaluates it within
// the expression budget; ctx stops it early.
type Expr interface {
	Run(ctx context.Context, vars map[string]any) (any, error)
	Names() []string
	StepRefs() []string
	SecretRefs() []string // the secrets read through secrets.NAME
	// Fields are the dotted paths read below variables ("lead.company.name").
	Fields() []string
}

// Value is a compiled template value: a string, map or list whose strings may hold {{ }} templates.
type Value interface {
	Render(ctx context.Context, vars map[string]any) (any, error)
	Names() []string
	StepRefs() []string
	// SecretRefs maps the path of each string that reads secrets ("headers.Authorization") to them.
	SecretRefs() map[string][]string
	// Fields maps the path of each string to the dotted paths below variables it reads.
	Fields() map[string][]string
}

// ExprError is an expression problem with a 1-based position in the expression's source.
type ExprError struct {
	Position int
	Message  string
	Hint     string
}

// ValueError is a template problem at a path inside a value ("data.firstName").
type ValueError struct {
	Path string
	ExprError
}

// ParamKind says what an action parameter holds, so validation and the designer treat it right.
type ParamKind string

// Parameter kinds.
const (
	ParamText     ParamKind = "text"     // a string, may hold templates
	ParamEmail    ParamKind = "email"    // an address or a template producing one
	ParamDate     ParamKind = "date"     // absolute or relative ("+2 days"), may hold templates
	ParamObject   ParamKind = "object"   // a JSON object whose strings may hold templates
	ParamAny      ParamKind = "any"      // any JSON value
	ParamEnum     ParamKind = "enum"     // one of Options
	ParamNumber   ParamKind = "number"   // a number
	ParamVariable ParamKind = "variable" // the name of a declared variable
	ParamBool     ParamKind = "bool"     // true or false
)

// ParamSpec describes one parameter of an action.
type ParamSpec struct {
	Name        string    `json:"name"`
	Kind        ParamKind `json:"kind"`
	Required    bool      `json:"required"`
	Options     []string  `json:"options,omitempty"`
	Description string    `json:"description"`
	// Secrets says the parameter may use the workflow secrets, as {{ secrets.NAME }}.
	Secrets bool `json:"secrets,omitempty"`
}

// ActionSpec describes an action for validation and the designer.
type ActionSpec struct {
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Params      []ParamSpec `json:"params"`
	// Outputs are the keys of the step's output (steps.<id>.output.<key>), for the designer's suggestions.
	Outputs []string `json:"outputs,omitempty"`
	// Check looks at the literal parameter values beyond their kinds; it returns problems as path → message.
	Check func(params map[string]any, env CheckEnv) []Problem `json:"-"`
	// Warn looks at the literal parameter values for what is allowed but unwise (a password written into a
	// header); the workflow is saved, and the warnings are shown to whoever saved it.
	Warn func(params map[string]any) []Problem `json:"-"`
	// Redact masks the credentials written into the parameters, for people who may read the workflow but
	// not its credentials; nil when the action takes none.
	Redact func(params map[string]any) map[string]any `json:"-"`
}

// CheckEnv is what an action's Check may ask about the workflow it is in.
type CheckEnv interface {
	IsDeclared(variable string) bool
	EmailTemplateExists(name string) bool
	// EmailTemplatePlaceholders are the names a mail template reads (expression.Placeholders); false when
	// they are not known.
	EmailTemplatePlaceholders(name string) ([]string, bool)
}

// Environment is what validation needs from outside this package.
type Environment interface {
	Action(name string) (ActionSpec, bool)
	ActionNames() []string
	CompileExpression(src string, names []string, boolean bool) (Expr, *ExprError)
	CompileValue(v any, names []string) (Value, []ValueError)
	CheckSchedule(cron, timezone string) error
	ParseDate(s string) error
	EmailTemplateExists(name string) bool
	EmailTemplatePlaceholders(name string) ([]string, bool)
	SecretExists(name string) bool
	// RecordFields is the shape of a CRM entity's records, for checking the fields expressions read from
	// an event's record; false when it is not known (a running workflow is not checked again).
	RecordFields(entity string) (RecordSchema, bool)
}

// Plan is a valid definition in the form the engine runs: every step typed, every expression compiled.
type Plan struct {
	Def     *Definition
	Entry   string
	Steps   map[string]*PlanStep
	Trigger TriggerPlan
	// Warnings are what is allowed but unwise, such as a password written into a header.
	Warnings Problems
	// Keys are the compiled business keys, in the definition's order.
	Keys []PlanKey
}

// PlanKey is a compiled business key.
type PlanKey struct {
	Name  string
	Value Value
}

// Step returns the planned step with the given id.
func (p *Plan) Step(id string) *PlanStep { return p.Steps[id] }

// PlanStep is one step with its typed configuration.
type PlanStep struct {
	ID    string
	Name  string
	Type  string
	Index int
	Next  []string

	// Config is the step's configuration in its typed form, decoded once from the definition.
	Config StepConfig

	Action    *ActionPlan
	Condition *ConditionPlan
	Parallel  []string
	Human     *HumanPlan
	Delay     *DelayPlan

	OnError    string
	RetryCount int
	RetryDelay time.Duration
	Backoff    string
}

// ActionPlan is an action step's action and its compiled parameters (a map).
type ActionPlan struct {
	Name   string
	Params Value
	// Parameters are the parameters as written, typed by the action.
	Parameters ActionParams
	// Secrets are the secrets the parameters read; the engine gives the step these and no others.
	Secrets []string
}

// ConditionPlan is a condition step.
type ConditionPlan struct {
	Expr       Expr
	Source     string
	TrueSteps  []string
	FalseSteps []string
}

// HumanPlan is a human task step.
type HumanPlan struct {
	Assignee    Value
	Title       Value
	Description Value
	DueDate     Value // nil when the task has no due date (the configuration's due or dueDate)
	FormFields  []FormField
	// Assignment is how a team's task finds its person (AssignClaim, AssignRoundRobin, AssignLeastLoaded).
	Assignment string
	// Reminders and Escalation are the task's SLA, relative to its due date.
	Reminders  []businesstime.Offset
	Escalation *EscalationPlan
	// Delegation says whether a task for someone out of office goes to their delegate.
	Delegation bool
}

// How a team's task finds its person.
const (
	AssignClaim       = "claim"
	AssignRoundRobin  = "round_robin"
	AssignLeastLoaded = "least_loaded"
)

// TeamPrefix starts an assignee that is a team: "team:closers".
const TeamPrefix = "team:"

// EscalationPlan is where an open task goes After its due date: To "manager", "team:NAME" or an email.
type EscalationPlan struct {
	After  businesstime.Offset
	To     string
	Notify bool
}

// DelayPlan waits Duration, or until the time Until evaluates to; a length or moment written in words
// (Offset, Moment) is placed in the working calendar when the delay begins.
type DelayPlan struct {
	Duration time.Duration
	Until    Expr
	Offset   *businesstime.Offset // "2 business days", "3 hours"
	Moment   *businesstime.Moment // "next business day 9:00"
	// Team is the team whose working calendar counts ("" for the company's).
	Team string
}

// InWords reports whether the delay is placed in a working calendar when it begins.
func (d *DelayPlan) InWords() bool { return d.Offset != nil || d.Moment != nil }

// WakeIn is when a delay written in words ends if it begins at now, counted in the calendar, and the words.
func (d *DelayPlan) WakeIn(cal businesstime.Calendar, now time.Time) (time.Time, string, error) {
	if d.Moment != nil {
		at, err := cal.At(now, *d.Moment)
		return at, d.Moment.Source, err
	}
	at, err := cal.Move(now, *d.Offset)
	return at, d.Offset.Source, err
}

// TriggerPlan is the checked trigger.
type TriggerPlan struct {
	Type string
	// event
	Event  string
	Filter Expr
	// scheduled
	Cron      string
	Timezone  string
	CatchUp   string
	Variables map[string]any
	// webhook
	Unsigned bool
}

// RetryDelayFor is the wait before attempt number next (2 for the first retry). Exponential backoff doubles the
// base delay for each earlier retry, capped at a day.
func (s *PlanStep) RetryDelayFor(next int) time.Duration {
	d := s.RetryDelay
	if s.Backoff == "exponential" {
		for i := 2; i < next && d < 24*time.Hour; i++ {
			d *= 2
		}
		if d > 24*time.Hour {
			d = 24 * time.Hour
		}
	}
	return d
}

// Successors are the steps that follow a step that completed: the condition's branch or nextSteps.
func (s *PlanStep) Successors(conditionResult bool) []string {
	if s.Condition != nil {
		if conditionResult {
			return s.Condition.TrueSteps
		}
		return s.Condition.FalseSteps
	}
	return s.Next
}
