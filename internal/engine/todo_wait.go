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

// A create_task step with wait makes a CRM to-do and waits until it is done. The to-do is written by the
// step's commit together with the wait, so it cannot be done before the wait begins. When the CRM records
// the to-do done (task_done) or deleted (task_deleted), the event's dispatch enqueues a TodoArgs job in its
// own transaction; the job reads the to-do and ends the wait: done, the step completes with the to-do as its
// output; deleted, the step fails (its onError decides, and a retry makes the to-do again). The job is safe
// to run twice or late: a branch that no longer waits for the to-do is left alone.

// TodoArgs is the job that ends a branch's wait for a CRM to-do, if the to-do is done or gone.
type TodoArgs struct {
	ExecutionID string `json:"executionId"`
	TodoID      string `json:"todoId"`
	// By is who changed the to-do, for the log; empty when nobody is known (a retried run looking again).
	By string `json:"by,omitempty"`
}

// Kind implements river.JobArgs.
func (TodoArgs) Kind() string { return "resolve_todo" }

type todoWorker struct {
	river.WorkerDefaults[TodoArgs]
	e *Engine
}

func (w *todoWorker) Work(ctx context.Context, job *river.Job[TodoArgs]) error {
	return w.e.ResolveTodo(ctx, job.Args)
}

// ResolveTodo ends the wait of the execution's branch for the to-do when the to-do is done or deleted; an
// open to-do, a finished execution or a branch that no longer waits for it change nothing.
func (e *Engine) ResolveTodo(ctx context.Context, args TodoArgs) error {
	o, ok, err := e.todoOutcome(ctx, args)
	if err != nil || !ok {
		return err
	}
	_, err = e.operate(ctx, args.ExecutionID, func(ex *loaded, now time.Time) (Transition, error) {
		tr, err := ResolveTodo(ex.plan, ex.run, args.TodoID, o, now)
		if errors.Is(err, ErrNotWaitingFor) {
			return Transition{}, nil // an empty transition writes nothing
		}
		return tr, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // the execution is gone
	}
	return err
}

// ErrTodoDeleted is why a step waiting for its to-do fails when the to-do is deleted first.
var ErrTodoDeleted = errors.New("the to-do was deleted before it was done; retry the step to make it again, or skip it")

// todoOutcome is how the wait for the to-do ends, and false while it goes on.
func (e *Engine) todoOutcome(ctx context.Context, args TodoArgs) (Outcome, bool, error) {
	todo, err := store.TakeCRM[store.CRMTask](ctx, e.db.CRM(), args.TodoID, nil, false)
	if errors.Is(err, store.ErrNotFound) {
		return Outcome{Kind: Failed, Err: workflow.Permanent(workflow.ClassValidation, ErrTodoDeleted)}, true, nil
	}
	if err != nil {
		return Outcome{}, false, fmt.Errorf("read to-do %s: %w", args.TodoID, err)
	}
	if todo.Status != "done" {
		return Outcome{}, false, nil
	}
	out := map[string]any{"taskId": todo.ID, "title": todo.Title, "priority": todo.Priority, "status": todo.Status}
	if todo.AssigneeID != nil {
		u, err := e.db.Users().User(ctx, *todo.AssigneeID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Outcome{}, false, fmt.Errorf("read the assignee of to-do %s: %w", args.TodoID, err)
		}
		if u != nil {
			out["assignee"] = u.Email
		}
	}
	if todo.DueAt != nil {
		out["dueDate"] = todo.DueAt.UTC().Format(time.RFC3339)
	}
	if todo.CompletedAt != nil {
		out["completedAt"] = todo.CompletedAt.UTC().Format(time.RFC3339)
	}
	msg := fmt.Sprintf("The to-do %q is done", todo.Title)
	if args.By != "" {
		out["completedBy"] = args.By
		msg = fmt.Sprintf("The to-do %q was done by %s", todo.Title, args.By)
	}
	return Outcome{Kind: Completed, Output: out, Message: msg, Data: out}, true, nil
}
