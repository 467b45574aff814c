package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// OutcomeKind is what running a step produced.
type OutcomeKind int

// Outcome kinds.
const (
	Completed OutcomeKind = iota // the step is done; move on
	Waiting                      // the step waits (delay until WakeAt, a human task, or a CRM to-do)
	Forked                       // a parallel step started its branches
	Failed                       // the step failed with Err
)

// Outcome is the result of running one step of a branch: the shell computes it, the core applies it.
type Outcome struct {
	Kind OutcomeKind
	// Completed
	Output any
	Vars   map[string]any
	Next   []string // successors chosen by the step (a condition's branch); nil means the step's nextSteps
	// Waiting
	Wait   WaitKind
	WakeAt time.Time
	TaskID string
	TodoID string
	// Failed
	Err error
	// Infrastructure says Err came from the database not answering (store.IsInfrastructure), not from the
	// step: the core then tries the step again, whatever its onError says.
	Infrastructure bool
	// Every kind
	Message   string
	Data      any
	StartedAt time.Time
}

// Transition is what the core decided: the log to append and which branches need a worker.
type Transition struct {
	Log []workflow.LogEntry
	// Ready lists branches that became ready and need a job, other than Continue.
	Ready []int
	// Continue is the branch that was advanced, when it is ready again and the same worker may run it on.
	Continue int
	// CancelTasks asks the shell to cancel every open task of the execution; ReopenTasks to reopen these.
	CancelTasks bool
	ReopenTasks []string
	// CheckTodos are CRM to-dos a branch waits for again (a retried run): the shell looks whether each was
	// done or deleted while the run stood still, as the CRM's event of it found the branch halted.
	CheckTodos []string
}

// ErrNotReady means the branch is not in a state where the requested move applies (another worker moved it,
// or the execution finished); the caller should drop its work.
var ErrNotReady = errors.New("the branch is not ready for this step")

// Start builds a new run at the first step of the plan.
func Start(plan *workflow.Plan, id string, vars map[string]any, now time.Time) *Run {
	r := &Run{
		ID: id, WorkflowID: plan.Def.ID, Version: plan.Def.Version,
		Status: workflow.StatusRunning, Variables: vars, Outputs: map[string]any{},
		StartedAt: now, CurrentStep: plan.Entry,
	}
	if r.Variables == nil {
		r.Variables = map[string]any{} // Advance merges into it; a nil map would panic
	}
	r.State.Branches = []Branch{{
		ID: r.State.newID(), Step: plan.Entry, State: BranchReady, Phase: PhaseEnter,
		Attempt: 1, Activation: r.State.activate(), EnteredAt: now,
	}}
	return r
}

// Advance applies the outcome of running the step of a ready branch.
func Advance(plan *workflow.Plan, r *Run, branchID int, o Outcome, now time.Time) (Transition, error) {
	b := r.State.Branch(branchID)
	if b == nil || b.State != BranchReady || !r.Status.Active() {
		return Transition{}, ErrNotReady
	}
	step := plan.Step(b.Step)
	if step == nil {
		return Transition{}, fmt.Errorf("execution %s: step %q is not in version %d", r.ID, b.Step, r.Version)
	}
	c := &change{plan: plan, r: r, now: now}
	note := b.Note
	if b.Phase == PhaseEnter && o.Kind != Waiting && o.Kind != Forked {
		c.log(orNow(o.StartedAt, now), step, workflow.LogStarted, startMessage(b), nil)
		note = "" // the note goes to the next log message only: the "started" entry carried it
	}
	b.Note = ""
	r.CurrentStep = step.ID
	// An action's time is its attempt's; a delay's or a task's is the whole wait since the step began.
	since := orNow(o.StartedAt, now)
	if b.Phase == PhaseResume {
		since = b.EnteredAt
	}
	switch o.Kind {
	case Completed:
		for k, v := range o.Vars {
			r.Variables[k] = v
		}
		if o.Output != nil {
			r.Outputs[step.ID] = o.Output
		}
		c.logEnd(step, workflow.LogCompleted, withNote(o.Message, note), o.Data, since, "")
		next := o.Next
		if next == nil {
			next = step.Next
		}
		c.moveOn(b.ID, next)
	case Waiting:
		b.State, b.Wait, b.Phase, b.TaskID, b.TodoID = BranchWaiting, o.Wait, PhaseResume, o.TaskID, o.TodoID
		if !o.Wait.OnPeople() {
			at := o.WakeAt
			b.WakeAt = &at
		}
		// A wait's "started" entry says what it waits for; "completed" follows when it resumes.
		c.log(orNow(o.StartedAt, now), step, workflow.LogStarted, withNote(o.Message, note), o.Data)
	case Forked:
		c.log(now, step, workflow.LogStarted, withNote(o.Message, note), o.Data)
		f := Frame{ID: r.State.newID(), Step: step.ID, Parent: b.Frame, Activation: b.Activation, StartedAt: since}
		r.State.Frames = append(r.State.Frames, f)
		b.Frame = f.ID
		c.moveOn(b.ID, step.Parallel)
	case Failed:
		if o.Infrastructure && InfraRetryAllowed(b.InfraRetries+1) {
			c.retryInfrastructure(b, step, o, since)
			break
		}
		if o.Infrastructure {
			o.Err = fmt.Errorf("the database did not answer through %d tries over %s: %w", b.InfraRetries+1, words.Exact(InfraRetryFor), o.Err)
		}
		c.fail(b, step, o, since)
	}
	c.settle()
	return c.tr, nil
}

