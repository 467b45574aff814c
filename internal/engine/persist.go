package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// errConflict means another writer changed the execution since it was read; reload and decide again.
var errConflict = errors.New("the execution changed concurrently")

// loaded is an execution read from the database with its plan.
type loaded struct {
	row  store.Execution
	run  *Run
	plan *workflow.Plan
}

func (e *Engine) load(ctx context.Context, id string) (*loaded, error) {
	row, err := e.db.Executions().ByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	run, err := runFromRow(row)
	if err != nil {
		return nil, err
	}
	plan, err := e.plans.get(ctx, e.db.Workflows(), row.WorkflowID, row.WorkflowVersion)
	if err != nil {
		return nil, err
	}
	return &loaded{row: *row, run: run, plan: plan}, nil
}

func runFromRow(row *store.Execution) (*Run, error) {
	r := &Run{
		ID: row.ID, WorkflowID: row.WorkflowID, Version: row.WorkflowVersion,
		Status: workflow.ExecutionStatus(row.Status), CurrentStep: row.CurrentStep, Error: row.Error,
		FailedStep: row.FailedStep, StartedAt: row.StartedAt, CompletedAt: row.CompletedAt,
		Variables: map[string]any{}, Outputs: map[string]any{}, StartedBy: row.StartedBy, Test: row.Test,
	}
	for _, part := range []struct {
		col store.JSON
		v   any
	}{{row.Variables, &r.Variables}, {row.Outputs, &r.Outputs}, {row.State, &r.State}} {
		if err := part.col.Decode(part.v); err != nil {
			return nil, fmt.Errorf("execution %s: %w", row.ID, err)
		}
	}
	return r, nil
}

// newExecutionRow is the row of a run that has not been stored yet.
func newExecutionRow(r *Run, meta StartMeta, now time.Time) (*store.Execution, error) {
	v, err := rowOf(r, 0, now)
	if err != nil {
		return nil, err
	}
	// Nothing has run yet: the variables are what the run starts with, kept apart for replays.
	return &store.Execution{
		ID: r.ID, WorkflowID: r.WorkflowID, WorkflowVersion: r.Version, StartedAt: r.StartedAt,
		TriggerType: meta.TriggerType, TriggerRef: meta.TriggerRef, StartedBy: meta.StartedBy, Revision: 1, Test: meta.Test,
		Status: v.Status, CurrentStep: v.CurrentStep, Variables: store.JSON(v.Variables), Input: store.JSON(v.Variables),
		Outputs: store.JSON(v.Outputs), State: store.JSON(v.State), WaitingUntil: v.WaitingUntil, UpdatedAt: now,
	}, nil
}

func writeTasks(ctx context.Context, tx *store.Tx, c *commit) error {
	if c.tr.CancelTasks {
		err := tx.Tasks().MoveOfExecution(ctx, c.ex.row.ID, string(workflow.TaskOpen), string(workflow.TaskCancelled), c.now)
		if err != nil {
			return fmt.Errorf("execution %s: cancel its tasks: %w", c.ex.row.ID, err)
		}
	}
	if len(c.tr.ReopenTasks) > 0 {
		err := tx.Tasks().Move(ctx, c.tr.ReopenTasks, string(workflow.TaskCancelled), string(workflow.TaskOpen), c.now)
		if err != nil {
			return fmt.Errorf("execution %s: reopen its tasks: %w", c.ex.row.ID, err)
		}
	}
	return nil
}
