package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitchenpantry/pantryflow/internal/mailer"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// MailSender queues a mail of the outbox again (the mailer).
type MailSender interface {
	Resend(ctx context.Context, id string) error
}

// GetMail reads one mail of the outbox with its delivery attempts (managers).
func (a *App) GetMail(ctx context.Context, actor *Actor, id string) (*MailView, error) {
	if err := requireManager(actor, "see the outbox"); err != nil {
		return nil, err
	}
	m, err := a.DB.Outbox().ReadMail(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: "there is no such mail in the outbox"}
	}
	if err != nil {
		return nil, err
	}
	attempts, err := a.mailAttempts(ctx, []string{m.ID})
	if err != nil {
		return nil, err
	}
	v := mailView(*m, attempts[m.ID])
	return &v, nil
}

// ResendMail queues a failed or not sent mail again (managers) and returns it as it is now. A mail that is
// queued or sent already is left alone: that is a conflict, so two clicks send it once.
func (a *App) ResendMail(ctx context.Context, actor *Actor, id string) (*MailView, error) {
	if err := requireManager(actor, "send mails again"); err != nil {
		return nil, err
	}
	if a.Mailer == nil {
		return nil, fmt.Errorf("resend mail %s: no mailer is wired", id)
	}
	err := a.Mailer.Resend(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, &Error{Kind: ErrNotFound, Message: "there is no such mail in the outbox"}
	case errors.Is(err, mailer.ErrNotResendable):
		return nil, fail(ErrConflict, "this mail is already queued or sent, so it was not queued again")
	case err != nil:
		return nil, err
	}
	return a.GetMail(ctx, actor, id)
}

// OutboxCounts says how many mails the outbox holds in each status (managers).
func (a *App) OutboxCounts(ctx context.Context, actor *Actor) (map[string]int64, error) {
	if err := requireManager(actor, "see the outbox"); err != nil {
		return nil, err
	}
	return a.DB.Outbox().CountByStatus(ctx)
}
