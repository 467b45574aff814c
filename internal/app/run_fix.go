package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// RunChange is something a person changed in a run besides running it: its variables edited, its record
// refreshed from the CRM, a retry from an earlier step, its failed step skipped.
type RunChange struct {
	At      time.Time      `json:"at"`
	By      string         `json:"by"`
	Kind    string         `json:"kind"` // variables, record, retry_from, skip
	StepID  string         `json:"stepId,omitempty"`
	Message string         `json:"message"`
	Before  map[string]any `json:"before,omitempty"`
	After   map[string]any `json:"after,omitempty"`
}

func runChanges(rows []store.ExecutionChange) []RunChange {
	out := make([]RunChange, 0, len(rows))
	for _, r := range rows {
		c := RunChange{At: r.ChangedAt, By: r.ChangedBy, Kind: r.Kind, StepID: r.StepID, Message: r.Message}
		_ = r.BeforeValue.Decode(&c.Before)
		_ = r.AfterValue.Decode(&c.After)
		out = append(out, c)
	}
	return out
}

// RetryRequest is how a manager retries a failed run: from the failed step (FromStep empty) or an earlier
// one, with the run's copy of its record read again from the CRM first when RefreshRecord is set.
type RetryRequest struct {
	FromStep      string `json:"fromStep,omitempty"`
	RefreshRecord bool   `json:"refreshRecord,omitempty"`
}

// SkipRequest names the failed step to skip.
type SkipRequest struct {
	Step          string `json:"step"`
	RefreshRecord bool   `json:"refreshRecord,omitempty"`
}

// EditRunVariables sets variables of a failed or waiting run, checked against the workflow's declarations
// (a wrong one is a 422 naming it); the run's log of changes records who changed what, before and after.
func (a *App) EditRunVariables(ctx context.Context, actor *Actor, id string, values map[string]any) error {
	if err := requireManager(actor, "edit the data of runs"); err != nil {
		return err
	}
	if len(values) == 0 {
		return &ValidationError{Message: "nothing to change", Details: []Detail{{Path: "variables",
			Message: "give the variables to set, such as {\"variables\": {\"lead\": {…}}}"}}}
	}
	if err := fixError("edit", a.Engine.EditVariables(ctx, id, actor.Email, engine.Edit{Values: values, Kind: engine.ChangeVariables})); err != nil {
		return err
	}
	a.audit(ctx, actor, "run data edited", "execution", id, nil, map[string]any{"variables": values})
	return nil
}

// RetryRun retries a failed run as the request says.
func (a *App) RetryRun(ctx context.Context, actor *Actor, id string, req RetryRequest) error {
	if err := requireManager(actor, "retry executions"); err != nil {
		return err
	}
	edit, err := a.refreshEdit(ctx, id, req.RefreshRecord)
	if err != nil {
		return err
	}
	if err := fixError("retry", a.Engine.RetryFrom(ctx, id, req.FromStep, actor.Email, edit...)); err != nil {
		return err
	}
	a.audit(ctx, actor, "run retried", "execution", id, nil, req)
	return nil
}

// SkipStep skips the failed step of a failed run, and the run goes on after it.
func (a *App) SkipStep(ctx context.Context, actor *Actor, id string, req SkipRequest) error {
	if err := requireManager(actor, "skip steps of runs"); err != nil {
		return err
	}
	if req.Step == "" {
		return &ValidationError{Message: "which step?", Details: []Detail{{Path: "step", Message: "name the failed step to skip"}}}
	}
	edit, err := a.refreshEdit(ctx, id, req.RefreshRecord)
	if err != nil {
		return err
	}
	if err := fixError("skip", a.Engine.Skip(ctx, id, req.Step, actor.Email, edit...)); err != nil {
		return err
	}
	a.audit(ctx, actor, "step skipped", "execution", id, nil, req)
	return nil
}

