package workflow

// Typed step configuration. A Step keeps its configuration as the JSON object it was written as (that is the
// form stored, exported and sent over the API); DecodeConfig reads it once into the typed form of its kind,
// which Compile checks and the Plan carries, and ConfigMap writes a typed configuration back. The JSON is the
// seed's, unchanged: a configuration round-trips through its typed form key for key, unknown keys included.

// StepConfig is a step's configuration in the typed form of its kind: *ActionConfig, *ConditionConfig,
// *ParallelConfig, *HumanTaskConfig, *DelayConfig, or *UnknownConfig for a type that does not exist.
type StepConfig interface {
	// StepType is the step type the configuration belongs to.
	StepType() string
	object
}

// ActionConfig is an action step's configuration: {"action": "send_email", "parameters": {...}}.
type ActionConfig struct {
	Action string `json:"action"`
	// Parameters are the action's parameters, typed by the action (*SendEmailParams, *CallAPIParams, …); nil
	// when the configuration has none, or when they are not an object (see Misfit("parameters")).
	Parameters ActionParams `json:"parameters"`
	Rest
}

// ConditionConfig is a condition step's configuration.
type ConditionConfig struct {
	Condition  string   `json:"condition"`
	TrueSteps  []string `json:"trueSteps"`
	FalseSteps []string `json:"falseSteps"`
	Rest
}

// ParallelConfig is a parallel step's configuration: the first step of each branch.
type ParallelConfig struct {
	ParallelSteps []string `json:"parallelSteps"`
	Rest
}

// HumanTaskConfig is a human task step's configuration. The texts may hold {{ }} templates.
type HumanTaskConfig struct {
	Assignee    string      `json:"assignee"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	DueDate     string      `json:"dueDate"`
	FormFields  []FormField `json:"formFields"`
	// Due is the due date as an SLA writes it ("+8 business hours"); dueDate, the seed's key, means the same
	// and only one of them may be given.
	Due string `json:"due"`
	// Assignment is how a task for a team ("assignee": "team:closers") finds its person: claim (the
	// default: anyone in the team claims it), round_robin or least_loaded.
	Assignment string `json:"assignment"`
	// Reminders are offsets from the due date ("-4h", "0h") at which the assignee is reminded.
	Reminders []string `json:"reminders"`
	// Escalation is {"after": "2h", "to": "manager" | "team:NAME" | email, "notify": true}: after the due
	// date, the open task goes to someone else.
	Escalation map[string]any `json:"escalation"`
	// Delegation says whether out-of-office delegation applies (true when absent).
	Delegation bool `json:"delegation"`
	Rest
}

// DelayConfig is a delay step's configuration: Duration, or Until (an expression giving a time, or a moment
// such as "next business day 9:00"). Duration is a number of seconds, as the seed writes it, or a length in
// words ("2 business days", "3 hours"); read it with Seconds and Words. Business time counts in the
// company's working calendar, or a team's when Calendar says "team:NAME".
type DelayConfig struct {
	Duration any    `json:"duration"`
	Until    string `json:"until"`
	Calendar string `json:"calendar"`
	Rest
}

// Seconds is the duration when it is a number of seconds.
func (c *DelayConfig) Seconds() (float64, bool) {
	switch n := c.Duration.(type) {
	case float64:
		return n, true
	case int: // a configuration built in Go rather than decoded
		return float64(n), true
	}
	return 0, false
}

// Words is the duration when it is written in words ("2 business days").
func (c *DelayConfig) Words() (string, bool) {
	s, ok := c.Duration.(string)
	return s, ok
}

// UnknownConfig is the configuration of a step whose type does not exist (or is missing): every key is in
// Extra, kept as written.
type UnknownConfig struct {
	Type string `json:"-"`
	Rest
}

// StepType implements StepConfig.
func (*ActionConfig) StepType() string { return StepAction }

// StepType implements StepConfig.
func (*ConditionConfig) StepType() string { return StepCondition }

// StepType implements StepConfig.
func (*ParallelConfig) StepType() string { return StepParallel }

// StepType implements StepConfig.
func (*HumanTaskConfig) StepType() string { return StepHumanTask }

// StepType implements StepConfig.
func (*DelayConfig) StepType() string { return StepDelay }

// StepType implements StepConfig.
func (c *UnknownConfig) StepType() string { return c.Type }

// NewStepConfig is an empty configuration of a step type.
func NewStepConfig(stepType string) StepConfig {
	switch stepType {
	case StepAction:
		return &ActionConfig{}
	case StepCondition:
		return &ConditionConfig{}
	case StepParallel:
		return &ParallelConfig{}
	case StepHumanTask:
		return &HumanTaskConfig{}
	case StepDelay:
		return &DelayConfig{}
	}
	return &UnknownConfig{Type: stepType}
}

// DecodeConfig reads a configuration object into the typed form of the step type.
func DecodeConfig(stepType string, m map[string]any) StepConfig {
	c := NewStepConfig(stepType)
	decodeObject(m, c)
	if a, ok := c.(*ActionConfig); ok {
		a.decodeParameters(m)
	}
	return c
}

func (a *ActionConfig) decodeParameters(m map[string]any) {
	raw, ok := m["parameters"]
	if !ok || raw == nil {
		return
	}
	params, isMap := raw.(map[string]any)
	if !isMap {
		a.misfit("parameters", raw)
		return
	}
	a.Parameters = DecodeParams(a.Action, params)
}

// Config is the step's configuration in its typed form, decoded from Configuration.
func (s *Step) Config() StepConfig { return DecodeConfig(s.Type, s.Configuration) }

// SetConfig writes a typed configuration into the step.
func (s *Step) SetConfig(c StepConfig) { s.Configuration = ConfigMap(c) }

// ConfigMap writes a typed configuration as the JSON object it stands for.
func ConfigMap(c StepConfig) map[string]any {
	out := encodeObject(c)
	if a, ok := c.(*ActionConfig); ok {
		if raw, bad := a.Misfit("parameters"); bad && a.Parameters == nil {
			out["parameters"] = raw
		}
	}
	return out
}

// ConfigKeys are the keys a step type's configuration knows, in the order the seed writes them.
func ConfigKeys(stepType string) []string { return keysOf(NewStepConfig(stepType)) }
