package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// stepRun is the imperative part of a step: it evaluates, calls the action, and says what happened. The
// effects are written by the commit that records the outcome.
type stepRun struct {
	outcome Outcome
	effects []store.Effect
}

// exprVars is what expressions see: the variables, and step outputs under "steps".
func exprVars(r *Run) map[string]any {
	env := maps.Clone(r.Variables)
	if env == nil {
		env = map[string]any{}
	}
	env["steps"] = r.Outputs
	return env
}

func (e *Engine) runStep(ctx context.Context, plan *workflow.Plan, r *Run, b *Branch) stepRun {
	started := e.clock.Now()
	step := plan.Step(b.Step)
	sr := e.runStepType(ctx, plan, step, r, b, started)
	sr.outcome.StartedAt = started
	if sr.outcome.Kind == Failed && store.IsInfrastructure(sr.outcome.Err) {
		// However the action classified it, a database that did not answer is not the step's failure.
		sr.outcome.Infrastructure = true
		e.log.Warn("the database did not answer during a step; it will be tried again (an infrastructure retry)",
			"execution_id", r.ID, "workflow_id", r.WorkflowID, "step_id", b.Step, "error", sr.outcome.Err)
	}
	return sr
}

func failed(err error) stepRun { return stepRun{outcome: Outcome{Kind: Failed, Err: err}} }

func (e *Engine) runStepType(ctx context.Context, plan *workflow.Plan, step *workflow.PlanStep, r *Run, b *Branch, now time.Time) stepRun {
	if step == nil {
		return failed(workflow.Permanent(workflow.ClassOther, fmt.Errorf("step %q is not in version %d of the workflow", b.Step, r.Version)))
	}
	if b.Phase == PhaseResume {
		return stepRun{outcome: Outcome{Kind: Completed, Message: "Waited until " + now.Format(time.RFC3339),
			Output: map[string]any{"resumedAt": now.Format(time.RFC3339)}}}
	}
	switch step.Type {
	case workflow.StepAction:
		return e.runAction(ctx, step, r, b, now)
	case workflow.StepCondition:
		return runCondition(ctx, step, r)
	case workflow.StepParallel:
		return stepRun{outcome: Outcome{Kind: Forked,
			Message: fmt.Sprintf("Started %d branches: %s", len(step.Parallel), strings.Join(step.Parallel, ", "))}}
	case workflow.StepDelay:
		if step.Delay.InWords() {
			return e.runDelayInWords(ctx, step.Delay, now)
		}
		return runDelay(ctx, step, r, now)
	case workflow.StepHumanTask:
		return e.runHumanTask(ctx, plan, step, r, b, now)
	}
	return failed(workflow.Permanent(workflow.ClassOther, fmt.Errorf("step %q has unknown type %q", step.ID, step.Type)))
}

func (e *Engine) runAction(ctx context.Context, step *workflow.PlanStep, r *Run, b *Branch, now time.Time) stepRun {
	a, ok := e.actions.Get(step.Action.Name)
	if !ok {
		return failed(workflow.Permanent(workflow.ClassOther, fmt.Errorf("the action %q is not available", step.Action.Name)))
	}
	vars := exprVars(r)
	var scrub *scrubber
	if len(step.Action.Secrets) > 0 {
		values, err := e.stepSecrets(ctx, step.Action.Secrets)
		if err != nil {
			return failed(err)
		}
		env := make(map[string]any, len(values))
		for k, v := range values {
			env[k] = v
		}
		vars["secrets"] = env
		scrub = newScrubber(values)
	}
	rendered, err := step.Action.Params.Render(ctx, vars)
	if err != nil {
		err = actions.ExpressionFailure(fmt.Errorf("parameters of %s: %w", step.Action.Name, err))
		if scrub != nil {
			err = scrub.err(err)
		}
		return failed(err)
	}
	params, _ := rendered.(map[string]any)
	res, err := a.Run(ctx, actions.Input{
		ExecutionID: r.ID, WorkflowID: r.WorkflowID, StepID: step.ID, Attempt: b.Attempt,
		IdempotencyKey: IdempotencyKey(r.ID, step.ID, b.Activation),
		Params:         params, Vars: r.Variables, Now: now, Test: r.Test,
	})
	if scrub != nil {
		res, err = scrub.result(res, err)
	}
	if err != nil {
		return failed(err)
	}
	if res.WaitForTodo != "" {
		// The to-do is written by this step's commit, with the wait: it cannot be done before the wait begins.
		return stepRun{
			outcome: Outcome{Kind: Waiting, Wait: WaitTodo, TodoID: res.WaitForTodo, Message: res.Message, Data: res.Output},
			effects: res.Effects,
		}
	}
	return stepRun{
		outcome: Outcome{Kind: Completed, Output: res.Output, Vars: res.Vars, Message: res.Message},
		effects: res.Effects,
	}
}

