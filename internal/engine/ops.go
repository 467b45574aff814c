package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// StartMeta records how an execution was started.
type StartMeta struct {
	TriggerType string // manual, scheduled, event, webhook
	TriggerRef  string // the event id, webhook delivery id or schedule time
	StartedBy   string // the user's email, or the trigger
	// Test starts a test run: actions record what they would do instead of doing it, and human tasks go
	// to the person testing.
	Test bool
}

// Plan returns the compiled plan of a workflow version.
func (e *Engine) Plan(ctx context.Context, workflowID string, version int) (*workflow.Plan, error) {
	return e.plans.get(ctx, e.db.Workflows(), workflowID, version)
}

// PlanTx is Plan for use inside a transaction.
func (e *Engine) PlanTx(ctx context.Context, tx *store.Tx, workflowID string, version int) (*workflow.Plan, error) {
	return e.plans.get(ctx, tx.Workflows(), workflowID, version)
}

// StartTx creates an execution of plan inside tx and enqueues its first step: if tx rolls back, nothing
// starts. The variables are checked against the declared ones first; a mismatch is workflow.FieldErrors.
func (e *Engine) StartTx(ctx context.Context, tx *store.Tx, plan *workflow.Plan, vars map[string]any, meta StartMeta) (string, error) {
	if vars == nil {
		vars = map[string]any{}
	}
	checked, ferrs := workflow.CheckVariables(plan.Def, vars)
	if len(ferrs) > 0 {
		return "", ferrs
	}
	now := e.clock.Now()
	r := Start(plan, e.newID(), checked, now)
	row, err := newExecutionRow(r, meta, now)
	if err != nil {
		return "", err
	}
	subject := SubjectOf(ctx, plan, checked)
	row.SubjectEntity, row.SubjectID, row.SubjectLabel, row.BusinessKeys = subject.Entity, subject.ID, subject.Label, subject.keysJSON()
	if err := tx.Executions().Insert(ctx, row, subject.terms()...); err != nil {
		return "", fmt.Errorf("start workflow %s: %w", plan.Def.ID, err)
	}
	args := AdvanceArgs{ExecutionID: r.ID, BranchID: r.State.Branches[0].ID}
	if _, err := e.river.InsertTx(ctx, store.SQLTx(tx), args, nil); err != nil {
		return "", fmt.Errorf("start workflow %s: enqueue: %w", plan.Def.ID, err)
	}
	return r.ID, nil
}

