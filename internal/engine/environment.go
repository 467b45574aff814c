package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Environment is what validation asks about actions, expressions, schedules and mail templates.
type Environment struct {
	Actions *actions.Registry
	Expr    *expression.Engine
	Clock   clock.Clock
	// Templates says whether an email template exists; nil accepts every name (a template deleted after
	// publishing fails the step at run time instead).
	Templates func(name string) bool
	// Placeholders gives the names a mail template reads, so saving checks that a send_email step gives
	// each (nil checks none).
	Placeholders func(name string) ([]string, bool)
	// Secrets says whether a secret exists; nil accepts every name (a secret deleted after publishing
	// fails the step at run time instead).
	Secrets func(name string) bool
	// Records gives the shape of a CRM entity's records, so saving a workflow checks the fields its
	// expressions read from the event's record; nil checks none (the engine's own plans, compiled again at
	// run time, are not held to a shape the CRM may have changed since).
	Records func(entity string) (workflow.RecordSchema, bool)
}

var _ workflow.Environment = Environment{}

// CronParser reads 5-field schedules and @descriptors (@daily, @every 3s).
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Action implements workflow.Environment.
func (e Environment) Action(name string) (workflow.ActionSpec, bool) {
	a, ok := e.Actions.Get(name)
	if !ok {
		return workflow.ActionSpec{}, false
	}
	return a.Spec(), true
}

// ActionNames implements workflow.Environment.
func (e Environment) ActionNames() []string { return e.Actions.Names() }

// CompileExpression implements workflow.Environment.
func (e Environment) CompileExpression(src string, names []string, boolean bool) (workflow.Expr, *workflow.ExprError) {
	var p *expression.Program
	var err error
	if boolean {
		p, err = e.Expr.CompileBool(src, names)
	} else {
		p, err = e.Expr.Compile(src, names)
	}
	if err != nil {
		return nil, exprError(err)
	}
	return p, nil
}

// CompileValue implements workflow.Environment.
func (e Environment) CompileValue(v any, names []string) (workflow.Value, []workflow.ValueError) {
	vt, perrs := e.Expr.ParseValue(v, names)
	if len(perrs) > 0 {
		out := make([]workflow.ValueError, 0, len(perrs))
		for _, pe := range perrs {
			out = append(out, workflow.ValueError{Path: pe.Path, ExprError: *exprError(pe.Err)})
		}
		return nil, out
	}
	return vt, nil
}

func exprError(err error) *workflow.ExprError {
	var xe *expression.Error
	if errors.As(err, &xe) {
		return &workflow.ExprError{Position: xe.Position, Message: xe.Message, Hint: xe.Hint}
	}
	return &workflow.ExprError{Message: err.Error()}
}

// CheckSchedule implements workflow.Environment.
func (e Environment) CheckSchedule(spec, timezone string) error {
	if _, err := time.LoadLocation(timezone); err != nil {
		return fmt.Errorf("unknown timezone %q; use an IANA name such as Europe/Berlin or America/New_York", timezone)
	}
	if _, err := CronParser.Parse(spec); err != nil {
		return fmt.Errorf("the schedule %q is not a valid cron line (%v); use 5 fields such as \"0 9 * * 1-5\" or @daily, @hourly, @every 10m", spec, err)
	}
	return nil
}

// ParseDate implements workflow.Environment. Business offsets are counted in Default here: which calendar
// counts is known only when the step runs, and any of them reads the same words.
func (e Environment) ParseDate(s string) error {
	_, err := expression.ParseDateIn(businesstime.Default, s, e.Clock.Now())
	return err
}

// SecretExists implements workflow.Environment.
func (e Environment) SecretExists(name string) bool {
	return e.Secrets == nil || e.Secrets(name)
}

// EmailTemplatePlaceholders implements workflow.Environment.
func (e Environment) EmailTemplatePlaceholders(name string) ([]string, bool) {
	if e.Placeholders == nil {
		return nil, false
	}
	return e.Placeholders(name)
}

// RecordFields implements workflow.Environment.
func (e Environment) RecordFields(entity string) (workflow.RecordSchema, bool) {
	if e.Records == nil {
		return workflow.RecordSchema{}, false
	}
	return e.Records(entity)
}

// EmailTemplateExists implements workflow.Environment.
func (e Environment) EmailTemplateExists(name string) bool {
	return e.Templates == nil || e.Templates(name)
}
