package app

import (
	"context"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// MailView is a message in the outbox.
type MailView struct {
	ID          string     `json:"id"`
	ExecutionID string     `json:"executionId,omitempty"`
	StepID      string     `json:"stepId,omitempty"`
	Template    string     `json:"template,omitempty"`
	To          string     `json:"to"`
	Subject     string     `json:"subject"`
	Body        string     `json:"body"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"lastError,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	SentAt      *time.Time `json:"sentAt,omitempty"`
}

// OutboxFilter narrows the outbox.
type OutboxFilter struct {
	ExecutionID string
	Status      string
	Page        Page
}

// ListOutbox lists mails, newest first.
func (a *App) ListOutbox(ctx context.Context, actor *Actor, f OutboxFilter) ([]MailView, int64, error) {
	if err := requireManager(actor, "see the outbox"); err != nil {
		return nil, 0, err
	}
	page := f.Page.Normalize()
	q := a.DB.Gorm.WithContext(ctx).Model(&store.Mail{})
	if f.ExecutionID != "" {
		q = q.Where("execution_id = ?", f.ExecutionID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count mails: %w", err)
	}
	var rows []store.Mail
	if err := q.Order("created_at DESC, id DESC").Limit(page.Limit).Offset(page.Offset).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list mails: %w", err)
	}
	out := make([]MailView, 0, len(rows))
	for _, m := range rows {
		v := MailView{ID: m.ID, StepID: m.StepID, Template: m.Template, To: m.ToAddress, Subject: m.Subject,
			Body: m.Body, Status: m.Status, Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt, SentAt: m.SentAt}
		if m.ExecutionID != nil {
			v.ExecutionID = *m.ExecutionID
		}
		out = append(out, v)
	}
	return out, total, nil
}
