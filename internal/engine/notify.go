package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Notifications of human tasks: a mail from an editable template (task_assigned, task_reminder,
// task_escalated) through the outbox with a link straight to the task, or a line in the user's daily digest,
// or nothing, as the user chose. Each is written in the transaction that changes the task, and keyed, so a
// transaction that runs twice mails once.

// Notification kinds.
const (
	NotifyAssigned  = "assigned"
	NotifyReminder  = "reminder"
	NotifyEscalated = "escalated"
)

var notificationTemplates = map[string]string{
	NotifyAssigned: "task_assigned", NotifyReminder: "task_reminder", NotifyEscalated: "task_escalated",
}

var notificationLines = map[string]string{
	NotifyAssigned: "New task", NotifyReminder: "Reminder", NotifyEscalated: "Escalated to you",
}

// TaskLink is the address of a task's page.
func (e *Engine) TaskLink(taskID string) string {
	return strings.TrimRight(e.baseURL, "/") + "/tasks/" + taskID
}

// NotifyTx tells the user about the task as they chose; key makes it once-only (the same key never mails
// twice).
func (e *Engine) NotifyTx(ctx context.Context, tx *store.Tx, kind string, u *store.User, task *store.HumanTask, key string, now time.Time) error {
	if task.Test || u == nil || u.Notify == store.NotifyNone || u.DisabledAt != nil {
		return nil
	}
	due := dueSentence(task.DueAt, u.Timezone)
	if u.Notify == store.NotifyDigest {
		line := fmt.Sprintf("%s: %s. %s %s", notificationLines[kind], task.Title, due, e.TaskLink(task.ID))
		return tx.Outbox().QueueNotification(ctx, &store.PendingNotification{UserID: u.ID, TaskID: task.ID, Kind: kind,
			Line: strings.Join(strings.Fields(line), " "), CreatedAt: now})
	}
	name := notificationTemplates[kind]
	tmpl, err := tx.Outbox().Template(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		e.log.Warn("task notification not sent: its mail template was deleted", "template", name, "task_id", task.ID)
		return nil
	}
	if err != nil {
		return err
	}
	person := u.Name
	if person == "" {
		person = u.Email
	}
	env := map[string]any{
		"task": map[string]any{"id": task.ID, "title": task.Title, "description": task.Description, "due": due, "link": e.TaskLink(task.ID)},
		"user": map[string]any{"name": person, "email": u.Email},
	}
	subject, err := e.renderText(ctx, tmpl.Subject, env)
	if err != nil {
		return fmt.Errorf("the subject of mail template %s: %w", name, err)
	}
	body, err := e.renderText(ctx, tmpl.Body, env)
	if err != nil {
		return fmt.Errorf("the body of mail template %s: %w", name, err)
	}
	// A notification is Pantryflow's, not the workflow's: it is not one of the run's mails (nor counted in its
	// metrics); the template and the key say what it is about.
	m := &store.Mail{ID: e.newID(), IdempotencyKey: "notify:" + key, Template: name, ToAddress: u.Email, Subject: subject, Body: body, Status: store.MailQueued, CreatedAt: now}
	return actions.NewQueueMail(m, e.EnqueueTx).Apply(ctx, tx)
}

// notifyEffect notifies in the transaction that commits a step.
type notifyEffect struct {
	e    *Engine
	kind string
	user *store.User
	task *store.HumanTask
	key  string
	now  time.Time
}

// Apply implements store.Effect.
func (n notifyEffect) Apply(ctx context.Context, tx *store.Tx) error {
	return n.e.NotifyTx(ctx, tx, n.kind, n.user, n.task, n.key, n.now)
}

func (e *Engine) renderText(ctx context.Context, src string, env map[string]any) (string, error) {
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	t, err := e.expr.ParseTemplate(src, names)
	if err != nil {
		return "", err
	}
	v, err := t.Render(ctx, env)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(v), nil
}

// dueSentence says when a task is due in the reader's time zone, naming the zone.
func dueSentence(due *time.Time, zone string) string {
	if due == nil {
		return "It has no due date."
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc, zone = time.UTC, "UTC"
	}
	return fmt.Sprintf("It is due %s (%s).", due.In(loc).Format("Mon 2 Jan 2006 15:04"), zone)
}
