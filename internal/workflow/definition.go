// Package workflow owns the workflow definition: the JSON shapes of the original design (WorkflowDefinition,
// WorkflowTrigger, WorkflowStep), their decoding with errors that point at the offending field, validation that
// reports every problem at once, and the typed, checked form of a definition (Plan) that the engine runs.
//
// It imports nothing of ours but businesstime (a leaf that reads "8 business hours"); what it cannot know by
// itself (which actions exist, how expressions compile, what a cron line means) it asks through the
// Environment interface.
package workflow

import "time"

// Step types.
const (
	StepAction    = "action"
	StepCondition = "condition"
	StepParallel  = "parallel"
	StepHumanTask = "human_task"
	StepDelay     = "delay"
)

// Trigger types.
const (
	TriggerManual    = "manual"
	TriggerScheduled = "scheduled"
	TriggerEvent     = "event"
	TriggerWebhook   = "webhook"
)

// onError values.
const (
	OnErrorFail     = "fail"
	OnErrorContinue = "continue"
	OnErrorRetry    = "retry"
)

// Definition is the seed's WorkflowDefinition.
type Definition struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Version     int        `json:"version"`
	Enabled     bool       `json:"enabled"`
	Trigger     Trigger    `json:"trigger"`
	Steps       []Step     `json:"steps"`
	Variables   []Variable `json:"variables"`
	Metadata    Metadata   `json:"metadata"`
	// BusinessKeys are what a manager finds the workflow's runs by besides their record (a lead's email, a
	// deal's name): up to MaxBusinessKeys templates over the variables, worked out when a run starts and
	// again when its data is edited.
	BusinessKeys []BusinessKey `json:"businessKeys,omitempty"`
}

// BusinessKey is one searchable value of a run: a name ("Lead email") and a template ("{{ lead.email }}").
type BusinessKey struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Trigger is the seed's WorkflowTrigger.
type Trigger struct {
	Type          string         `json:"type"`
	Configuration map[string]any `json:"configuration"`
}

// Step is the seed's WorkflowStep. Configuration is the JSON object as written, so a definition is stored and
// sent exactly as it came; Config reads it into the typed form of the step's kind (ActionConfig,
// ConditionConfig, …), which is what Compile checks and the Plan carries, and SetConfig writes one back.
type Step struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Type          string         `json:"type"`
	Configuration map[string]any `json:"configuration"`
	NextSteps     []string       `json:"nextSteps"`
	ErrorHandling *ErrorHandling `json:"errorHandling,omitempty"`
	// Position is where the designer draws the step; the engine ignores it.
	Position *Position `json:"position,omitempty"`
}

// ErrorHandling is what happens when a step fails. RetryDelay is in seconds.
type ErrorHandling struct {
	RetryCount int     `json:"retryCount"`
	RetryDelay float64 `json:"retryDelay"`
	OnError    string  `json:"onError"`
	// Backoff "exponential" doubles the delay after each attempt; empty or "fixed" keeps it constant.
	Backoff string `json:"backoff,omitempty"`
}

// Position of a step on the designer's canvas.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Variable is a declared workflow variable.
type Variable struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Description string `json:"description,omitempty"`
	Default     any    `json:"default,omitempty"`
}

// Metadata records who wrote the definition and when.
type Metadata struct {
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedBy string    `json:"updatedBy"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Variable types.
var variableTypes = []string{"string", "number", "boolean", "object", "array", "date"}

// FormField is one input of a human task's form.
type FormField struct {
	Name     string   `json:"name"`
	Label    string   `json:"label,omitempty"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Options  []string `json:"options,omitempty"`
	Help     string   `json:"help,omitempty"`
	// Rest keeps what a field in a definition carries beyond these, so that it round-trips unchanged.
	Rest
}

// Form field types.
const (
	FieldText     = "text"
	FieldTextarea = "textarea"
	FieldNumber   = "number"
	FieldEmail    = "email"
	FieldDate     = "date"
	FieldDatetime = "datetime"
	FieldSelect   = "select"
	FieldCheckbox = "checkbox"
)

var fieldTypes = []string{FieldText, FieldTextarea, FieldNumber, FieldEmail, FieldDate, FieldDatetime, FieldSelect, FieldCheckbox}

// StepByID returns the step with the given id.
func (d *Definition) StepByID(id string) (*Step, bool) {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i], true
		}
	}
	return nil, false
}

// StepName is a step's name as people read it: its name, or its id when it has none or is not a step.
func (d *Definition) StepName(id string) string {
	if s, ok := d.StepByID(id); ok {
		return stepName(*s)
	}
	return id
}

// VariableNames returns the declared variable names in declaration order.
func (d *Definition) VariableNames() []string {
	names := make([]string, 0, len(d.Variables))
	for _, v := range d.Variables {
		names = append(names, v.Name)
	}
	return names
}
