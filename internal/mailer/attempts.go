package mailer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// interruptedText is the error of an attempt that a later one found without an outcome.
const interruptedText = "the delivery stopped before its outcome was recorded (its process ended or lost the database)"

// recordTimeout bounds writing an attempt's outcome. It is written even when the job's context has ended:
// after the server's 250, the outbox must say the mail went out.
const recordTimeout = 10 * time.Second

// errNothingToDo says the mail was sent, or set aside, while its job waited.
var errNothingToDo = errors.New("the mail needs no delivery")

// startAttempt commits a new attempt of mail id at the connect stage and returns its number. An earlier
// attempt still without an outcome was interrupted: it is marked so.
func (m *Mailer) startAttempt(ctx context.Context, id string) (int, error) {
	var n int
	err := m.DB.Tx(ctx, func(tx *store.Tx) error {
		outbox := tx.Outbox()
		cur, err := outbox.Progress(ctx, id)
		if err != nil {
			return err
		}
		if cur.Status == store.MailSent || cur.Status == store.MailNotSent {
			return errNothingToDo
		}
		if err := outbox.InterruptUnfinished(ctx, id, interruptedText); err != nil {
			return err
		}
		// attempts counts the attempts started, so the number follows on from mails sent before attempts had
		// rows. The check on the old count makes two attempts starting together collide here.
		n = cur.Attempts + 1
		counted, err := outbox.CountAttempt(ctx, id, cur.Attempts)
		if err != nil {
			return err
		}
		if !counted {
			return errors.New("another delivery of this mail started at the same moment")
		}
		return outbox.InsertAttempt(ctx, &store.MailAttempt{MailID: id, Number: n, StartedAt: m.Clock.Now(), Stage: store.StageConnect})
	})
	if err != nil && !errors.Is(err, errNothingToDo) {
		return 0, fmt.Errorf("deliver mail %s: start attempt %d: %w", id, n, err)
	}
	return n, err
}

// reachedData commits that attempt n is about to send the final dot: from now on the server may have the mail.
func (m *Mailer) reachedData(ctx context.Context, id string, n int) error {
	if err := m.DB.Outbox().SetAttemptStage(ctx, id, n, store.StageData); err != nil {
		return fmt.Errorf("deliver mail %s: record attempt %d at the data stage: %w", id, n, err)
	}
	return nil
}

// markSent finishes attempt n as sent and marks the mail sent, in one short transaction, right after the
// server's 250. The mail is possibly duplicated when an earlier attempt that may have reached the server did
// not finish, or when another attempt sent it already.
func (m *Mailer) markSent(ctx context.Context, id string, n int) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := m.Clock.Now()
	mark := func(tx *store.Tx) error {
		outbox := tx.Outbox()
		err := outbox.FinishAttempt(ctx, id, n, store.AttemptEnd{Outcome: store.AttemptSent, Stage: store.StageAccepted, FinishedAt: now})
		if err != nil {
			return err
		}
		marked, err := outbox.MarkSent(ctx, id, n, now)
		if err != nil || marked {
			return err
		}
		// Another attempt (a job run again while this one was still talking) sent it too.
		return outbox.MarkSentTwice(ctx, id)
	}
	// The server has the mail: a commit the database cuts short here would have it sent again, so it is tried
	// again at once, and again, until recordTimeout.
	err := m.DB.Tx(ctx, mark)
	for wait := 20 * time.Millisecond; store.IsInfrastructure(err) && pause(ctx, wait); wait *= 2 {
		err = m.DB.Tx(ctx, mark)
	}
	if err != nil {
		return fmt.Errorf("deliver mail %s: mark sent by attempt %d: %w", id, n, err)
	}
	return nil
}

// finishAttempt records how attempt n ended when the server did not accept the mail (failed), or when the
// connection ended after the final dot without an answer (interrupted), with the stage it got to. The mail
// keeps the error; final marks it failed.
func (m *Mailer) finishAttempt(ctx context.Context, id string, n int, stage, outcome string, sendErr error, final bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	text := truncate(sendErr.Error(), maxErrorLen)
	err := m.DB.Tx(ctx, func(tx *store.Tx) error {
		err := tx.Outbox().FinishAttempt(ctx, id, n, store.AttemptEnd{Outcome: outcome, Stage: stage, FinishedAt: m.Clock.Now(), ErrorText: text})
		if err != nil {
			return err
		}
		status := ""
		if final {
			status = store.MailFailed
		}
		return tx.Outbox().SetOutcome(ctx, id, status, text)
	})
	if err != nil {
		return fmt.Errorf("deliver mail %s: record the outcome of attempt %d: %w", id, n, err)
	}
	return nil
}

// pause waits d, and says false when ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
