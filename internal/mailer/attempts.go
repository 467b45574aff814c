package mailer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// interruptedText is the error of an attempt that a later one found without an outcome.
const interruptedText = "the delivery stopped before its outcome was recorded (its process ended or lost the database)"

// recordTimeout bounds writing an attempt's outcome. It is written even when the job's context has ended:
// after the server's 250, the outbox must say the mail went out.
const recordTimeout = 10 * time.Second

// errNothingToDo says the mail was sent, or set aside, while its job waited.
var errNothingToDo = errors.New("the mail needs no delivery")

// mayHaveReached are the stages from which the server may have the message.
var mayHaveReached = []string{store.StageData, store.StageAccepted}

// startAttempt commits a new attempt of mail id at the connect stage and returns its number. An earlier
// attempt still without an outcome was interrupted: it is marked so.
func (m *Mailer) startAttempt(ctx context.Context, id string) (int, error) {
	var n int
	err := m.DB.GormTx(ctx, func(tx *gorm.DB) error {
		var cur store.Mail
		if err := tx.Select("status", "attempts").Where("id = ?", id).Take(&cur).Error; err != nil {
			return err
		}
		if cur.Status == store.MailSent || cur.Status == store.MailNotSent {
			return errNothingToDo
		}
		err := tx.Model(&store.MailAttempt{}).Where("mail_id = ? AND outcome = ''", id).
			Updates(map[string]any{"outcome": store.AttemptInterrupted, "error_text": interruptedText}).Error
		if err != nil {
			return err
		}
		// attempts counts the attempts started, so the number follows on from mails sent before attempts had
		// rows. The check on the old count makes two attempts starting together collide here.
		n = cur.Attempts + 1
		res := tx.Model(&store.Mail{}).Where("id = ? AND attempts = ?", id, cur.Attempts).Update("attempts", n)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errors.New("another delivery of this mail started at the same moment")
		}
		return tx.Create(&store.MailAttempt{MailID: id, Number: n, StartedAt: m.Clock.Now(), Stage: store.StageConnect}).Error
	})
	if err != nil && !errors.Is(err, errNothingToDo) {
		return 0, fmt.Errorf("deliver mail %s: start attempt %d: %w", id, n, err)
	}
	return n, err
}

// reachedData commits that attempt n is about to send the final dot: from now on the server may have the mail.
func (m *Mailer) reachedData(ctx context.Context, id string, n int) error {
	err := m.DB.Gorm.WithContext(ctx).Model(&store.MailAttempt{}).Where("mail_id = ? AND number = ?", id, n).
		Update("stage", store.StageData).Error
	if err != nil {
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
	mark := func(tx *gorm.DB) error {
		err := tx.Model(&store.MailAttempt{}).Where("mail_id = ? AND number = ?", id, n).Updates(map[string]any{
			"outcome": store.AttemptSent, "stage": store.StageAccepted, "finished_at": now, "error_text": ""}).Error
		if err != nil {
			return err
		}
		res := tx.Model(&store.Mail{}).Where("id = ? AND status NOT IN ?", id, []string{store.MailSent, store.MailNotSent}).
			Updates(map[string]any{"status": store.MailSent, "sent_at": now, "last_error": "",
				"possibly_duplicated": gorm.Expr("EXISTS (SELECT 1 FROM mail_attempts a WHERE a.mail_id = ? AND a.number <> ? "+
					"AND a.outcome IN ? AND a.stage IN ?)", id, n, []string{"", store.AttemptInterrupted}, mayHaveReached)})
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		// Another attempt (a job run again while this one was still talking) sent it too.
		return tx.Model(&store.Mail{}).Where("id = ? AND status = ?", id, store.MailSent).Update("possibly_duplicated", true).Error
	}
	// The server has the mail: a commit the database cuts short here would have it sent again, so it is tried
	// again at once, and again, until recordTimeout.
	err := m.DB.GormTx(ctx, mark)
	for wait := 20 * time.Millisecond; store.IsInfrastructure(err) && pause(ctx, wait); wait *= 2 {
		err = m.DB.GormTx(ctx, mark)
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
	err := m.DB.GormTx(ctx, func(tx *gorm.DB) error {
		err := tx.Model(&store.MailAttempt{}).Where("mail_id = ? AND number = ?", id, n).Updates(map[string]any{
			"outcome": outcome, "stage": stage, "finished_at": m.Clock.Now(), "error_text": text}).Error
		if err != nil {
			return err
		}
		fields := map[string]any{"last_error": text}
		if final {
			fields["status"] = store.MailFailed
		}
		return tx.Model(&store.Mail{}).Where("id = ? AND status NOT IN ?", id, []string{store.MailSent, store.MailNotSent}).
			Updates(fields).Error
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
