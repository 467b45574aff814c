package app

import "github.com/kitchenpantry/pantryflow/internal/forms"

// The names of the designer panels' fields, spelled here only: ParseStepForm, ParseTriggerForm and
// ParseVariablesForm read them, StepFormValues, TriggerFormValues and VariablesFormValues fill them,
// ProblemField points problems at them, and views/designer_panels.templ draws them. Most are the name of
// the configuration key they edit; the panels' JSON contract is the definition, never these names.
const (
	PanelName        = "name"
	PanelStart       = "start"
	PanelAction      = "action"
	PanelCondition   = "condition"
	PanelAssignee    = "assignee"
	PanelTitle       = "title"
	PanelDescription = "description"
	PanelDueDate     = "dueDate" // edits due when the step writes its due date so, else the seed's dueDate
	// A human task's SLA: how a team's task finds its person, the reminders (offsets from the due date,
	// comma-separated), the escalation's after, to and notify, and whether out-of-office delegation applies.
	PanelAssignment     = "assignment"
	PanelReminders      = "reminders"
	PanelEscalateAfter  = "escalation.after"
	PanelEscalateTo     = "escalation.to"
	PanelEscalateNotify = "escalation.notify"
	PanelDelegation     = "delegation"
	PanelDelayMode      = "delayMode" // "duration" or "until"
	PanelUntil          = "until"
	PanelDays           = "days"
	PanelHours          = "hours"
	PanelMinutes        = "minutes"
	// PanelDurationWords is the duration written in words ("2 business days"), instead of the numbers.
	PanelDurationWords = "durationWords"
	// PanelCalendar is whose working hours a delay's business time counts in: empty or "team:NAME".
	PanelCalendar = "calendar"
	// PanelDuration is not an input: the days, hours and minutes' problems are shown under it.
	PanelDuration = "duration"

	PanelOnError    = "onError"
	PanelRetryCount = "retryCount"
	PanelRetryDelay = "retryDelay"
	PanelBackoff    = "backoff"

	PanelTriggerType       = "triggerType"
	PanelCron              = "cron"
	PanelTimezone          = "timezone"
	PanelCatchUp           = "catchUp"
	PanelScheduleVariables = "scheduleVariables"
	PanelEvent             = "event"
	PanelCustomEvent       = "customEvent"
	PanelFilter            = "filter"
	PanelRequireSignature  = "requireSignature"

	// PanelOp is the builder button pressed (see FormFieldRows and VariableRows); PanelApply is set by
	// every edit of a panel's fields.
	PanelOp    = "op"
	PanelApply = "apply"
	// PanelPreview is the record a panel's live values are worked out with ("lead:ID"); it edits nothing.
	PanelPreview = "preview"
)

// The panels' delay modes.
const (
	DelayForAWhile = "duration"
	DelayUntil     = "until"
)

// ParamField is the field of an action's parameter: "param.to".
func ParamField(param string) string { return "param." + param }

// The builders' rows: a human task's form fields (field.<i>.name|label|type|options|help|required) and the
// workflow's variables (var.<i>.name|type|description|default|required).
var (
	FormFieldRows = forms.NewRows("field", "field", "up", "down", "name", "type")
	VariableRows  = forms.NewRows("var", "var", "var_up", "var_down", "name", "type")
)

// errorHandlingFields are the fields of "When the step fails".
var errorHandlingFields = []string{PanelOnError, PanelRetryCount, PanelRetryDelay, PanelBackoff}