// refreshEdit is the edit that puts the run's record as the CRM has it now into the run's variables; none
// when refresh is false.
func (a *App) refreshEdit(ctx context.Context, id string, refresh bool) ([]engine.Edit, error) {
	if !refresh {
		return nil, nil
	}
	d, err := a.DB.Executions().ByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no execution %q", id)}
	}
	if err != nil {
		return nil, err
	}
	if d.SubjectEntity == "" || d.SubjectID == "" {
		return nil, &ValidationError{Message: "the run is about no record", Details: []Detail{{Path: "refreshRecord",
			Message: "this run holds no CRM record, so there is nothing to read again; edit its variables instead"}}}
	}
	rec, err := a.CRM.Get(ctx, crm.Entity(d.SubjectEntity), d.SubjectID)
	if err != nil {
		return nil, &ValidationError{Message: "the record cannot be read", Details: []Detail{{Path: "refreshRecord",
			Message: fmt.Sprintf("the run's %s %s cannot be read from the CRM (%v); it may have been deleted", d.SubjectEntity, d.SubjectLabel, err)}}}
	}
	return []engine.Edit{{Values: map[string]any{d.SubjectEntity: map[string]any(rec)}, Kind: engine.ChangeRecord}}, nil
}

// fixError turns the engine's answers to a fix into the app's errors: wrong values are a 422 per variable, a
// request that does not fit the run a 422 naming the part of it, the rest as operationError says.
func fixError(what string, err error) error {
	var ferrs workflow.FieldErrors
	var op *engine.OpError
	switch {
	case errors.As(err, &ferrs):
		return fieldsError("the values do not fit the workflow's variables; nothing was changed", ferrs)
	case errors.As(err, &op):
		return &ValidationError{Message: op.Message, Details: []Detail{{Path: op.Field, Message: op.Message}}}
	}
	return operationError(what, err)
}

// FixRequest is the run page's "Fix this run" form: variables to set, whether to read the run's record
// again from the CRM, and what to do then: ThenSave only saves, ThenRetry retries from the failed step,
// "from:STEP" from an earlier one, ThenSkip skips the failed step.
type FixRequest struct {
	Values        map[string]any
	RefreshRecord bool
	Then          string
}

// What a fix does after saving.
const (
	ThenSave  = "save"
	ThenRetry = "retry"
	ThenSkip  = "skip"
	thenFrom  = "from:"
)

// FixRun applies the run page's form in one commit: the edits, the refresh, then the retry or skip.
func (a *App) FixRun(ctx context.Context, actor *Actor, id string, req FixRequest) error {
	if err := requireManager(actor, "fix runs"); err != nil {
		return err
	}
	var edits []engine.Edit
	if len(req.Values) > 0 {
		edits = append(edits, engine.Edit{Values: req.Values, Kind: engine.ChangeVariables})
	}
	refresh, err := a.refreshEdit(ctx, id, req.RefreshRecord)
	if err != nil {
		return err
	}
	edits = append(edits, refresh...)
	switch then, from, isFrom := req.Then, "", false; {
	case then == ThenRetry:
		err = a.Engine.RetryFrom(ctx, id, "", actor.Email, edits...)
	case then == ThenSkip:
		var row *store.Execution
		if row, err = a.DB.Executions().ByID(ctx, id); err == nil {
			err = a.Engine.Skip(ctx, id, row.FailedStep, actor.Email, edits...)
		}
	default:
		if from, isFrom = strings.CutPrefix(then, thenFrom); isFrom {
			err = a.Engine.RetryFrom(ctx, id, from, actor.Email, edits...)
			break
		}
		if len(edits) == 0 {
			return &ValidationError{Message: "nothing to change", Details: []Detail{{Path: "variables", Message: "change a value, or choose to retry or skip"}}}
		}
		err = a.Engine.EditVariables(ctx, id, actor.Email, edits...)
	}
	if err := fixError("fix", err); err != nil {
		return err
	}
	a.audit(ctx, actor, "run fixed", "execution", id, nil, map[string]any{"variables": req.Values, "refreshRecord": req.RefreshRecord, "then": req.Then})
	return nil
}

// FixForm is what the run page offers to fix a run: its variables by type, the record it can read again,
// and the steps it can be retried from.
type FixForm struct {
	Variables []FixVariable
	// Record is the run's record, when it can be read again from the CRM.
	Record *Subject
	// From are the steps before the failed one the run went through, first first.
	From []StepChoice
	// Failed is the failed step, when the run failed.
	Failed *StepChoice
}