// change accumulates one transition.
type change struct {
	plan *workflow.Plan
	r    *Run
	now  time.Time
	tr   Transition
}

func (c *change) log(at time.Time, step *workflow.PlanStep, action workflow.LogAction, msg string, data any) {
	c.tr.Log = append(c.tr.Log, workflow.LogEntry{Timestamp: at, StepID: step.ID, StepName: step.Name, Action: action, Message: msg, Data: data})
}

// logEnd logs how a step ended, with how long it took since since and, for failures and skips, why.
func (c *change) logEnd(step *workflow.PlanStep, action workflow.LogAction, msg string, data any, since time.Time, reason string) {
	c.log(c.now, step, action, msg, data)
	e := &c.tr.Log[len(c.tr.Log)-1]
	if !since.IsZero() {
		ms := c.now.Sub(since).Milliseconds()
		e.DurationMs = &ms
	}
	e.Reason = reason
}

// moveOn sends a branch to its successors: the first one on the same branch, the others on new branches in the
// same frame. No successors ends the branch.
func (c *change) moveOn(branchID int, next []string) {
	b := c.r.State.Branch(branchID)
	if len(next) == 0 {
		c.end(branchID)
		return
	}
	frame := b.Frame
	c.enter(b, next[0])
	c.tr.Continue = b.ID
	for _, id := range next[1:] {
		nb := Branch{ID: c.r.State.newID(), Frame: frame}
		c.enter(&nb, id)
		c.r.State.Branches = append(c.r.State.Branches, nb)
		c.tr.Ready = append(c.tr.Ready, nb.ID)
	}
}

func (c *change) enter(b *Branch, step string) {
	b.Step, b.State, b.Phase, b.Wait, b.WakeAt, b.TaskID, b.TodoID = step, BranchReady, PhaseEnter, "", nil, "", ""
	b.Attempt, b.Activation, b.EnteredAt, b.InfraRetries = 1, c.r.State.activate(), c.now, 0
}

// end finishes a branch. When it was the last one of a parallel step, the parallel step completes and its
// nextSteps run on this branch in the enclosing frame (the join happens exactly once: the frame is removed).
func (c *change) end(branchID int) {
	b := c.r.State.Branch(branchID)
	frameID := b.Frame
	if c.tr.Continue == branchID {
		c.tr.Continue = 0
	}
	b.State = ""
	if frameID == 0 || c.r.State.frameBusy(frameID) {
		c.r.State.removeBranch(branchID)
		return
	}
	f := *c.r.State.frame(frameID)
	c.r.State.Frames = removeFrame(c.r.State.Frames, frameID)
	pstep := c.plan.Step(f.Step)
	c.logEnd(pstep, workflow.LogCompleted, fmt.Sprintf("All %d branches finished", len(pstep.Parallel)), nil, f.StartedAt, "")
	b.Frame = f.Parent
	c.moveOn(branchID, pstep.Next)
}

func removeFrame(fs []Frame, id int) []Frame {
	out := fs[:0]
	for _, f := range fs {
		if f.ID != id {
			out = append(out, f)
		}
	}
	return out
}

func (c *change) fail(b *Branch, step *workflow.PlanStep, o Outcome, since time.Time) {
	msg := o.Err.Error()
	permanent := workflow.IsPermanent(o.Err)
	class := workflow.ErrorClass(o.Err)
	switch {
	case step.OnError == workflow.OnErrorRetry && b.Attempt <= step.RetryCount && !permanent:
		wait := step.RetryDelayFor(b.Attempt + 1)
		at := c.now.Add(wait)
		c.logEnd(step, workflow.LogFailed, fmt.Sprintf("Attempt %d of %d failed: %s. Retrying in %s.",
			b.Attempt, step.RetryCount+1, msg, words.Exact(wait)), errorData(o), since, class)
		b.State, b.Wait, b.WakeAt, b.Phase = BranchWaiting, WaitRetry, &at, PhaseEnter
		b.Attempt++
		b.InfraRetries = 0 // a new attempt of the step's own gets the whole patience with the database again
	case step.OnError == workflow.OnErrorContinue:
		c.logEnd(step, workflow.LogSkipped, fmt.Sprintf("Failed: %s. Continuing, as this step is set to do.", msg), errorData(o), since, class)
		c.r.Outputs[step.ID] = map[string]any{"error": msg, "skipped": true}
		c.moveOn(b.ID, step.Next)
	default:
		reason := msg
		if step.OnError == workflow.OnErrorRetry && permanent {
			reason += " (not retried: retrying cannot fix this)"
		} else if step.OnError == workflow.OnErrorRetry {
			reason += fmt.Sprintf(" (after %d attempts)", b.Attempt)
		}
		c.logEnd(step, workflow.LogFailed, reason, errorData(o), since, class)
		b.State = BranchFailed
		c.r.Error = fmt.Sprintf("Step %q (%s) failed: %s", step.Name, step.ID, reason)
		c.r.FailedStep = step.ID
		for i := range c.r.State.Branches {
			if o := &c.r.State.Branches[i]; o.ID != b.ID && o.Live() {
				o.State = BranchHalted
				c.logEnd(c.plan.Step(o.Step), workflow.LogSkipped, "Stopped because step "+step.ID+" failed", nil, time.Time{}, ReasonHalted)
			}
		}
		c.tr.CancelTasks = true
		c.tr.Continue = 0
		c.tr.Ready = nil
	}
}

