package engine

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// MaxReplaySteps bounds one replayed run: a draft whose steps loop without end stops there, as a failure.
const MaxReplaySteps = 500

// ReplayInput is a run of the past to play again in memory: what it started with and how its human tasks
// were answered then.
type ReplayInput struct {
	RunID     string
	Variables map[string]any // the variables it started with (the trigger's payload and record)
	StartedAt time.Time
	StartedBy string
	// Answers are the human tasks' answers by step id, as they were given in that run; a task with none
	// would wait. AnsweredAfter is how long each took to be answered then.
	Answers       map[string]map[string]any
	AnsweredAfter map[string]time.Duration
	// StepTime is how long a step usually takes (the step figures), for the expected duration.
	StepTime map[string]time.Duration
}

// ReplayResult is where a replayed run went and what it would have done; nothing of it was done.
type ReplayResult struct {
	// Path is the steps in the order they began (a step visited twice shows twice).
	Path []string
	// Status is completed, failed, or paused: it would wait in a human task nobody answered then.
	Status     workflow.ExecutionStatus
	FailedStep string
	Error      string
	// WaitsAt are the human tasks it would wait in, unanswered.
	WaitsAt []string
	// Produced counts, by step id, what the steps would have made: mails, tasks, CRM records, API calls.
	Produced map[string]*Produced
	// Duration is the expected time from start to end: delays as configured, tasks as long as they took
	// then, other steps as long as they usually take.
	Duration time.Duration
}

// Produced is what one step would have made in a replay.
type Produced struct {
	Runs    int `json:"runs"`
	Mails   int `json:"mails"`
	Tasks   int `json:"tasks"`
	Records int `json:"records"`
	Calls   int `json:"calls"`
}

// Replay plays a run through plan in memory with the engine's own core and every side effect stubbed:
// actions run as in a test run (a mail, a CRM write or an API call is described, not made) and their
// effects are dropped, delays pass at once on a clock of the replay's own, and human tasks take the
// answers they were given then. Nothing is written, sent or called; reads (a template, a record) happen.
func (e *Engine) Replay(ctx context.Context, plan *workflow.Plan, in ReplayInput) ReplayResult {
	now := in.StartedAt
	vars := maps.Clone(in.Variables)
	if checked, ferrs := workflow.CheckVariables(plan.Def, vars); len(ferrs) == 0 {
		vars = checked
	}
	r := Start(plan, in.RunID, vars, now)
	r.Test, r.StartedBy = true, in.StartedBy
	res := ReplayResult{Produced: map[string]*Produced{}}
	produced := func(id string) *Produced {
		p := res.Produced[id]
		if p == nil {
			p = &Produced{}
			res.Produced[id] = p
		}
		return p
	}
	for steps := 0; r.Status.Active(); steps++ {
		if ctx.Err() != nil || steps >= MaxReplaySteps {
			res.Status, res.Error = workflow.StatusFailed, fmt.Sprintf("stopped after %d steps: the steps go round in a loop", MaxReplaySteps)
			if ctx.Err() != nil {
				res.Error = "the replay was stopped: " + ctx.Err().Error()
			}
			res.FailedStep = r.CurrentStep
			break
		}
		b := nextReady(r)
		if b == nil {
			// Nothing can run now: wake the earliest timed wait, as time passing would, or stop at the tasks.
			at := r.State.WaitingUntil()
			if at == nil {
				break
			}
			now = *at
			FireTimers(plan, r, now)
			continue
		}
		step := plan.Step(b.Step)
		if b.Phase == PhaseEnter && b.Attempt == 1 {
			res.Path = append(res.Path, b.Step)
			if step != nil {
				produced(step.ID).Runs++
			}
		}
		o, took, ok := e.replayStep(ctx, plan, step, r, b, in, now)
		if !ok {
			res.WaitsAt = append(res.WaitsAt, b.Step)
			produced(b.Step).Tasks++
			b.State, b.Wait, b.Phase = BranchWaiting, WaitTask, PhaseResume
			continue
		}
		if o.Kind == Completed && step != nil {
			count(produced(step.ID), step, b.Phase)
		}
		now = now.Add(took)
		if _, err := Advance(plan, r, b.ID, o, now); err != nil {
			res.Status, res.Error, res.FailedStep = workflow.StatusFailed, err.Error(), b.Step
			return res
		}
	}
	if res.Status == "" {
		res.Status = r.Status
		if r.Status.Active() {
			res.Status = workflow.StatusPaused
		}
		res.FailedStep, res.Error = r.FailedStep, r.Error
	}
	res.Duration = now.Sub(in.StartedAt)
	return res
}

// nextReady is the ready branch with the lowest id, so a replay takes the same turns every time.
func nextReady(r *Run) *Branch {
	var next *Branch
	for i := range r.State.Branches {
		b := &r.State.Branches[i]
		if b.State == BranchReady && (next == nil || b.ID < next.ID) {
			next = b
		}
	}
	return next
}

// replayStep runs a step as a test run would, except that a human task takes its answers of then, and says
// how long the step takes on the replay's clock; ok is false for a task nobody answered then, which would
// wait. A delay's time passes when its timer fires, so it takes none here.
func (e *Engine) replayStep(ctx context.Context, plan *workflow.Plan, step *workflow.PlanStep, r *Run, b *Branch, in ReplayInput, now time.Time) (o Outcome, took time.Duration, ok bool) {
	if step != nil && step.Type == workflow.StepHumanTask && b.Phase == PhaseEnter {
		answers, answered := in.Answers[step.ID]
		if !answered {
			return Outcome{}, 0, false
		}
		return Outcome{Kind: Completed, Vars: maps.Clone(answers), Output: answers, StartedAt: now,
			Message: "Answered as it was then", Data: map[string]any{"values": answers}}, in.AnsweredAfter[step.ID], true
	}
	sr := e.runStepType(ctx, plan, step, r, b, now)
	sr.outcome.StartedAt = now
	if step != nil && b.Phase == PhaseEnter && step.Type != workflow.StepDelay {
		took = in.StepTime[step.ID]
	}
	return sr.outcome, took, true
}

// count adds what a completed step would have made.
func count(p *Produced, step *workflow.PlanStep, phase Phase) {
	switch step.Type {
	case workflow.StepHumanTask:
		p.Tasks++
		return
	case workflow.StepAction:
	default:
		return
	}
	if phase != PhaseEnter || step.Action == nil {
		return
	}
	switch step.Action.Name {
	case "send_email":
		p.Mails++
	case "create_task":
		p.Tasks++
	case "create_record", "update_record":
		p.Records++
	case "call_api":
		p.Calls++
	}
}
