package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// digestHour is when, in each user's time zone, their daily digest goes out.
const digestHour = 8

// SendDigests mails each user who chose a daily digest the lines waiting for it, once a day from 08:00 in
// their time zone; of several instances one sends it (users.digest_sent_at is claimed in the transaction that
// queues the mail). It returns how many digests it queued.
func (e *Engine) SendDigests(ctx context.Context) (int, error) {
	now := e.clock.Now()
	users, err := e.db.Users().WithPendingNotifications(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for i := range users {
		u := &users[i]
		loc, err := time.LoadLocation(u.Timezone)
		if err != nil || u.Timezone == "" {
			loc = time.UTC
		}
		local := now.In(loc)
		since := time.Date(local.Year(), local.Month(), local.Day(), digestHour, 0, 0, 0, loc)
		if local.Before(since) {
			continue // today's goes out at 08:00
		}
		err = e.db.Tx(ctx, func(tx *store.Tx) error {
			ok, err := tx.Users().ClaimDigest(ctx, u.ID, since, now)
			if err != nil || !ok {
				return err
			}
			lines, err := tx.Outbox().TakeNotifications(ctx, u.ID)
			if err != nil || len(lines) == 0 {
				return err
			}
			if err := e.queueDigest(ctx, tx, u, lines, since, now); err != nil {
				return err
			}
			sent++
			return nil
		})
		if err != nil {
			return sent, fmt.Errorf("the digest of %s: %w", u.Email, err)
		}
	}
	return sent, nil
}

func (e *Engine) queueDigest(ctx context.Context, tx *store.Tx, u *store.User, lines []store.PendingNotification, day, now time.Time) error {
	tmpl, err := tx.Outbox().Template(ctx, "task_digest")
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("- " + l.Line + "\n")
	}
	person := u.Name
	if person == "" {
		person = u.Email
	}
	env := map[string]any{"digest": strings.TrimRight(b.String(), "\n"), "inbox": strings.TrimRight(e.baseURL, "/") + "/inbox",
		"user": map[string]any{"name": person, "email": u.Email}}
	subject, err := e.renderText(ctx, tmpl.Subject, env)
	if err != nil {
		return fmt.Errorf("the subject of mail template task_digest: %w", err)
	}
	body, err := e.renderText(ctx, tmpl.Body, env)
	if err != nil {
		return fmt.Errorf("the body of mail template task_digest: %w", err)
	}
	m := &store.Mail{ID: e.newID(), IdempotencyKey: fmt.Sprintf("digest:%d:%s", u.ID, day.Format(time.DateOnly)),
		Template: "task_digest", ToAddress: u.Email, Subject: subject, Body: body, Status: store.MailQueued, CreatedAt: now}
	return actions.NewQueueMail(m, e.EnqueueTx).Apply(ctx, tx)
}