// FixVariable is one variable of the run as the form edits it: objects and lists as JSON text.
type FixVariable struct {
	Name, Type, Description string
	Required                bool
	Value                   any
	// Record marks the run's record variable: refreshed from the CRM rather than typed.
	Record bool
}

// StepChoice is a step by id and name.
type StepChoice struct{ ID, Name string }

// FixFormOf works out the fix form of a run that a manager may fix now; nil when it can be neither edited
// nor retried (it is running a step, or finished well).
func (a *App) FixFormOf(ctx context.Context, e *ExecutionView) (*FixForm, error) {
	if e.Status != string(workflow.StatusFailed) && e.Status != string(workflow.StatusPaused) &&
		(e.Status != string(workflow.StatusRunning) || e.WaitingUntil == nil) {
		return nil, nil
	}
	plan, err := a.Engine.Plan(ctx, e.WorkflowID, e.WorkflowVersion)
	if err != nil {
		return nil, err
	}
	f := &FixForm{}
	record := workflow.RecordOf(plan.Def)
	if e.Subject != nil && e.Subject.ID != "" {
		f.Record = e.Subject
	}
	for _, v := range plan.Def.AllVariables() {
		f.Variables = append(f.Variables, FixVariable{Name: v.Name, Type: v.Type, Description: v.Description,
			Required: v.Required, Value: e.Variables[v.Name], Record: v.Name == record && f.Record != nil})
	}
	if e.Status == string(workflow.StatusFailed) && e.FailedStep != "" {
		f.Failed = &StepChoice{ID: e.FailedStep, Name: a.stepName(ctx, e.WorkflowID, e.WorkflowVersion, e.FailedStep)}
		seen := map[string]bool{e.FailedStep: true}
		for _, l := range e.ExecutionLog {
			if l.Action != workflow.LogCompleted || seen[l.StepID] || plan.Step(l.StepID) == nil {
				continue
			}
			seen[l.StepID] = true
			if engine.LeadsTo(plan, l.StepID, e.FailedStep) {
				f.From = append(f.From, StepChoice{ID: l.StepID, Name: plan.Step(l.StepID).Name})
			}
		}
	}
	return f, nil
}

// FixText is a variable's value as the fix form shows it: text as is, numbers and yes/no as written,
// objects and lists as indented JSON, nothing as "".
func FixText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ParseFixValues reads the fix form's fields (form returns a field's text and whether it was sent) into
// typed values, keeping only the variables whose text changed; the record variable is left out when it is
// refreshed from the CRM. A value that does not read as its type is a problem naming the variable.
func ParseFixValues(f *FixForm, form func(name string) (string, bool), refresh bool) (map[string]any, error) {
	values := map[string]any{}
	var details []Detail
	for _, v := range f.Variables {
		text, sent := form("var." + v.Name)
		if !sent || (v.Record && refresh) || strings.TrimSpace(text) == strings.TrimSpace(FixText(v.Value)) {
			continue
		}
		text = strings.TrimSpace(text)
		var val any
		var problem string
		switch {
		case text == "":
			val = nil
		case v.Type == "number":
			n, err := strconv.ParseFloat(text, 64)
			if err != nil {
				problem = fmt.Sprintf("%q is not a number", text)
			}
			val = n
		case v.Type == "boolean":
			b, err := strconv.ParseBool(text)
			if err != nil {
				problem = "choose yes or no"
			}
			val = b
		case v.Type == "object" || v.Type == "array":
			if err := json.Unmarshal([]byte(text), &val); err != nil {
				problem = "is not valid JSON: " + err.Error()
			}
		default:
			val = text
		}
		if problem != "" {
			details = append(details, Detail{Path: v.Name, Message: fmt.Sprintf("%s: %s", v.Name, problem)})
			continue
		}
		values[v.Name] = val
	}
	if len(details) > 0 {
		return nil, &ValidationError{Message: "some values cannot be read; nothing was changed", Details: details}
	}
	return values, nil
}
