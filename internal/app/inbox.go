package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// InboxFilter narrows the inbox. Queue is "mine" (the default), "team" (the unclaimed tasks of the
// actor's teams) or "all" (everyone's; managers). Whose is the older spelling for managers: "mine", "team"
// (everyone's) or an email. Due is "" (any), "overdue", "today" or "week"; Kind is "" (both), "tasks"
// (workflow tasks) or "todos" (CRM to-dos).
type InboxFilter struct {
	Queue string
	Whose string
	Due   string
	Kind  string
	// TestRuns is "" (the tasks of test runs left out), "include" or "only".
	TestRuns string
	Page     Page
}

// TodoView is a CRM to-do in the inbox.
type TodoView struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Priority    string     `json:"priority"`
	Assignee    string     `json:"assignee"`
	DueAt       *time.Time `json:"dueAt,omitempty"`
	Overdue     bool       `json:"overdue"`
	ExecutionID string     `json:"executionId,omitempty"`
}

// Inbox is what a person has to do.
type Inbox struct {
	Tasks      []TaskView
	TasksTotal int64
	Todos      []TodoView
	TodosTotal int64
	// People are the users tasks can be given to (for managers' filter and reassignment).
	People []string
}

// Inbox lists open workflow tasks and CRM to-dos, soonest due first. A rep sees only their own (scope.go),
// whoever they ask for.
func (a *App) Inbox(ctx context.Context, actor *Actor, f InboxFilter) (*Inbox, error) {
	page := f.Page.Normalize()
	manager := actor.Role.AtLeast(auth.RoleManager)
	scope := scopeOf(actor)
	var assigneeID, queueOf *int64
	switch f.Queue {
	case "", "mine":
	case "team":
		queueOf = &actor.ID
	case "all":
		if !manager {
			return nil, fail(ErrForbidden, "only managers can see everyone's tasks")
		}
		f.Whose = "team"
	default:
		return nil, &ValidationError{Message: "unknown queue", Details: []Detail{{Path: "queue", Message: "use mine, team or all"}}}
	}
	switch {
	case queueOf != nil:
	case !manager || f.Whose == "" || f.Whose == "mine":
		assigneeID = &actor.ID
	case f.Whose == "team":
	default:
		u, err := a.DB.UserByEmail(ctx, f.Whose)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &ValidationError{Message: "unknown person", Details: []Detail{{Path: "whose", Message: fmt.Sprintf("%s is not a Pantryflow user", f.Whose)}}}
		}
		if err != nil {
			return nil, err
		}
		assigneeID = &u.ID
	}
	now := a.Clock.Now()
	var dueBefore *time.Time
	switch f.Due {
	case "":
	case "overdue":
		dueBefore = &now
	case "today":
		// The end of the person's today, in their time zone.
		y, m, d := now.In(actor.Zone()).Date()
		t := time.Date(y, m, d+1, 0, 0, 0, 0, actor.Zone())
		dueBefore = &t
	case "week":
		t := now.Add(7 * 24 * time.Hour)
		dueBefore = &t
	default:
		return nil, &ValidationError{Message: "unknown due filter", Details: []Detail{{Path: "due", Message: "use overdue, today or week"}}}
	}
	tests, err := ParseTestRuns(f.TestRuns)
	if err != nil {
		return nil, err
	}
	out := &Inbox{}
	if f.Kind != "todos" {
		rows, total, err := a.DB.Tasks().ListTasks(ctx, scope.rows(), store.TaskQuery{Status: string(workflow.TaskOpen),
			AssigneeID: assigneeID, QueueOf: queueOf, DueBefore: dueBefore, Order: store.TaskOrderInbox, Limit: page.Limit, Offset: page.Offset, TestRuns: tests})
		if err != nil {
			return nil, err
		}
		out.TasksTotal = total
		for i := range rows {
			v, err := taskView(&rows[i], now)
			if err != nil {
				return nil, err
			}
			out.Tasks = append(out.Tasks, v)
		}
	}
	if f.Kind != "tasks" && queueOf == nil {
		rows, total, err := a.DB.Tasks().OpenTodos(ctx, scope.rows(), store.TodoQuery{AssigneeID: assigneeID,
			DueBefore: dueBefore, Limit: page.Limit, Offset: page.Offset})
		if err != nil {
			return nil, err
		}
		out.TodosTotal = total
		emails, err := a.userEmails(ctx, rows)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			v := TodoView{ID: r.ID, Title: r.Title, Description: r.Description, Priority: r.Priority, DueAt: r.DueAt,
				Overdue: r.DueAt != nil && r.DueAt.Before(now)}
			if r.AssigneeID != nil {
				v.Assignee = emails[*r.AssigneeID]
			}
			if r.ExecutionID != nil {
				v.ExecutionID = *r.ExecutionID
			}
			out.Todos = append(out.Todos, v)
		}
	}
	if manager {
		people, err := a.DB.Users().EnabledEmails(ctx)
		if err != nil {
			return nil, err
		}
		out.People = people
	}
	return out, nil
}

func (a *App) userEmails(ctx context.Context, rows []store.CRMTask) (map[int64]string, error) {
	var ids []int64
	for _, r := range rows {
		if r.AssigneeID != nil {
			ids = append(ids, *r.AssigneeID)
		}
	}
	return a.DB.Users().EmailsByID(ctx, ids)
}

// ReassignTask gives an open workflow task to someone else (managers).
func (a *App) ReassignTask(ctx context.Context, actor *Actor, taskID, email string) error {
	if err := requireManager(actor, "reassign tasks"); err != nil {
		return err
	}
	u, err := a.DB.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		return &ValidationError{Message: "unknown person", Details: []Detail{{Path: "assignee", Message: fmt.Sprintf("%s is not a Pantryflow user", email)}}}
	}
	if err != nil {
		return err
	}
	// The new assignee becomes a holder in the same transaction; the one before stays a holder, so they can
	// still read the run they worked in.
	return a.DB.Tx(ctx, func(tx *store.Tx) error {
		reassigned, err := tx.Tasks().Reassign(ctx, taskID, u.ID, u.Email, a.Clock.Now())
		if err != nil {
			return err
		}
		if !reassigned {
			return fail(ErrConflict, "the task is no longer open, so it cannot be reassigned")
		}
		return a.notifyAssigned(ctx, tx, u, taskID, fmt.Sprintf("reassigned:%s:%d:%d", taskID, u.ID, a.Clock.Now().UnixNano()))
	})
}
