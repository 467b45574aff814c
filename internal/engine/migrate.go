package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// StepMove is where one branch of a run goes when the run moves to another version: from a step of the old
// version to the step of the new one with the same id, or the one a mapping names.
type StepMove struct {
	From     string `json:"from"`
	FromName string `json:"fromName"`
	To       string `json:"to"`
	ToName   string `json:"toName"`
}

// Why a run cannot move.
var (
	ErrNotWaiting   = errors.New("the run is not waiting")
	ErrStepGone     = errors.New("the step is gone")
	ErrKindChanged  = errors.New("the step changed kind")
	ErrOnVersion    = errors.New("the run is on that version already")
	ErrOtherVersion = errors.New("the run is on another version")
)

// MoveError says why a run cannot move, with the step it waits at.
type MoveError struct {
	Step, StepName string
	Err            error
	Message        string
}

func (e *MoveError) Error() string { return e.Message }
func (e *MoveError) Unwrap() error { return e.Err }

// MigrationOf works out where each live branch of a waiting run goes in plan to (steps matched by id, or by
// mapping: old step id → new step id), without changing the run. A run that is not waiting, or a branch
// whose step to lacks or has as another kind of step, is a *MoveError.
func MigrationOf(from, to *workflow.Plan, r *Run, mapping map[string]string) ([]StepMove, error) {
	switch {
	case r.Version == to.Def.Version:
		return nil, &MoveError{Err: ErrOnVersion, Message: fmt.Sprintf("the run is on version %d already", to.Def.Version)}
	case r.Version != from.Def.Version:
		return nil, &MoveError{Err: ErrOtherVersion, Message: fmt.Sprintf("the run is on version %d, not %d", r.Version, from.Def.Version)}
	case r.Status != workflow.StatusRunning && r.Status != workflow.StatusPaused:
		return nil, &MoveError{Err: ErrNotWaiting, Message: fmt.Sprintf("the run is %s; only waiting runs move", r.Status)}
	}
	target := func(id string) (*workflow.PlanStep, *workflow.PlanStep, error) {
		old := from.Step(id)
		newID := id
		if m, ok := mapping[id]; ok && m != "" {
			newID = m
		}
		s := to.Step(newID)
		name := id
		if old != nil {
			name = old.Name
		}
		switch {
		case old == nil:
			return nil, nil, &MoveError{Step: id, StepName: id, Err: ErrStepGone, Message: fmt.Sprintf("its step %q is not in version %d", id, from.Def.Version)}
		case s == nil:
			return nil, nil, &MoveError{Step: id, StepName: name, Err: ErrStepGone,
				Message: fmt.Sprintf("%q is not in version %d", name, to.Def.Version)}
		case s.Type != old.Type:
			return nil, nil, &MoveError{Step: id, StepName: name, Err: ErrKindChanged,
				Message: fmt.Sprintf("%q is a %s step, but %q is a %s step in version %d", name, kindWords(old.Type), s.Name, kindWords(s.Type), to.Def.Version)}
		}
		return old, s, nil
	}
	var moves []StepMove
	for _, f := range r.State.Frames {
		if _, _, err := target(f.Step); err != nil {
			return nil, err
		}
	}
	for _, b := range r.State.Branches {
		if !b.Live() {
			continue
		}
		if b.State == BranchReady {
			return nil, &MoveError{Step: b.Step, StepName: stepName(from, b.Step), Err: ErrNotWaiting,
				Message: fmt.Sprintf("it is running %q now; it can move once it waits", stepName(from, b.Step))}
		}
		old, s, err := target(b.Step)
		if err != nil {
			return nil, err
		}
		moves = append(moves, StepMove{From: old.ID, FromName: old.Name, To: s.ID, ToName: s.Name})
	}
	return moves, nil
}

func kindWords(stepType string) string { return strings.ReplaceAll(stepType, "_", " ") }

