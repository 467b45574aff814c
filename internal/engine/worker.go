package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// AdvanceArgs is the job that moves one branch of an execution: after a start, a fork, a delay or a retry
// backoff, or a completed human task.
type AdvanceArgs struct {
	ExecutionID string `json:"executionId"`
	BranchID    int    `json:"branchId"`
}

// Kind implements river.JobArgs.
func (AdvanceArgs) Kind() string { return "advance_branch" }

type advanceWorker struct {
	river.WorkerDefaults[AdvanceArgs]
	e *Engine
}

func (w *advanceWorker) Work(ctx context.Context, job *river.Job[AdvanceArgs]) error {
	return w.e.advance(ctx, job)
}

// Timeout implements river.Worker: the engine's JobTimeout, which its step timeout is derived from.
func (w *advanceWorker) Timeout(*river.Job[AdvanceArgs]) time.Duration { return w.e.cfg.JobTimeout }

// jobMargin is the time a job keeps in hand after its last step, for that step's commit: 10s, or a quarter
// of a short JobTimeout.
func (c Config) jobMargin() time.Duration { return min(10*time.Second, c.JobTimeout/4) }

// errStepTimeout is the cause of a step's context when the step ran out of its own time.
var errStepTimeout = errors.New("the step ran out of time")

// runStepWithin runs a step with its own time limit (StepTimeout) inside the job's context. A step that
// the limit stopped fails for good: it would stop the same way again, and its job must not outlive it.
func (e *Engine) runStepWithin(ctx context.Context, plan *workflow.Plan, r *Run, b *Branch) stepRun {
	stepCtx, cancel := context.WithTimeoutCause(ctx, e.cfg.StepTimeout, errStepTimeout)
	defer cancel()
	sr := e.runStep(stepCtx, plan, r, b)
	if ctx.Err() == nil && context.Cause(stepCtx) == errStepTimeout && sr.outcome.Kind == Failed {
		sr.outcome.Err = workflow.Permanent(workflow.ClassTimeout,
			fmt.Errorf("the step was stopped after %s, the time limit for one step (%w)", e.cfg.StepTimeout, sr.outcome.Err))
	}
	return sr
}

// roomForStep reports whether the job can still run a whole step before its deadline (River's job timeout,
// on the wall clock, unlike the engine's clock).
func (e *Engine) roomForStep(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > e.cfg.StepTimeout+e.cfg.jobMargin()
}

// position identifies what a branch is doing; if it changes under a worker, someone else moved the branch.
type position struct {
	step       string
	activation int64
	attempt    int
	phase      Phase
}

func positionOf(b *Branch) position { return position{b.Step, b.Activation, b.Attempt, b.Phase} }

