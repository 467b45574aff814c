package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// commit is one transition's writes.
type commit struct {
	ex      *loaded
	tr      Transition
	effects []store.Effect
	// jobs are branches that need a new advance job.
	jobs []int
	// job, when set, is completed in the same transaction; ctx is its worker's context, which River needs.
	job *river.Job[AdvanceArgs]
	ctx context.Context
	now time.Time
}

// commitOne writes one transition in its own transaction. It returns errConflict when the execution changed
// since it was read.
func (e *Engine) commitOne(ctx context.Context, c *commit) error {
	var results []error
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		results, err = e.writeBatch(ctx, tx, []*commit{c})
		if err == nil && results[0] != nil {
			return results[0] // roll back: nothing of a conflicting commit may stay
		}
		return err
	})
	if err != nil {
		return err
	}
	c.ex.row.Revision++
	e.committed([]string{c.ex.row.ID})
	return nil
}

// committed tells Config.OnCommit which executions a commit changed.
func (e *Engine) committed(ids []string) {
	if e.cfg.OnCommit != nil && len(ids) > 0 {
		e.cfg.OnCommit(ids)
	}
}

// writeBatch writes the transitions of several executions in one transaction (group commit), with as few
// statements as it can: one UPDATE checks every revision and writes every execution, one INSERT writes every
// log entry, one River call enqueues every successor. A commit whose revision check fails gets errConflict
// and nothing of it is written; the others go on. Each execution may appear once per batch.
func (e *Engine) writeBatch(ctx context.Context, tx *store.Tx, cs []*commit) ([]error, error) {
	results := make([]error, len(cs))
	updated, err := updateExecutions(ctx, tx, cs)
	if err != nil {
		return nil, err
	}
	var ok []*commit
	for i, c := range cs {
		if !updated[c.ex.row.ID] {
			results[i] = errConflict
			continue
		}
		ok = append(ok, c)
	}
	if len(ok) == 0 {
		return results, nil
	}
	logs, err := logRowsOf(ok)
	if err != nil {
		return nil, err
	}
	if err := tx.Executions().InsertLogs(ctx, logs); err != nil {
		return nil, err
	}
	var jobs []river.InsertManyParams
	for _, c := range ok {
		for _, eff := range c.effects {
			if err := eff.Apply(ctx, tx); err != nil {
				return nil, fmt.Errorf("execution %s: %w", c.ex.row.ID, err)
			}
		}
		if err := writeTasks(ctx, tx, c); err != nil {
			return nil, err
		}
		for _, id := range c.jobs {
			jobs = append(jobs, river.InsertManyParams{Args: AdvanceArgs{ExecutionID: c.ex.row.ID, BranchID: id}})
		}
		for _, id := range c.tr.CheckTodos {
			jobs = append(jobs, river.InsertManyParams{Args: TodoArgs{ExecutionID: c.ex.row.ID, TodoID: id}})
		}
	}
	if len(jobs) > 0 {
		if _, err := e.river.InsertManyTx(ctx, store.SQLTx(tx), jobs); err != nil {
			return nil, fmt.Errorf("enqueue branches: %w", err)
		}
	}
	for _, c := range ok {
		if c.job != nil {
			jctx := c.ctx
			if jctx == nil {
				jctx = ctx
			}
			if err := store.CompleteJobTx(jctx, tx, c.job); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

func rowOf(r *Run, revision int64, now time.Time) (store.ExecutionWrite, error) {
	vars, err := store.ToJSON(r.Variables)
	if err != nil {
		return store.ExecutionWrite{}, fmt.Errorf("execution %s variables: %w", r.ID, err)
	}
	outputs, err := store.ToJSON(r.Outputs)
	if err != nil {
		return store.ExecutionWrite{}, fmt.Errorf("execution %s step outputs: %w", r.ID, err)
	}
	return store.ExecutionWrite{
		ID: r.ID, Revision: revision, Status: string(r.Status), CurrentStep: r.CurrentStep,
		Variables: string(vars), Outputs: string(outputs), State: string(store.MustJSON(r.State)),
		Error: r.Error, FailedStep: r.FailedStep, WaitingUntil: r.State.WaitingUntil(), CompletedAt: r.CompletedAt,
		UpdatedAt: now,
	}, nil
}

// updateExecutions writes every execution whose revision is still the one its commit read, and returns
// which ones it wrote.
func updateExecutions(ctx context.Context, tx *store.Tx, cs []*commit) (map[string]bool, error) {
	rows := make([]store.ExecutionWrite, len(cs))
	for i, c := range cs {
		var err error
		if rows[i], err = rowOf(c.ex.run, c.ex.row.Revision, c.now); err != nil {
			return nil, err
		}
	}
	return tx.Executions().UpdateBatch(ctx, rows)
}

// logRowsOf are the log entries of the commits, as written.
func logRowsOf(cs []*commit) ([]store.LogRow, error) {
	var rows []store.LogRow
	for _, c := range cs {
		for _, le := range c.tr.Log {
			r := store.LogRow{ExecutionID: c.ex.row.ID, Timestamp: le.Timestamp, StepID: le.StepID, StepName: le.StepName,
				Action: string(le.Action), Message: le.Message, DurationMs: le.DurationMs, Reason: le.Reason}
			if le.Data != nil {
				enc, err := store.ToJSON(le.Data)
				if err != nil {
					return nil, fmt.Errorf("execution %s: log data of %s: %w", c.ex.row.ID, le.StepID, err)
				}
				r.Data = enc
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}
