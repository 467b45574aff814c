package app

import (
	"context"
	"slices"
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
	Attempts    int        `json:"attempts"` // delivery attempts started
	LastError   string     `json:"lastError,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	SentAt      *time.Time `json:"sentAt,omitempty"`
	// PossiblyDuplicated says the mail may have reached its recipient twice: an attempt was interrupted after
	// the mail server may have had the message, and a later one sent it (with the same Message-ID).
	PossiblyDuplicated bool `json:"possiblyDuplicated"`
	// InterruptedAt is when that interrupted attempt started.
	InterruptedAt *time.Time `json:"interruptedAt,omitempty"`
	// DeliveryAttempts are the attempts, oldest first: on one mail (GET /api/outbox/{id}) and the mail page.
	DeliveryAttempts []MailAttemptView `json:"deliveryAttempts,omitempty"`
}

// MailAttemptView is one attempt at delivering a mail.
type MailAttemptView struct {
	Number     int        `json:"number"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"` // none for an attempt under way or interrupted
	// Outcome is sent, failed, interrupted, or running while it is under way.
	Outcome string `json:"outcome"`
	// Stage is the furthest the SMTP conversation got: connect, mail, rcpt, data (the message was written and
	// its final dot about to go) or accepted (the server answered 250 to it).
	Stage string `json:"stage"`
	Error string `json:"error,omitempty"`
	// ServerMayHaveIt says the attempt got as far as the final dot of the message.
	ServerMayHaveIt bool `json:"serverMayHaveIt"`
}

// OutboxFilter narrows the outbox.
type OutboxFilter struct {
	ExecutionID string
	Status      string
	Page        Page
	// WithAttempts fills in each mail's DeliveryAttempts.
	WithAttempts bool
}

// ListOutbox lists mails, newest first.
func (a *App) ListOutbox(ctx context.Context, actor *Actor, f OutboxFilter) ([]MailView, int64, error) {
	if err := requireManager(actor, "see the outbox"); err != nil {
		return nil, 0, err
	}
	page := f.Page.Normalize()
	rows, total, err := a.DB.Outbox().ListMails(ctx, store.MailFilter{ExecutionID: f.ExecutionID, Status: f.Status,
		Limit: page.Limit, Offset: page.Offset})
	if err != nil {
		return nil, 0, err
	}
	// The attempts of the mails that need them: every mail's for the page, the flagged ones' for the time
	// their interrupted attempt started.
	var ids []string
	for _, m := range rows {
		if f.WithAttempts || m.PossiblyDuplicated {
			ids = append(ids, m.ID)
		}
	}
	attempts, err := a.mailAttempts(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]MailView, 0, len(rows))
	for _, m := range rows {
		v := mailView(m, attempts[m.ID])
		if !f.WithAttempts {
			v.DeliveryAttempts = nil
		}
		out = append(out, v)
	}
	return out, total, nil
}

// mailAttempts loads the attempts of the given mails, oldest first.
func (a *App) mailAttempts(ctx context.Context, ids []string) (map[string][]store.MailAttempt, error) {
	return a.DB.Outbox().AttemptsOf(ctx, ids)
}

// mailView is a mail and its attempts as the outbox shows them.
func mailView(m store.Mail, attempts []store.MailAttempt) MailView {
	v := MailView{ID: m.ID, StepID: m.StepID, Template: m.Template, To: m.ToAddress, Subject: m.Subject,
		Body: m.Body, Status: m.Status, Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt,
		SentAt: m.SentAt, PossiblyDuplicated: m.PossiblyDuplicated}
	if m.ExecutionID != nil {
		v.ExecutionID = *m.ExecutionID
	}
	for _, at := range attempts {
		av := MailAttemptView{Number: at.Number, StartedAt: at.StartedAt, FinishedAt: at.FinishedAt, Outcome: at.Outcome,
			Stage: at.Stage, Error: at.ErrorText,
			ServerMayHaveIt: slices.Contains([]string{store.StageData, store.StageAccepted}, at.Stage)}
		if av.Outcome == "" {
			av.Outcome = "running"
		}
		if m.PossiblyDuplicated && av.Outcome == store.AttemptInterrupted && av.ServerMayHaveIt {
			started := at.StartedAt
			v.InterruptedAt = &started
		}
		v.DeliveryAttempts = append(v.DeliveryAttempts, av)
	}
	return v
}