func runCondition(ctx context.Context, step *workflow.PlanStep, r *Run) stepRun {
	v, err := step.Condition.Expr.Run(ctx, exprVars(r))
	if err != nil {
		return failed(actions.ExpressionFailure(err))
	}
	result, ok := v.(bool)
	if !ok {
		return failed(workflow.Permanent(workflow.ClassExpression, fmt.Errorf("the condition gave %v, not true or false", v)))
	}
	next := step.Successors(result)
	msg := fmt.Sprintf("The condition is %t: ", result)
	if len(next) == 0 {
		msg += "no step follows on this side"
	} else {
		msg += "continuing with " + strings.Join(next, ", ")
	}
	if next == nil {
		next = []string{}
	}
	return stepRun{outcome: Outcome{Kind: Completed, Next: next, Message: msg,
		Output: map[string]any{"result": result}, Data: map[string]any{"result": result, "next": next}}}
}

func runDelay(ctx context.Context, step *workflow.PlanStep, r *Run, now time.Time) stepRun {
	wake := now.Add(step.Delay.Duration)
	if step.Delay.Until != nil {
		v, err := step.Delay.Until.Run(ctx, exprVars(r))
		if err != nil {
			return failed(actions.ExpressionFailure(err))
		}
		t, ok := v.(time.Time)
		if !ok {
			return failed(workflow.Permanent(workflow.ClassExpression, fmt.Errorf("until gave %v, not a date; use date(...)", v)))
		}
		wake = t.UTC()
	}
	if !wake.After(now) {
		return stepRun{outcome: Outcome{Kind: Completed, Message: "The date " + wake.Format(time.RFC3339) + " has passed; not waiting"}}
	}
	return stepRun{outcome: Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: wake,
		Message: fmt.Sprintf("Waiting %s, until %s", words.Exact(wake.Sub(now)), wake.Format(time.RFC3339))}}
}

// runDelayInWords places a delay written in words ("2 business days", "next business day 9:00") in the
// working calendar of its team, else the company's, from the engine's clock as the delay begins.
func (e *Engine) runDelayInWords(ctx context.Context, d *workflow.DelayPlan, now time.Time) stepRun {
	if d.Team != "" {
		if _, err := e.db.Teams().Team(ctx, d.Team); errors.Is(err, store.ErrNotFound) {
			return failed(workflow.Permanent(workflow.ClassValidation, fmt.Errorf("the delay counts in the working hours of team %q, which does not exist: add it under Settings → Teams", d.Team)))
		} else if err != nil {
			return failed(workflow.Transient(workflow.ClassOther, err))
		}
	}
	cal, err := e.calendar(ctx, d.Team, nil)
	if err != nil {
		return failed(workflow.Transient(workflow.ClassOther, err))
	}
	wake, what, err := d.WakeIn(cal, now)
	if err != nil {
		return failed(workflow.Permanent(workflow.ClassValidation, fmt.Errorf("the working calendar: %w", err)))
	}
	return stepRun{outcome: Outcome{Kind: Waiting, Wait: WaitDelay, WakeAt: wake,
		Message: fmt.Sprintf("Waiting until %s (%s)", words.On(wake, now, cal.Location()), what),
		Data:    map[string]any{"until": wake.Format(time.RFC3339), "in": what}}}
}

