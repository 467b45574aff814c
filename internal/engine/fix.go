package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Kinds of the changes people make to a run (store.ExecutionChange.Kind).
const (
	ChangeVariables = "variables"  // variables edited by hand
	ChangeRecord    = "record"     // the run's copy of its record refreshed from the CRM
	ChangeRetryFrom = "retry_from" // retried from an earlier step
	ChangeSkip      = "skip"       // the failed step skipped
)

// Edit is a change of a run's variables: the values to set (checked against the declarations here) and what
// kind of change it is, ChangeVariables or ChangeRecord.
type Edit struct {
	Values map[string]any
	Kind   string
}

// EditVariables sets variables of a failed or waiting execution and records who changed what, with the
// values before and after, in the same commit. Wrong values are workflow.FieldErrors; a run busy with a step
// is an *OpError.
func (e *Engine) EditVariables(ctx context.Context, id, by string, edits ...Edit) error {
	return e.fix(ctx, id, by, edits, nil, nil)
}

// RetryFrom retries a failed execution from step from ("" or the failed step: from the failed step), after
// setting the variables of edits, in one commit.
func (e *Engine) RetryFrom(ctx context.Context, id, from, by string, edits ...Edit) error {
	return e.fix(ctx, id, by, edits, retryOp(from, by), nil)
}

// retryOp is the retry from step from ("" or the failed step: from the failed step) as a fix's operation.
func retryOp(from, by string) func(*loaded, time.Time) (Transition, *store.ExecutionChange, error) {
	return func(ex *loaded, now time.Time) (Transition, *store.ExecutionChange, error) {
		if from == "" || from == ex.run.FailedStep {
			tr, err := Retry(ex.plan, ex.run, by, now)
			return tr, nil, err
		}
		failed := ex.run.FailedStep
		tr, err := RetryFrom(ex.plan, ex.run, from, by, now)
		return tr, &store.ExecutionChange{Kind: ChangeRetryFrom, StepID: from,
			Message: fmt.Sprintf("Retried from %q instead of the failed step %q", stepName(ex.plan, from), stepName(ex.plan, failed))}, err
	}
}

// Skip skips the failed step of a failed execution, after setting the variables of edits.
func (e *Engine) Skip(ctx context.Context, id, step, by string, edits ...Edit) error {
	return e.fix(ctx, id, by, edits, func(ex *loaded, now time.Time) (Transition, *store.ExecutionChange, error) {
		tr, err := Skip(ex.plan, ex.run, step, by, now)
		return tr, &store.ExecutionChange{Kind: ChangeSkip, StepID: step,
			Message: fmt.Sprintf("Skipped the failed step %q", stepName(ex.plan, step))}, err
	}, nil)
}

// fix applies edits of the variables and then op (when not nil) to one execution, and commits them with
// the changes they make recorded, the run's record and keys worked out again, and the effects also.
func (e *Engine) fix(ctx context.Context, id, by string, edits []Edit,
	op func(*loaded, time.Time) (Transition, *store.ExecutionChange, error), also []store.Effect) error {
	_, err := e.operateWith(ctx, id, func(ex *loaded, now time.Time) (Transition, []store.Effect, error) {
		var changes []store.ExecutionChange
		edited := false
		for _, edit := range edits {
			if len(edit.Values) == 0 {
				continue
			}
			if !Editable(ex.run) {
				return Transition{}, nil, &OpError{Field: "variables", Message: "the run is running a step now; its data can be edited once it fails or waits"}
			}
			if ferrs := workflow.CheckEdits(ex.plan.Def, edit.Values); len(ferrs) > 0 {
				return Transition{}, nil, ferrs
			}
			before, after, err := EditVariables(ex.run, edit.Values)
			if err != nil {
				return Transition{}, nil, err
			}
			for _, name := range slices.Sorted(maps.Keys(after)) {
				if sameJSON(before[name], after[name]) {
					delete(before, name)
					delete(after, name)
				}
			}
			if len(after) > 0 {
				edited = true
				changes = append(changes, store.ExecutionChange{Kind: edit.Kind, Message: editMessage(edit.Kind, after),
					BeforeValue: store.MustJSON(before), AfterValue: store.MustJSON(after)})
			}
		}
		var tr Transition
		if op != nil {
			var ch *store.ExecutionChange
			var err error
			if tr, ch, err = op(ex, now); err != nil {
				return Transition{}, nil, err
			}
			if ch != nil {
				changes = append(changes, *ch)
			}
		}
		effects := slices.Clone(also)
		for _, ch := range changes {
			ch.ExecutionID, ch.ChangedAt, ch.ChangedBy = id, now, by
			effects = append(effects, store.LogRunChange{Change: ch})
		}
		if edited {
			effects = append(effects, SubjectOf(ctx, ex.plan, ex.run.Variables).update(id))
		}
		return tr, effects, nil
	})
	return err
}

func editMessage(kind string, after map[string]any) string {
	names := slices.Sorted(maps.Keys(after))
	if kind == ChangeRecord {
		return fmt.Sprintf("Refreshed %s from the CRM", strings.Join(names, ", "))
	}
	return fmt.Sprintf("Edited %s", strings.Join(names, ", "))
}

func sameJSON(a, b any) bool {
	return string(store.MustJSON(a)) == string(store.MustJSON(b))
}
