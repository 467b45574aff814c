package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"gorm.io/gorm"

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

func (e *Engine) load(ctx context.Context, db *gorm.DB, id string) (*loaded, error) {
	var row store.Execution
	err := db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", id, err)
	}
	run, err := runFromRow(&row)
	if err != nil {
		return nil, err
	}
	plan, err := e.plans.get(ctx, row.WorkflowID, row.WorkflowVersion)
	if err != nil {
		return nil, err
	}
	return &loaded{row: row, run: run, plan: plan}, nil
}

func runFromRow(row *store.Execution) (*Run, error) {
	r := &Run{
		ID: row.ID, WorkflowID: row.WorkflowID, Version: row.WorkflowVersion,
		Status: workflow.ExecutionStatus(row.Status), CurrentStep: row.CurrentStep, Error: row.Error,
		FailedStep: row.FailedStep, StartedAt: row.StartedAt, CompletedAt: row.CompletedAt,
		Variables: map[string]any{}, Outputs: map[string]any{},
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
	row := &store.Execution{
		ID: r.ID, WorkflowID: r.WorkflowID, WorkflowVersion: r.Version, StartedAt: r.StartedAt,
		TriggerType: meta.TriggerType, TriggerRef: meta.TriggerRef, StartedBy: meta.StartedBy, Revision: 1,
	}
	cols, err := runColumns(r, now)
	if err != nil {
		return nil, err
	}
	row.Status = cols["status"].(string)
	row.CurrentStep = cols["current_step"].(string)
	row.Variables = cols["variables"].(store.JSON)
	row.Outputs = cols["outputs"].(store.JSON)
	row.State = cols["state"].(store.JSON)
	row.WaitingUntil = cols["waiting_until"].(*time.Time)
	row.UpdatedAt = now
	return row, nil
}

func runColumns(r *Run, now time.Time) (map[string]any, error) {
	vars, err := store.ToJSON(r.Variables)
	if err != nil {
		return nil, fmt.Errorf("execution %s variables: %w", r.ID, err)
	}
	outputs, err := store.ToJSON(r.Outputs)
	if err != nil {
		return nil, fmt.Errorf("execution %s step outputs: %w", r.ID, err)
	}
	return map[string]any{
		"status":        string(r.Status),
		"current_step":  r.CurrentStep,
		"variables":     vars,
		"outputs":       outputs,
		"state":         store.MustJSON(r.State),
		"error":         r.Error,
		"failed_step":   r.FailedStep,
		"waiting_until": r.State.WaitingUntil(),
		"completed_at":  r.CompletedAt,
		"updated_at":    now,
	}, nil
}

// commit is one transition's writes.
type commit struct {
	ex      *loaded
	tr      Transition
	effects []store.Effect
	// jobs are branches that need a new advance job.
	jobs []int
	// job, when set, is completed in the same transaction.
	job *river.Job[AdvanceArgs]
	now time.Time
}

// write applies a transition in tx. The revision check comes first, so a concurrent writer makes this one
// fail before anything else is written, and the transaction is rolled back.
func (e *Engine) write(ctx context.Context, tx *gorm.DB, c commit) error {
	cols, err := runColumns(c.ex.run, c.now)
	if err != nil {
		return err
	}
	cols["revision"] = c.ex.row.Revision + 1
	res := tx.Model(&store.Execution{}).Where("id = ? AND revision = ?", c.ex.row.ID, c.ex.row.Revision).UpdateColumns(cols)
	if res.Error != nil {
		return fmt.Errorf("update execution %s: %w", c.ex.row.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return errConflict
	}
	for _, eff := range c.effects {
		if err := eff.Apply(ctx, tx); err != nil {
			return fmt.Errorf("execution %s: %w", c.ex.row.ID, err)
		}
	}
	if err := e.writeTasks(tx, c); err != nil {
		return err
	}
	if err := writeLog(tx, c.ex.row.ID, c.tr.Log); err != nil {
		return err
	}
	if len(c.jobs) > 0 {
		params := make([]river.InsertManyParams, 0, len(c.jobs))
		for _, id := range c.jobs {
			params = append(params, river.InsertManyParams{Args: AdvanceArgs{ExecutionID: c.ex.row.ID, BranchID: id}})
		}
		if _, err := e.river.InsertManyTx(ctx, store.SQLTx(tx), params); err != nil {
			return fmt.Errorf("execution %s: enqueue branches: %w", c.ex.row.ID, err)
		}
	}
	if c.job != nil {
		if err := e.completeJobTx(ctx, tx, c.job); err != nil {
			return err
		}
	}
	c.ex.row.Revision++
	return nil
}

func (e *Engine) completeJobTx(ctx context.Context, tx *gorm.DB, job *river.Job[AdvanceArgs]) error {
	var err error
	if e.db.Dialect == store.Postgres {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, store.SQLTx(tx), job)
	} else {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, store.SQLTx(tx), job)
	}
	if err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	return nil
}

func (e *Engine) writeTasks(tx *gorm.DB, c commit) error {
	if c.tr.CancelTasks {
		err := tx.Model(&store.HumanTask{}).Where("execution_id = ? AND status = ?", c.ex.row.ID, workflow.TaskOpen).
			UpdateColumns(map[string]any{"status": string(workflow.TaskCancelled), "updated_at": c.now}).Error
		if err != nil {
			return fmt.Errorf("execution %s: cancel its tasks: %w", c.ex.row.ID, err)
		}
	}
	if len(c.tr.ReopenTasks) > 0 {
		err := tx.Model(&store.HumanTask{}).Where("id IN ? AND status = ?", c.tr.ReopenTasks, workflow.TaskCancelled).
			UpdateColumns(map[string]any{"status": string(workflow.TaskOpen), "updated_at": c.now}).Error
		if err != nil {
			return fmt.Errorf("execution %s: reopen its tasks: %w", c.ex.row.ID, err)
		}
	}
	return nil
}

func writeLog(tx *gorm.DB, execID string, entries []workflow.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([]store.LogRow, 0, len(entries))
	for _, le := range entries {
		row := store.LogRow{ExecutionID: execID, Timestamp: le.Timestamp, StepID: le.StepID, StepName: le.StepName,
			Action: string(le.Action), Message: le.Message}
		if le.Data != nil {
			data, err := store.ToJSON(le.Data)
			if err != nil {
				return fmt.Errorf("execution %s: log data of %s: %w", execID, le.StepID, err)
			}
			row.Data = data
		}
		rows = append(rows, row)
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("execution %s: write log: %w", execID, err)
	}
	return nil
}
