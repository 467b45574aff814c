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
	ErrNotWaitingFor = errors.New("no step of the execution waits for this to-do")
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
			switch b.Wait {
			case WaitTask:
				c.tr.ReopenTasks = append(c.tr.ReopenTasks, b.TaskID)
			case WaitTodo:
				c.tr.CheckTodos = append(c.tr.CheckTodos, b.TodoID)
			}
		}
	}
	r.Error, r.FailedStep, r.CompletedAt = "", "", nil
	c.settle()
	return c.tr, nil
}

// CompleteTask resumes the branch waiting on a human task with the submitted (already checked) values.
func CompleteTask(plan *workflow.Plan, r *Run, taskID string, values map[string]any, by string, now time.Time) (Transition, error) {
	b := waitingOn(r, WaitTask, taskID)
	if b == nil {
		return Transition{}, fmt.Errorf("complete task %s: %w", taskID, ErrTaskClosed)
	}
	return resume(plan, r, b, Outcome{
		Kind: Completed, Vars: values, Output: values,
		Message: "Completed by " + by, Data: map[string]any{"completedBy": by, "values": values},
	}, now)
}

// ResolveTodo ends the wait of the branch whose step waits for the CRM to-do todoID: o is Completed (the
// to-do was done; its Output becomes the step's output) or Failed (the to-do was deleted first; the step's
// onError decides what follows, and a retry makes the to-do again).
func ResolveTodo(plan *workflow.Plan, r *Run, todoID string, o Outcome, now time.Time) (Transition, error) {
	b := waitingOn(r, WaitTodo, todoID)
	if b == nil {
		return Transition{}, fmt.Errorf("to-do %s: %w", todoID, ErrNotWaitingFor)
	}
	return resume(plan, r, b, o, now)
}

// waitingOn is the branch of an active run waiting for the task or to-do id, or nil.
func waitingOn(r *Run, kind WaitKind, id string) *Branch {
	if !r.Status.Active() || id == "" {
		return nil
	}
	for i := range r.State.Branches {
		b := &r.State.Branches[i]
		waitsFor := b.TaskID
		if kind == WaitTodo {
			waitsFor = b.TodoID
		}
		if b.State == BranchWaiting && b.Wait == kind && waitsFor == id {
			return b
		}
	}
	return nil
}

// resume applies the outcome of a person's wait to its branch. The branch is announced in Ready, never as
// Continue: no worker is running it.
func resume(plan *workflow.Plan, r *Run, b *Branch, o Outcome, now time.Time) (Transition, error) {
	b.State, b.Wait = BranchReady, ""
	tr, err := Advance(plan, r, b.ID, o, now)
	if err != nil {
		return Transition{}, err
	}
	if tr.Continue != 0 {
		tr.Ready = append(tr.Ready, tr.Continue)
		tr.Continue = 0
	}
	return tr, nil
}
