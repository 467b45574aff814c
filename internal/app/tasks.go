package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// TaskView is a human task.
type TaskView struct {
	ID          string               `json:"id"`
	ExecutionID string               `json:"executionId"`
	WorkflowID  string               `json:"workflowId"`
	StepID      string               `json:"stepId"`
	Title       string               `json:"title"`
	Description string               `json:"description"`
	Assignee    string               `json:"assignee"`
	FormFields  []workflow.FormField `json:"formFields"`
	DueAt       *time.Time           `json:"dueAt,omitempty"`
	Overdue     bool                 `json:"overdue"`
	Status      string               `json:"status"`
	Values      map[string]any       `json:"values,omitempty"`
	CompletedBy string               `json:"completedBy,omitempty"`
	CompletedAt *time.Time           `json:"completedAt,omitempty"`
	CreatedAt   time.Time            `json:"createdAt"`
	// Hidden says why the form, description and answers are left out: the task is someone else's
	// ("hidden: answered by <email>", "hidden: assigned to <email>"); empty when they are shown.
	Hidden string `json:"hidden,omitempty"`
	// Team is the team whose queue the task is in; with no assignee it waits to be claimed.
	Team string `json:"team,omitempty"`
	// Unclaimed says the task waits in its team's queue for someone to claim it.
	Unclaimed bool `json:"unclaimed,omitempty"`
	// SLA is the task's reminders and escalation, each with when it fires and when it fired.
	SLA *TaskSLA `json:"sla,omitempty"`
	// DelegatedFrom is whom the task was for when it went to their delegate (out of office).
	DelegatedFrom string `json:"delegatedFrom,omitempty"`
	// About is the customer the task is about, as the run held the record when the task was made.
	About *RecordCard `json:"about,omitempty"`
	// Test marks a task of a designer's test run.
	Test bool `json:"test,omitempty"`
	// AssigneeID is the assignee's user id, for the use cases' checks.
	AssigneeID *int64 `json:"-"`
}

// TaskSLA is a task's reminders and escalation, each with the instant it fires and when it fired.
type TaskSLA = store.TaskSLA

// TaskFilter narrows a task list. Status is open (the default), completed, cancelled or all; Assignee is
// "me", an email, or empty for everyone (managers only).
type TaskFilter struct {
	Status string
	// Queue is "mine" (the actor's), "team" (the unclaimed tasks of the actor's teams) or "all" (managers).
	Queue       string
	Assignee    string
	ExecutionID string
	// TestRuns is "" (the tasks of test runs left out), "include" or "only"; one execution's tasks are all
	// listed.
	TestRuns string
	Page     Page
}