func (e *Engine) runHumanTask(ctx context.Context, plan *workflow.Plan, step *workflow.PlanStep, r *Run, b *Branch, now time.Time) stepRun {
	vars := exprVars(r)
	render := func(v workflow.Value) (string, error) {
		if v == nil {
			return "", nil
		}
		out, err := v.Render(ctx, vars)
		if err != nil {
			return "", err
		}
		if out == nil {
			return "", nil
		}
		return strings.TrimSpace(fmt.Sprint(out)), nil
	}
	h := step.Human
	assignee, err := render(h.Assignee)
	if err != nil {
		return failed(actions.ExpressionFailure(fmt.Errorf("assignee: %w", err)))
	}
	title, err := render(h.Title)
	if err != nil {
		return failed(actions.ExpressionFailure(fmt.Errorf("title: %w", err)))
	}
	desc, err := render(h.Description)
	if err != nil {
		return failed(actions.ExpressionFailure(fmt.Errorf("description: %w", err)))
	}
	if assignee == "" {
		return failed(workflow.Permanent(workflow.ClassValidation, errors.New("the task has no assignee: the assignee value is empty")))
	}
	if r.Test && r.StartedBy != "" {
		// A test run's tasks go to the person testing, not to the rep the sample data names.
		desc = strings.TrimSpace(fmt.Sprintf("Test run: this task would go to %s. %s", assignee, desc))
		assignee = r.StartedBy
	}
	pick, err := e.pickAssignee(ctx, assignee, h, now)
	if err != nil {
		return failed(err)
	}
	cal, err := e.calendar(ctx, pick.team, pick.user)
	if err != nil {
		return failed(workflow.Transient(workflow.ClassOther, err))
	}
	var due *time.Time
	if dueSrc, err := render(h.DueDate); err != nil {
		return failed(actions.ExpressionFailure(fmt.Errorf("due: %w", err)))
	} else if dueSrc != "" {
		t, err := expression.ParseDateIn(cal, dueSrc, now)
		if err != nil {
			return failed(workflow.Permanent(workflow.ClassValidation, fmt.Errorf("due: %w", err)))
		}
		due = &t
	}
	task := &store.HumanTask{
		ID: e.newID(), ExecutionID: r.ID, WorkflowID: r.WorkflowID, StepID: step.ID, Activation: b.Activation,
		Title: title, Description: desc, FormFields: store.MustJSON(h.FormFields), DueAt: due,
		Status: string(workflow.TaskOpen), Test: r.Test, CreatedAt: now, UpdatedAt: now, DelegatedFrom: pick.delegatedFrom,
	}
	if pick.team != "" {
		task.Team = &pick.team
	}
	if card := workflow.CardOf(workflow.RecordOf(plan.Def), r.Variables); card != nil {
		task.About = store.MustJSON(card)
	}
	if due != nil && (len(h.Reminders) > 0 || h.Escalation != nil) {
		sla, err := slaOf(cal, h, *due)
		if err != nil {
			return failed(workflow.Permanent(workflow.ClassValidation, err))
		}
		task.SLA, task.NextTimerAt = store.MustJSON(sla), sla.Next()
	}
	effects := []store.Effect{store.Insert{Row: task}}
	waitingFor := fmt.Sprintf("someone in team %s to claim", pick.team)
	data := map[string]any{"taskId": task.ID, "team": pick.team}
	if u := pick.user; u != nil {
		task.Assignee, task.AssigneeID = u.Email, &u.ID
		waitingFor, data = u.Email+" to complete", map[string]any{"taskId": task.ID, "assignee": u.Email}
		if pick.delegatedFrom != nil {
			data["delegatedFrom"] = pick.awayEmail
		}
		// The holder row lets the assignee read the run, even after the task is given to someone else.
		effects = append(effects, store.Insert{Row: &store.TaskHolder{TaskID: task.ID, ExecutionID: r.ID, UserID: u.ID}},
			notifyEffect{e: e, kind: NotifyAssigned, user: u, task: task, key: "assigned:" + task.ID, now: now})
	}
	return stepRun{
		outcome: Outcome{Kind: Waiting, Wait: WaitTask, TaskID: task.ID,
			Message: fmt.Sprintf("Waiting for %s %q", waitingFor, title), Data: data},
		effects: effects,
	}
}
