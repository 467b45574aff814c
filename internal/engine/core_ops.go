package engine

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Reasons of skipped steps that did not fail themselves.
const (
	ReasonCancelled = "cancelled" // the execution was cancelled
	ReasonHalted    = "halted"    // another branch failed the execution
	// ReasonSkippedByPerson: a manager skipped the step after it failed.
	ReasonSkippedByPerson = "skipped by a person"
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
		if b := &r.State.Branches[i]; b.State == BranchFailed {
			b.State, b.Phase, b.Attempt, b.Wait, b.WakeAt, b.InfraRetries = BranchReady, PhaseEnter, 1, "", nil, 0
			b.Note = "retry requested by " + by
			c.tr.Ready = append(c.tr.Ready, b.ID)
		}
	}
	c.resumeHalted()
	return c.tr, nil
}

// resumeHalted lets the branches the failure stopped go on where they were (their tasks reopen, their to-dos
// are looked at again), clears the failure and settles the status: the end of every way out of a failure.
func (c *change) resumeHalted() {
	r := c.r
	for i := range r.State.Branches {
		b := &r.State.Branches[i]
		if b.State != BranchHalted {
			continue
		}
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
	r.Error, r.FailedStep, r.CompletedAt = "", "", nil
	c.settle()
}

// failedBranch is the one branch of a failed run that failed.
func failedBranch(r *Run) *Branch {
	for i := range r.State.Branches {
		if r.State.Branches[i].State == BranchFailed {
			return &r.State.Branches[i]
		}
	}
	return nil
}

// RetryFrom restarts a failed execution at from, a step before the failed one on its path: the steps from
// there on run again, as new activations (so an action that ran before runs again, not replayed). It works
// when the run stopped outside a parallel step and from leads to the failed step; otherwise the error says
// why in words for the manager.
func RetryFrom(plan *workflow.Plan, r *Run, from, by string, now time.Time) (Transition, error) {
	if r.Status != workflow.StatusFailed || r.FailedStep == "" {
		return Transition{}, fmt.Errorf("retry execution %s: %w", r.ID, ErrNotFailed)
	}
	b := failedBranch(r)
	if b == nil {
		return Transition{}, fmt.Errorf("retry execution %s: %w", r.ID, ErrNotFailed)
	}
	if from == b.Step {
		return Retry(plan, r, by, now)
	}
	step := plan.Step(from)
	if step == nil {
		return Transition{}, &OpError{Field: "fromStep", Message: fmt.Sprintf("the workflow's version %d has no step %q", plan.Def.Version, from)}
	}
	if b.Frame != 0 || len(r.State.Frames) > 0 || len(r.State.Branches) > 1 {
		return Transition{}, &OpError{Field: "fromStep", Message: fmt.Sprintf("the run stopped inside a parallel step, so it can be retried only from its failed step %q", stepName(plan, b.Step))}
	}
	if !LeadsTo(plan, from, b.Step) {
		return Transition{}, &OpError{Field: "fromStep", Message: fmt.Sprintf("%q does not come before the failed step %q on the run's path; pick a step the run went through", step.Name, stepName(plan, b.Step))}
	}
	c := &change{plan: plan, r: r, now: now}
	c.enter(b, from)
	b.Note = "retry from this step requested by " + by
	c.tr.Ready = append(c.tr.Ready, b.ID)
	r.CurrentStep = from
	c.resumeHalted()
	return c.tr, nil
}

// Skip passes over the failed step of a failed execution as if it had done nothing: it is logged skipped,
// its output says so, and the run goes on with the steps after it. A condition cannot be skipped: it decides
// which way the run goes.
func Skip(plan *workflow.Plan, r *Run, stepID, by string, now time.Time) (Transition, error) {
	if r.Status != workflow.StatusFailed || r.FailedStep == "" {
		return Transition{}, fmt.Errorf("skip a step of execution %s: %w", r.ID, ErrNotFailed)
	}
	var b *Branch
	for i := range r.State.Branches {
		if x := &r.State.Branches[i]; x.State == BranchFailed && x.Step == stepID {
			b = x
		}
	}
	if b == nil {
		return Transition{}, &OpError{Field: "step", Message: fmt.Sprintf("%q is not the step the run failed at (%q); only a failed step can be skipped", stepName(plan, stepID), stepName(plan, r.FailedStep))}
	}
	step := plan.Step(stepID)
	if step.Type == workflow.StepCondition {
		return Transition{}, &OpError{Field: "step", Message: fmt.Sprintf("%q is a condition: it decides which way the run goes, so it cannot be skipped; fix the run's data and retry it", step.Name)}
	}
	c := &change{plan: plan, r: r, now: now}
	c.logEnd(step, workflow.LogSkipped, "Skipped by "+by+" after it failed", map[string]any{"skippedBy": by}, time.Time{}, ReasonSkippedByPerson)
	r.Outputs[step.ID] = map[string]any{"skipped": true, "skippedBy": by}
	c.moveOn(b.ID, step.Next)
	if c.tr.Continue != 0 {
		c.tr.Ready = append(c.tr.Ready, c.tr.Continue)
		c.tr.Continue = 0
	}
	c.resumeHalted()
	return c.tr, nil
}

// LeadsTo says whether the plan goes from step from to step to by nextSteps and a condition's branches.
func LeadsTo(plan *workflow.Plan, from, to string) bool {
	seen := map[string]bool{}
	next := []string{from}
	for len(next) > 0 {
		id := next[0]
		next = next[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		s := plan.Step(id)
		if s == nil {
			continue
		}
		succ := slices.Concat(s.Next, s.Parallel)
		if s.Condition != nil {
			succ = slices.Concat(succ, s.Condition.TrueSteps, s.Condition.FalseSteps)
		}
		for _, n := range succ {
			if n == to {
				return true
			}
			next = append(next, n)
		}
	}
	return false
}

func stepName(plan *workflow.Plan, id string) string {
	if s := plan.Step(id); s != nil && s.Name != "" {
		return s.Name
	}
	return id
}

// EditVariables sets variables of a run that is failed or waiting (no step of it ready to run), with values
// already checked against the declarations. It returns the values before and after, by name; nothing is
// logged in the seed's log (a change is not a step): the shell records the change beside it.
func EditVariables(r *Run, values map[string]any) (before, after map[string]any, err error) {
	if !Editable(r) {
		return nil, nil, &OpError{Field: "variables", Message: "the run is running a step now; its data can be edited once it fails or waits"}
	}
	before, after = map[string]any{}, map[string]any{}
	for name, v := range values {
		before[name] = r.Variables[name]
		after[name] = v
		r.Variables[name] = v
	}
	return before, after, nil
}

// Editable says whether a run's data may be edited now: it failed, or every live branch waits.
func Editable(r *Run) bool {
	switch r.Status {
	case workflow.StatusFailed:
		return true
	case workflow.StatusPaused, workflow.StatusRunning:
		for i := range r.State.Branches {
			if r.State.Branches[i].State == BranchReady {
				return false
			}
		}
		return true
	}
	return false
}

// OpError is an operator's request that does not fit the run: Field names the part of the request.
type OpError struct {
	Field, Message string
}

func (e *OpError) Error() string { return e.Message }

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