// ListTasks lists human tasks, soonest due first. A rep only ever sees their own.
func (a *App) ListTasks(ctx context.Context, actor *Actor, f TaskFilter) ([]TaskView, int64, error) {
	page := f.Page.Normalize()
	tests, err := ParseTestRuns(f.TestRuns)
	if err != nil {
		return nil, 0, err
	}
	q := store.TaskQuery{ExecutionID: f.ExecutionID, Order: store.TaskOrderDue, Limit: page.Limit, Offset: page.Offset, TestRuns: tests}
	switch f.Status {
	case "", "open":
		q.Status = string(workflow.TaskOpen)
	case "completed", "cancelled":
		q.Status = f.Status
	case "all":
	default:
		return nil, 0, &ValidationError{Message: "unknown task status", Details: []Detail{{Path: "status",
			Message: fmt.Sprintf("%q is not a task status; use open, completed, cancelled or all", f.Status)}}}
	}
	switch f.Queue {
	case "":
	case "mine":
		f.Assignee = "me"
	case "team":
		if actor != nil {
			q.QueueOf = &actor.ID
		}
	case "all":
		if err := requireManager(actor, "see everyone's tasks"); err != nil {
			return nil, 0, err
		}
	default:
		return nil, 0, &ValidationError{Message: "unknown queue", Details: []Detail{{Path: "queue",
			Message: fmt.Sprintf("%q is not a queue; use mine, team or all", f.Queue)}}}
	}
	switch {
	case f.Assignee == "me" && actor != nil:
		q.AssigneeID = &actor.ID
	case f.Assignee != "" && f.Assignee != "me":
		q.Assignee = f.Assignee
	}
	rows, total, err := a.DB.Tasks().ListTasks(ctx, scopeOf(actor).rows(), q)
	if err != nil {
		return nil, 0, err
	}
	now := a.Clock.Now()
	out := make([]TaskView, 0, len(rows))
	for i := range rows {
		v, err := taskView(&rows[i], now)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, nil
}

func taskView(t *store.HumanTask, now time.Time) (TaskView, error) {
	v := TaskView{ID: t.ID, ExecutionID: t.ExecutionID, WorkflowID: t.WorkflowID, StepID: t.StepID, Title: t.Title,
		Description: t.Description, Assignee: t.Assignee, DueAt: t.DueAt, Status: t.Status, CompletedBy: t.CompletedBy,
		CompletedAt: t.CompletedAt, CreatedAt: t.CreatedAt, Test: t.Test}
	v.Overdue = t.Status == string(workflow.TaskOpen) && t.DueAt != nil && t.DueAt.Before(now)
	if err := t.FormFields.Decode(&v.FormFields); err != nil {
		return v, fmt.Errorf("task %s: %w", t.ID, err)
	}
	v.AssigneeID = t.AssigneeID
	if t.Team != nil {
		v.Team, v.Unclaimed = *t.Team, t.AssigneeID == nil
	}
	if len(t.SLA) > 0 && string(t.SLA) != "null" {
		v.SLA = &TaskSLA{}
		if err := t.SLA.Decode(v.SLA); err != nil {
			return v, fmt.Errorf("task %s: %w", t.ID, err)
		}
	}
	if len(t.About) > 0 && string(t.About) != "null" {
		v.About = &RecordCard{}
		if err := t.About.Decode(v.About); err != nil {
			return v, fmt.Errorf("task %s: %w", t.ID, err)
		}
		v.About = withPage(v.About)
	}
	if err := t.Values.Decode(&v.Values); err != nil {
		return v, fmt.Errorf("task %s: %w", t.ID, err)
	}
	return v, nil
}

// GetTask returns one task; a rep may only see their own, and someone else's is not found for them (as if it
// did not exist, so task ids cannot be probed).
func (a *App) GetTask(ctx context.Context, actor *Actor, id string) (*TaskView, error) {
	row, err := a.DB.Tasks().Task(ctx, scopeOf(actor).rows(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: "there is no such task"}
	}
	if err != nil {
		return nil, err
	}
	if row.DelegatedFrom != nil && row.TouchedAt == nil && row.AssigneeID != nil && *row.AssigneeID == actor.ID {
		// The delegate opened a task they hold for someone away: it stays theirs when that person returns.
		if err := a.DB.Tasks().Touch(ctx, id, actor.ID, a.Clock.Now()); err != nil {
			return nil, err
		}
	}
	v, err := taskView(row, a.Clock.Now())
	return &v, err
}

// CompleteTask submits a task's form and resumes its execution.
func (a *App) CompleteTask(ctx context.Context, actor *Actor, id string, values map[string]any) error {
	task, err := a.GetTask(ctx, actor, id)
	if err != nil {
		return err
	}
	if values == nil {
		values = map[string]any{}
	}
	// A date and time written without a zone (as a browser's datetime-local sends it) is the person's.
	values = workflow.InZone(task.FormFields, values, actor.Zone())
	if task.Unclaimed {
		// Answering a task of one's team's queue claims it; someone quicker keeps it.
		if _, err := a.ClaimTask(ctx, actor, id); err != nil {
			return err
		}
	}
	// With an Idempotency-Key, the commit that completes the task claims the key and records the task as
	// the request is answered.
	err = a.Engine.CompleteTask(ctx, id, values, actor.Email, a.claimEffects(ctx, func(tx *store.Tx) (any, error) {
		row, err := tx.Tasks().Task(ctx, store.ReadScope{All: true}, id)
		if err != nil {
			return nil, err
		}
		return taskView(row, a.Clock.Now())
	})...)
	var ferrs workflow.FieldErrors
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ferrs):
		return fieldsError("some answers need fixing; the task is still open", ferrs)
	case errors.Is(err, engine.ErrTaskClosed):
		again, gerr := a.GetTask(ctx, actor, id)
		if gerr == nil && again.Status == string(workflow.TaskCompleted) {
			return fail(ErrConflict, fmt.Sprintf("this task was already completed by %s at %s; nothing was changed",
				again.CompletedBy, again.CompletedAt.Format("2 Jan 2006 15:04 UTC")))
		}
		return fail(ErrConflict, fmt.Sprintf("the task %q is no longer open (its workflow was cancelled or failed)", task.Title))
	}
	return err
}