// EnqueueTx inserts a River job inside tx: it runs only if tx commits.
func (e *Engine) EnqueueTx(ctx context.Context, tx *store.Tx, args river.JobArgs) error {
	if _, err := e.river.InsertTx(ctx, store.SQLTx(tx), args, nil); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Cancel stops an execution, and the steps of it that are running now: their jobs' contexts are cancelled
// (through River, on whichever instance runs them), so a long call or evaluation stops instead of finishing.
func (e *Engine) Cancel(ctx context.Context, id, by string) error {
	_, err := e.operate(ctx, id, func(ex *loaded, now time.Time) (Transition, error) {
		return Cancel(ex.plan, ex.run, by, now)
	})
	if err != nil {
		return err
	}
	e.stopRunningJobs(ctx, id)
	return nil
}

// stopRunningJobs asks River to cancel the running advance jobs of an execution that has ended. Failing
// to is harmless: the step's commit then loses to the cancellation and nothing of it is written.
func (e *Engine) stopRunningJobs(ctx context.Context, id string) {
	ids, err := e.db.RunningJobIDs(ctx, AdvanceArgs{}.Kind(), "executionId", id)
	if err != nil {
		e.log.Warn("could not look for the running steps of a cancelled execution", "execution_id", id, "error", err)
		return
	}
	for _, jobID := range ids {
		if _, err := e.river.JobCancel(ctx, jobID); err != nil {
			e.log.Warn("could not stop a running step of a cancelled execution", "execution_id", id, "job_id", jobID, "error", err)
		}
	}
}

// Wake ends an execution's delays and retry waits now.
func (e *Engine) Wake(ctx context.Context, id, by string) error {
	_, err := e.operate(ctx, id, func(ex *loaded, now time.Time) (Transition, error) {
		return Wake(ex.plan, ex.run, by, now)
	})
	return err
}

const maxConflicts = 20

// operate applies a core operation to an execution and commits it, deciding again on a concurrent change.
// It reports whether anything was written.
func (e *Engine) operate(ctx context.Context, id string, op func(*loaded, time.Time) (Transition, error)) (bool, error) {
	return e.operateWith(ctx, id, func(ex *loaded, now time.Time) (Transition, []store.Effect, error) {
		tr, err := op(ex, now)
		return tr, nil, err
	})
}

func (e *Engine) operateWith(ctx context.Context, id string, op func(*loaded, time.Time) (Transition, []store.Effect, error)) (bool, error) {
	for range maxConflicts {
		ex, err := e.load(ctx, id)
		if err != nil {
			return false, err
		}
		now := e.clock.Now()
		tr, effects, err := op(ex, now)
		if err != nil {
			return false, err
		}
		if len(tr.Log) == 0 && len(tr.Ready) == 0 && !tr.CancelTasks && len(effects) == 0 && tr.Continue == 0 {
			return false, nil
		}
		jobs := tr.Ready
		if tr.Continue != 0 {
			jobs = append(jobs, tr.Continue)
		}
		err = e.commitOne(ctx, &commit{ex: ex, tr: tr, effects: effects, jobs: jobs, now: now})
		if errors.Is(err, errConflict) {
			continue
		}
		if err != nil {
			return false, err
		}
		e.logTransition(ex, tr)
		return true, nil
	}
	return false, fmt.Errorf("execution %s is changing too fast; try again", id)
}

// CompleteTask checks the submitted values against the task's form, records them and resumes the execution;
// the writes in also are applied in the same commit, after the task's (the request's Idempotency-Key). It
// returns workflow.FieldErrors when values are wrong and ErrTaskClosed when the task is not open.
func (e *Engine) CompleteTask(ctx context.Context, taskID string, values map[string]any, by string, also ...store.Effect) error {
	task, err := e.db.Tasks().ByID(ctx, taskID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("task %s: %w", taskID, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if task.Status != string(workflow.TaskOpen) {
		return fmt.Errorf("task %q is %s: %w", task.Title, task.Status, ErrTaskClosed)
	}
	var fields []workflow.FormField
	if err := task.FormFields.Decode(&fields); err != nil {
		return fmt.Errorf("task %s: %w", taskID, err)
	}
	clean, ferrs := workflow.CheckFormValues(fields, values)
	if len(ferrs) > 0 {
		return ferrs
	}
	_, err = e.operateWith(ctx, task.ExecutionID, func(ex *loaded, now time.Time) (Transition, []store.Effect, error) {
		tr, err := CompleteTask(ex.plan, ex.run, taskID, clean, by, now)
		if err != nil {
			return Transition{}, nil, err
		}
		return tr, append([]store.Effect{closeTask{id: taskID, values: clean, by: by, now: now}}, also...), nil
	})
	return err
}

// closeTask marks a task completed, only if it is still open.
type closeTask struct {
	id     string
	values map[string]any
	by     string
	now    time.Time
}

func (c closeTask) Apply(ctx context.Context, tx *store.Tx) error {
	done, err := tx.Tasks().Complete(ctx, store.TaskCompletion{ID: c.id, From: string(workflow.TaskOpen),
		To: string(workflow.TaskCompleted), Values: store.MustJSON(c.values), By: c.by, At: c.now})
	if err != nil {
		return fmt.Errorf("complete task %s: %w", c.id, err)
	}
	if !done {
		return fmt.Errorf("task %s: %w", c.id, ErrTaskClosed)
	}
	return nil
}
