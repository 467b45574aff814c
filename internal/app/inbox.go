package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// InboxFilter narrows the inbox. Whose is "mine" (default), "team" (managers) or an email (managers); Due is
// "" (any), "overdue", "today" or "week"; Kind is "" (both), "tasks" (workflow tasks) or "todos" (CRM to-dos).
type InboxFilter struct {
	Whose string
	Due   string
	Kind  string
	Page  Page
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
	db := a.DB.Gorm.WithContext(ctx)
	var assigneeID *int64
	switch {
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
	due := func(q *gorm.DB) (*gorm.DB, error) {
		switch f.Due {
		case "":
			return q, nil
		case "overdue":
			return q.Where("due_at < ?", now), nil
		case "today":
			return q.Where("due_at < ?", now.Truncate(24*time.Hour).Add(24*time.Hour)), nil
		case "week":
			return q.Where("due_at < ?", now.Add(7*24*time.Hour)), nil
		}
		return nil, &ValidationError{Message: "unknown due filter", Details: []Detail{{Path: "due", Message: "use overdue, today or week"}}}
	}
	out := &Inbox{}
	order := "due_at IS NULL, due_at, created_at"
	if f.Kind != "todos" {
		q := scope.tasks(db.Model(&store.HumanTask{}).Where("status = ?", workflow.TaskOpen))
		if assigneeID != nil {
			q = q.Where("assignee_id = ?", *assigneeID)
		}
		q, err := due(q)
		if err != nil {
			return nil, err
		}
		if err := q.Count(&out.TasksTotal).Error; err != nil {
			return nil, fmt.Errorf("count tasks: %w", err)
		}
		var rows []store.HumanTask
		if err := q.Order(order).Limit(page.Limit).Offset(page.Offset).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		for i := range rows {
			v, err := taskView(&rows[i], now)
			if err != nil {
				return nil, err
			}
			out.Tasks = append(out.Tasks, v)
		}
	}
	if f.Kind != "tasks" {
		q := scope.crmRows(db.Model(&store.CRMTask{}).Where("status = ?", "open"), "assignee_id")
		if assigneeID != nil {
			q = q.Where("assignee_id = ?", *assigneeID)
		}
		q, err := due(q)
		if err != nil {
			return nil, err
		}
		if err := q.Count(&out.TodosTotal).Error; err != nil {
			return nil, fmt.Errorf("count to-dos: %w", err)
		}
		var rows []store.CRMTask
		if err := q.Order(order).Limit(page.Limit).Offset(page.Offset).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("list to-dos: %w", err)
		}
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
		if err := db.Model(&store.User{}).Where("disabled_at IS NULL").Order("email").Pluck("email", &out.People).Error; err != nil {
			return nil, fmt.Errorf("list people: %w", err)
		}
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
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []store.User
	if err := a.DB.Gorm.WithContext(ctx).Select("id", "email").Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("load assignees: %w", err)
	}
	for _, u := range users {
		out[u.ID] = u.Email
	}
	return out, nil
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
	return a.DB.GormTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&store.HumanTask{}).Where("id = ? AND status = ?", taskID, workflow.TaskOpen).
			UpdateColumns(map[string]any{"assignee": u.Email, "assignee_id": u.ID, "updated_at": a.Clock.Now()})
		if res.Error != nil {
			return fmt.Errorf("reassign task %s: %w", taskID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fail(ErrConflict, "the task is no longer open, so it cannot be reassigned")
		}
		var task store.HumanTask
		if err := tx.Select("id", "execution_id").Where("id = ?", taskID).Take(&task).Error; err != nil {
			return fmt.Errorf("reassign task %s: %w", taskID, err)
		}
		holder := &store.TaskHolder{TaskID: task.ID, ExecutionID: task.ExecutionID, UserID: u.ID}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(holder).Error; err != nil {
			return fmt.Errorf("record %s as holder of task %s: %w", u.Email, taskID, err)
		}
		return nil
	})
}