// Infrastructure retries: when a step fails because the database did not answer, the step is not at fault,
// so neither its onError nor its retryCount applies. The branch waits with the durable retry timer (it
// survives a restart) and the step runs again at the same activation — same idempotency key, so no mail or
// API call is doubled — after waits of 1s doubling to a minute, for up to an hour of waiting in all; after
// that the failure is the step's, and its error handling decides.
const (
	infraFirstWait = time.Second
	infraMaxWait   = time.Minute
	// InfraRetryFor is how long, in waits added up, a step keeps being retried for the database.
	InfraRetryFor = time.Hour
)

// InfraRetryWait is the wait before infrastructure retry n (1, 2, …).
func InfraRetryWait(n int) time.Duration {
	wait := infraFirstWait
	for i := 1; i < n && wait < infraMaxWait; i++ {
		wait *= 2
	}
	return min(wait, infraMaxWait)
}

// InfraRetryAllowed reports whether infrastructure retry n still fits: the waits before it add up to less
// than InfraRetryFor.
func InfraRetryAllowed(n int) bool {
	var waited time.Duration
	for i := 1; i < n; i++ {
		if waited += InfraRetryWait(i); waited >= InfraRetryFor {
			return false
		}
	}
	return true
}

// retryInfrastructure logs an attempt the database cut short and sends the branch to wait for its retry. The
// attempt number stays: the step's own attempts are about its own failures.
func (c *change) retryInfrastructure(b *Branch, step *workflow.PlanStep, o Outcome, since time.Time) {
	b.InfraRetries++
	wait := InfraRetryWait(b.InfraRetries)
	at := c.now.Add(wait)
	msg := o.Err.Error()
	c.logEnd(step, workflow.LogFailed, fmt.Sprintf("The database did not answer (%s); trying the step again in %s — "+
		"an infrastructure retry, not the step's failure", msg, words.Exact(wait)),
		map[string]any{"error": msg, "class": workflow.ClassInfrastructure, "infrastructureRetry": b.InfraRetries},
		since, workflow.ClassInfrastructure)
	b.State, b.Wait, b.WakeAt, b.Phase = BranchWaiting, WaitRetry, &at, PhaseEnter
	b.Note = "trying again: the database did not answer"
}

func errorData(o Outcome) any {
	if o.Data != nil {
		return o.Data
	}
	return map[string]any{"error": o.Err.Error(), "class": workflow.ErrorClass(o.Err)}
}

// settle sets the execution's status from its branches.
func (c *change) settle() {
	r := c.r
	if r.FailedStep != "" {
		c.setStatus(workflow.StatusFailed)
		return
	}
	live, onPeople := 0, 0
	for i := range r.State.Branches {
		b := &r.State.Branches[i]
		if b.Live() {
			live++
			if b.State == BranchWaiting && b.Wait.OnPeople() {
				onPeople++
			}
		}
	}
	switch {
	case live == 0:
		c.setStatus(workflow.StatusCompleted)
	case live == onPeople:
		c.setStatus(workflow.StatusPaused)
	default:
		c.setStatus(workflow.StatusRunning)
	}
}

func (c *change) setStatus(s workflow.ExecutionStatus) {
	next, err := workflow.Transition(c.r.Status, s)
	if err != nil {
		panic(fmt.Sprintf("engine core: %v", err)) // a bug in the core, never user input
	}
	c.r.Status = next
	if next.Finished() && c.r.CompletedAt == nil {
		t := c.now
		c.r.CompletedAt = &t
	}
}

func startMessage(b *Branch) string {
	msg := "Step started"
	if b.Attempt > 1 {
		msg = fmt.Sprintf("Attempt %d started", b.Attempt)
	}
	if b.Note != "" {
		msg += " (" + b.Note + ")"
	}
	return msg
}

func withNote(msg, note string) string {
	if note == "" {
		return msg
	}
	if msg == "" {
		return note
	}
	return msg + " (" + note + ")"
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}
