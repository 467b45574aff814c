package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A CRM to-do (a crm_tasks record, made by a person or by a workflow's create_task) is a task of its own:
// it opens on its page, is marked done, goes to someone else, and carries comments. Who may do each is the
// CRM's rule: a rep acts on the to-dos assigned to them, managers on all.

// TodoComment is a comment on a to-do.
type TodoComment struct {
	ID        int64     `json:"id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
}

// MaxCommentLength is the longest comment, in characters.
const MaxCommentLength = 4000

// TodoPage is what a to-do's page shows: the to-do, the record it is about, its comments, and the people
// it may be given to.
type TodoPage struct {
	Todo     crm.Record
	About    *RecordCard
	Comments []TodoComment
	People   []Choice
}

// Todo reads a to-do's page.
func (a *App) Todo(ctx context.Context, actor *Actor, id string) (*TodoPage, error) {
	rec, err := a.GetRecord(ctx, actor, crm.Task, id)
	if err != nil {
		return nil, err
	}
	out := &TodoPage{Todo: rec}
	if kind, rid := textValue(rec["relatedType"]), textValue(rec["relatedId"]); kind != "" && rid != "" {
		// The record it is about, when the actor may see it.
		if related, err := a.GetRecord(ctx, actor, crm.Entity(kind), rid); err == nil {
			out.About = withPage(workflow.CardOf(kind, map[string]any{kind: map[string]any(related)}))
		}
	}
	if out.Comments, err = a.todoComments(ctx, id); err != nil {
		return nil, err
	}
	choices, err := a.FormChoices(ctx, actor, crm.Task)
	if err != nil {
		return nil, err
	}
	out.People = choices.People
	return out, nil
}

// TodoComments are a to-do's comments, oldest first.
func (a *App) TodoComments(ctx context.Context, actor *Actor, id string) ([]TodoComment, error) {
	if _, err := a.GetRecord(ctx, actor, crm.Task, id); err != nil {
		return nil, err
	}
	return a.todoComments(ctx, id)
}

func (a *App) todoComments(ctx context.Context, id string) ([]TodoComment, error) {
	rows, err := a.DB.CRM().TodoComments(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]TodoComment, len(rows))
	for i, r := range rows {
		out[i] = TodoComment{ID: r.ID, Author: r.Author, Body: r.Body, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// CommentOnTodo adds the actor's comment to a to-do they may see.
func (a *App) CommentOnTodo(ctx context.Context, actor *Actor, id, body string) (*TodoComment, error) {
	if _, err := a.GetRecord(ctx, actor, crm.Task, id); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return nil, &ValidationError{Message: "the comment is empty", Details: []Detail{{Path: "body", Message: "write something to comment"}}}
	case n > MaxCommentLength:
		return nil, &ValidationError{Message: "the comment is too long", Details: []Detail{{Path: "body",
			Message: fmt.Sprintf("a comment may have at most %d characters; this has %d", MaxCommentLength, n)}}}
	}
	var out *TodoComment
	// With an Idempotency-Key, a retried comment is answered the first one and not added twice.
	err := a.createTx(ctx, func(tx *store.Tx) (any, error) {
		row := &store.CRMTaskComment{CRMTaskID: id, Author: actor.Email, Body: body, CreatedAt: a.Clock.Now()}
		if err := tx.CRM().AddTodoComment(ctx, row); err != nil {
			return nil, err
		}
		out = &TodoComment{ID: row.ID, Author: row.Author, Body: row.Body, CreatedAt: row.CreatedAt}
		return out, nil
	})
	return out, err
}

// ReassignTodo gives a to-do to someone else (a person who can sign in, by email).
func (a *App) ReassignTodo(ctx context.Context, actor *Actor, id, assignee string) (crm.Record, error) {
	assignee = strings.TrimSpace(assignee)
	if assignee == "" {
		return nil, &ValidationError{Message: "no one to give the to-do to", Details: []Detail{{Path: "assignee", Message: "choose the person to give it to"}}}
	}
	return a.UpdateRecord(ctx, actor, crm.Task, id, map[string]any{"assignedTo": assignee})
}

func textValue(v any) string { s, _ := v.(string); return strings.TrimSpace(s) }