// advance runs the branch step by step, one transaction per step, for as long as it stays ready: the
// transaction of the last step also completes the job. A job re-run after a crash finds the recorded state
// and continues from there.
func (e *Engine) advance(ctx context.Context, job *river.Job[AdvanceArgs]) error {
	args := job.Args
	var ex *loaded
	var owned *position
	// refused is set when the step's writes failed for good (a broken constraint, or an effect's permanent
	// error such as a record that no longer exists): the step then fails with that reason instead of being
	// retried for ever.
	var refused error
	// lost is the outcome of a step whose commit lost a race with another commit to the execution (another
	// branch of a parallel step, mostly). When the reloaded branch is still at the same step activation,
	// nobody else ran it: the outcome still stands and is applied to the fresh state, rather than running
	// the action again (which would repeat its side effects and serialize parallel branches).
	var lost *stepRun
	for steps := 0; ; {
		if ex == nil {
			var err error
			ex, err = e.load(ctx, args.ExecutionID)
			if errors.Is(err, store.ErrNotFound) {
				e.log.Warn("job for an execution that does not exist", "execution_id", args.ExecutionID)
				return nil
			}
			if err != nil {
				return err
			}
		}
		b := ex.run.State.Branch(args.BranchID)
		if b == nil || b.State != BranchReady || !ex.run.Status.Active() {
			return nil // nothing to do: River completes the job
		}
		pos := positionOf(b)
		if owned != nil && *owned != pos {
			return nil // another job moved this branch while we reloaded: it owns it now
		}
		var sr stepRun
		switch {
		case refused != nil:
			if !workflow.IsPermanent(refused) {
				refused = workflow.Permanent(workflow.ClassValidation, fmt.Errorf("the database refused what the step wanted to save: %w", refused))
			}
			sr, refused, lost = failed(refused), nil, nil
		case lost != nil:
			sr, lost = *lost, nil
		default:
			sr = e.runStepWithin(ctx, ex.plan, ex.run, b)
			if ctx.Err() != nil && sr.outcome.Kind == Failed && !workflow.IsPermanent(sr.outcome.Err) {
				// The job itself was stopped (the run was cancelled, or River gave up on the job): the step did
				// not finish and nothing of it is written. A cancelled run has nothing left to do; otherwise
				// River runs the job again and the step runs once more, from the start.
				return fmt.Errorf("advance execution %s branch %d: %w", args.ExecutionID, args.BranchID, context.Cause(ctx))
			}
		}
		now := e.clock.Now()
		tr, err := Advance(ex.plan, ex.run, b.ID, sr.outcome, now)
		if err != nil {
			return fmt.Errorf("advance execution %s branch %d: %w", args.ExecutionID, args.BranchID, err)
		}
		steps++
		c := &commit{ex: ex, tr: tr, effects: sr.effects, jobs: tr.Ready, now: now, ctx: ctx}
		last := tr.Continue != args.BranchID
		if !last && (steps >= e.cfg.StepsPerJob || !e.roomForStep(ctx)) {
			// Hand the branch to a fresh job so one long workflow does not hold a worker for ever, and no step
			// starts without the time to finish inside its job.
			c.jobs = append(c.jobs, args.BranchID)
			last = true
		}
		if last {
			c.job = job
		}
		err = e.submit(ctx, c)
		switch {
		case errors.Is(err, errConflict):
			e.log.Debug("concurrent change; reloading", "execution_id", args.ExecutionID, "step_id", pos.step)
			ex, owned, lost = nil, &pos, &sr
			continue
		case err != nil && len(c.effects) > 0 && !store.IsInfrastructure(err) && (store.IsConstraintViolation(err) || workflow.IsPermanent(err)):
			e.log.Warn("the database refused a step's writes; failing the step", "execution_id", args.ExecutionID, "step_id", pos.step, "error", err)
			ex, owned, refused = nil, &pos, err
			continue
		case err != nil:
			return err
		}
		e.logTransition(ex, tr)
		if last {
			return nil
		}
		owned = nil
	}
}

func (e *Engine) logTransition(ex *loaded, tr Transition) {
	if e.log.Enabled(context.Background(), slog.LevelDebug) {
		e.logSteps(ex, tr)
	}
	switch ex.run.Status {
	case workflow.StatusFailed:
		e.log.Info("execution failed", "execution_id", ex.row.ID, "workflow_id", ex.row.WorkflowID,
			"step_id", ex.run.FailedStep, "error", ex.run.Error)
	case workflow.StatusCompleted, workflow.StatusCancelled:
		e.log.Debug("execution "+string(ex.run.Status), "execution_id", ex.row.ID, "workflow_id", ex.row.WorkflowID)
	}
}

// logSteps writes each log entry as a debug line; building them costs, so only when debug is on.
func (e *Engine) logSteps(ex *loaded, tr Transition) {
	for _, le := range tr.Log {
		e.log.Debug("step "+string(le.Action), "execution_id", ex.row.ID, "workflow_id", ex.row.WorkflowID,
			"step_id", le.StepID, "message", le.Message)
	}
}