// Migrate moves a waiting run to plan to: its branches and open parallel steps take their new steps' ids,
// and the run its new version. Waits keep their times, tasks and to-dos.
func Migrate(from, to *workflow.Plan, r *Run, mapping map[string]string) ([]StepMove, error) {
	moves, err := MigrationOf(from, to, r, mapping)
	if err != nil {
		return nil, err
	}
	remap := func(id string) string {
		if m, ok := mapping[id]; ok && m != "" {
			return m
		}
		return id
	}
	for i := range r.State.Branches {
		if b := &r.State.Branches[i]; b.Live() {
			b.Step = remap(b.Step)
		}
	}
	for i := range r.State.Frames {
		r.State.Frames[i].Step = remap(r.State.Frames[i].Step)
	}
	if r.CurrentStep != "" {
		r.CurrentStep = remap(r.CurrentStep)
	}
	r.Version = to.Def.Version
	return moves, nil
}

// MoveRun moves one waiting execution from version from to version to of its workflow in one commit,
// with the change logged on the run (and, with done, a batch's item marked).
func (e *Engine) MoveRun(ctx context.Context, id string, fromVersion, toVersion int, mapping map[string]string, by string, also ...store.Effect) error {
	_, err := e.operateWith(ctx, id, func(ex *loaded, now time.Time) (Transition, []store.Effect, error) {
		if ex.run.Version != fromVersion {
			if ex.run.Version == toVersion {
				return Transition{}, nil, &MoveError{Err: ErrOnVersion, Message: fmt.Sprintf("the run is on version %d already", toVersion)}
			}
			return Transition{}, nil, &MoveError{Err: ErrOtherVersion, Message: fmt.Sprintf("the run is on version %d, not %d", ex.run.Version, fromVersion)}
		}
		to, err := e.plans.get(ctx, e.db.Workflows(), ex.row.WorkflowID, toVersion)
		if err != nil {
			return Transition{}, nil, err
		}
		moves, err := Migrate(ex.plan, to, ex.run, mapping)
		if err != nil {
			return Transition{}, nil, err
		}
		parts := make([]string, len(moves))
		for i, m := range moves {
			parts[i] = fmt.Sprintf("%q → %q", m.FromName, m.ToName)
		}
		change := store.ExecutionChange{ExecutionID: id, ChangedAt: now, ChangedBy: by, Kind: ChangeMigrated,
			Message:     fmt.Sprintf("Moved from version %d to version %d: %s", fromVersion, toVersion, strings.Join(parts, ", ")),
			BeforeValue: store.MustJSON(map[string]any{"version": fromVersion}), AfterValue: store.MustJSON(map[string]any{"version": toVersion, "steps": moves})}
		effects := append([]store.Effect{store.SetExecutionVersion{ExecutionID: id, Version: toVersion}, store.LogRunChange{Change: change}}, also...)
		for _, m := range moves {
			if m.From != m.To {
				effects = append(effects, store.MoveTaskStep{ExecutionID: id, From: m.From, To: m.To})
			}
		}
		return Transition{}, effects, nil
	})
	return err
}

// ChangeMigrated is the change of a run moved to another version.
const ChangeMigrated = "migrated"

// RunMove is where a waiting run would go in another version, or why it cannot move.
type RunMove struct {
	ExecutionID string
	Moves       []StepMove
	Err         *MoveError
}

// PlanMigrations works out, for each of the executions ids, where it would go from version from to version
// to of workflowID with mapping, without changing anything.
func (e *Engine) PlanMigrations(ctx context.Context, workflowID string, from, to int, mapping map[string]string, ids []string) ([]RunMove, error) {
	toPlan, err := e.plans.get(ctx, e.db.Workflows(), workflowID, to)
	if err != nil {
		return nil, err
	}
	out := make([]RunMove, 0, len(ids))
	for _, id := range ids {
		ex, err := e.load(ctx, id)
		if err != nil {
			return nil, err
		}
		if ex.plan.Def.Version != from {
			continue
		}
		moves, err := MigrationOf(ex.plan, toPlan, ex.run, mapping)
		var me *MoveError
		switch {
		case errors.As(err, &me):
			out = append(out, RunMove{ExecutionID: id, Err: me})
		case err != nil:
			return nil, err
		default:
			out = append(out, RunMove{ExecutionID: id, Moves: moves})
		}
	}
	return out, nil
}
