package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Reasons of skipped steps that did not fail themselves.
const (
	ReasonCancelled = "cancelled" // the execution was cancelled
	ReasonHalted    = "halted"    // another branch failed the execution
)

// Errors an operator's request can get; the API maps them to 409 with the message.
var (
	ErrFinished      = errors.New("the execution has already finished")
	ErrNotFailed     = errors.New("only a failed execution can be retried")
	ErrNothingToWake = errors.New("the execution is not waiting for a delay or a retry")
	ErrTaskClosed    = errors.New("the task is no longer open")
)

// Cancel stops an active execution: every branch ends and open tasks are cancelled.
func Cancel(plan *workflow.Plan, r *Run, by string, now time.Time) (Transition, error) {
	if !r.Status.Active() {
		return Transition{}, fmt.Errorf("cancel execution %s: %w", r.ID, ErrFinished)
	}
	c := &change{plan: plan, r: r, now: now}
	for i := range r.State.Branches {
		b := &r.State.Branches[i]
		if b.Live() {
			c.logEnd(plan.Step(b.Step), workflow.LogSkipped, "Cancelled by "+by, nil, time.Time{}, ReasonCancelled)
		}
	}
	r.State.Branches, r.State.Frames = nil, nil
	c.setStatus(workflow.StatusCancelled)
	c.tr.CancelTasks = true
	return c.tr, nil
}

// Wake ends the timed waits (delays and retry backoffs) of an execution now.
func Wake(plan *workflow.Plan, r *Run, by string, now time.Time) (Transition, error) {
	if !r.Status.Active() {
		return Transition{}, fmt.Errorf("wake execution %s: %w", r.ID, ErrFinished)
	}
	tr := wakeDue(r, func(b *Branch) bool { return true }, "woken early by "+by)
	if len(tr.Ready) == 0 {
		return Transition{}, fmt.Errorf("wake execution %s: %w", r.ID, ErrNothingToWake)
	}
	c := &change{plan: plan, r: r, now: now, tr: tr}
	c.settle()
	return c.tr, nil
}

// FireTimers makes every branch whose wait is over ready. It returns no branches when none is due.
func FireTimers(plan *workflow.Plan, r *Run, now time.Time) Transition {
	if !r.Status.Active() {
		return Transition{}
	}
	tr := wakeDue(r, func(b *Branch) bool { return !b.WakeAt.After(now) }, "")
	if len(tr.Ready) > 0 {
		c := &change{plan: plan, r: r, now: now, tr: tr}
		c.settle()
		tr = c.tr
	}
	return tr
}

func wakeDue(r *Run, due func(*Branch) bool, note string) Transition {
	var tr Transition
	for i := range r.State.Branches {
		b := &r.State.Branches[i]
		if b.State != BranchWaiting || b.WakeAt == nil || !due(b) {
			continue
		}
		b.State, b.WakeAt = BranchReady, nil
		if b.Wait == WaitRetry {
			b.Phase = PhaseEnter
		}
		b.Wait = ""
		if note != "" {
			b.Note = note
		}
		tr.Ready = append(tr.Ready, b.ID)
	}
	return tr
}

// Retry restarts a failed execution at its failed step on the same version; branches stopped by the failure
// resume where they were and their tasks reopen.
func Retry(plan *workflow.Plan, r *Run, by string, now time.Time) (Transition, error) {
	if r.Status != workflow.StatusFailed || r.FailedStep == "" {
		return Transition{}, fmt.Errorf("retry execution %s: %w", r.ID, ErrNotFailed)
	}
	c := &change{plan: plan, r: r, now: now}
	for i := range r.State.Branches {
		b := &r.State.Branches[i]
		switch b.State {
		case BranchFailed:
			b.State, b.Phase, b.Attempt, b.Wait, b.WakeAt, b.InfraRetries = BranchReady, PhaseEnter, 1, "", nil, 0
			b.Note = "retry requested by " + by
			c.tr.Ready = append(c.tr.Ready, b.ID)
		case BranchHalted:
			if b.Wait == "" {
				b.State = BranchReady
				c.tr.Ready = append(c.tr.Ready, b.ID)
				continue
			}
			b.State = BranchWaiting
			if b.Wait == WaitTask {
				c.tr.ReopenTasks = append(c.tr.ReopenTasks, b.TaskID)
			}
		}
	}
	r.Error, r.FailedStep, r.CompletedAt = "", "", nil
	c.settle()
	return c.tr, nil
}

// CompleteTask resumes the branch waiting on a human task with the submitted (already checked) values.
func CompleteTask(plan *workflow.Plan, r *Run, taskID string, values map[string]any, by string, now time.Time) (Transition, error) {
	var b *Branch
	for i := range r.State.Branches {
		if r.State.Branches[i].TaskID == taskID && r.State.Branches[i].State == BranchWaiting {
			b = &r.State.Branches[i]
		}
	}
	if b == nil || !r.Status.Active() {
		return Transition{}, fmt.Errorf("complete task %s: %w", taskID, ErrTaskClosed)
	}
	b.State, b.Wait = BranchReady, ""
	tr, err := Advance(plan, r, b.ID, Outcome{
		Kind: Completed, Vars: values, Output: values,
		Message: "Completed by " + by, Data: map[string]any{"completedBy": by, "values": values},
	}, now)
	if err != nil {
		return Transition{}, err
	}
	if tr.Continue != 0 {
		tr.Ready = append(tr.Ready, tr.Continue)
		tr.Continue = 0
	}
	return tr, nil
}
