package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The outbox as the mailer delivers it: every try is a mail_attempts row (see internal/mailer).

// done are the statuses of a mail that needs no more delivery.
var done = []string{MailSent, MailNotSent}

// mayHaveReached are the stages from which the server may have the message.
var mayHaveReached = []string{StageData, StageAccepted}

// InsertMail puts a mail in the outbox.
func (r Outbox) InsertMail(ctx context.Context, m *Mail) error {
	if err := r.q(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("insert mail %s: %w", m.ID, err)
	}
	return nil
}

// Mail reads one mail; ErrNotFound when there is none.
func (r Outbox) Mail(ctx context.Context, id string) (*Mail, error) {
	var m Mail
	err := r.q(ctx).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// Attempts are the delivery attempts of a mail, by number.
func (r Outbox) Attempts(ctx context.Context, mailID string) ([]MailAttempt, error) {
	var rows []MailAttempt
	if err := r.q(ctx).Where("mail_id = ?", mailID).Order("number").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the attempts of mail %s: %w", mailID, err)
	}
	return rows, nil
}

// MailProgress is how far a mail's delivery is: its status and the attempts started.
type MailProgress struct {
	Status   string
	Attempts int
}

// Progress reads a mail's status and attempt count; ErrNotFound when there is no such mail.
func (r Outbox) Progress(ctx context.Context, id string) (MailProgress, error) {
	var m Mail
	err := r.q(ctx).Select("status", "attempts").Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return MailProgress{}, ErrNotFound
	}
	if err != nil {
		return MailProgress{}, err
	}
	return MailProgress{Status: m.Status, Attempts: m.Attempts}, nil
}

// InterruptUnfinished marks every attempt of a mail still without an outcome interrupted, with text.
func (r Outbox) InterruptUnfinished(ctx context.Context, mailID, text string) error {
	return r.q(ctx).Model(&MailAttempt{}).Where("mail_id = ? AND outcome = ''", mailID).
		Updates(map[string]any{"outcome": AttemptInterrupted, "error_text": text}).Error
}

// CountAttempt moves a mail's attempt count from from to from+1, and reports false when it was not from any
// more (another attempt started meanwhile).
func (r Outbox) CountAttempt(ctx context.Context, mailID string, from int) (bool, error) {
	res := r.q(ctx).Model(&Mail{}).Where("id = ? AND attempts = ?", mailID, from).Update("attempts", from+1)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}

// InsertAttempt records a new attempt.
func (r Outbox) InsertAttempt(ctx context.Context, a *MailAttempt) error {
	return r.q(ctx).Create(a).Error
}

// SetAttemptStage records the stage attempt n of a mail got to.
func (r Outbox) SetAttemptStage(ctx context.Context, mailID string, n int, stage string) error {
	return r.q(ctx).Model(&MailAttempt{}).Where("mail_id = ? AND number = ?", mailID, n).Update("stage", stage).Error
}

// AttemptEnd is how an attempt ended.
type AttemptEnd struct {
	Outcome, Stage string
	FinishedAt     time.Time
	ErrorText      string
}

// FinishAttempt records how attempt n of a mail ended.
func (r Outbox) FinishAttempt(ctx context.Context, mailID string, n int, end AttemptEnd) error {
	return r.q(ctx).Model(&MailAttempt{}).Where("mail_id = ? AND number = ?", mailID, n).Updates(map[string]any{
		"outcome": end.Outcome, "stage": end.Stage, "finished_at": end.FinishedAt, "error_text": end.ErrorText}).Error
}

// MarkSent marks a mail still to be delivered sent by attempt n, possibly duplicated when another attempt
// that may have reached the server did not finish. It reports false when the mail was sent or set aside
// already.
func (r Outbox) MarkSent(ctx context.Context, mailID string, n int, at time.Time) (bool, error) {
	res := r.q(ctx).Model(&Mail{}).Where("id = ? AND status NOT IN ?", mailID, done).
		Updates(map[string]any{"status": MailSent, "sent_at": at, "last_error": "",
			"possibly_duplicated": gorm.Expr("EXISTS (SELECT 1 FROM mail_attempts a WHERE a.mail_id = ? AND a.number <> ? "+
				"AND a.outcome IN ? AND a.stage IN ?)", mailID, n, []string{"", AttemptInterrupted}, mayHaveReached)})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}

// MarkSentTwice marks a mail that is sent already possibly duplicated: another attempt sent it too.
func (r Outbox) MarkSentTwice(ctx context.Context, mailID string) error {
	return r.q(ctx).Model(&Mail{}).Where("id = ? AND status = ?", mailID, MailSent).Update("possibly_duplicated", true).Error
}

// SetOutcome records the last error of a mail still to be delivered and, unless status is empty, its
// status. A mail marked sent or not sent meanwhile stays as it is.
func (r Outbox) SetOutcome(ctx context.Context, mailID, status, lastError string) error {
	fields := map[string]any{"last_error": lastError}
	if status != "" {
		fields["status"] = status
	}
	return r.q(ctx).Model(&Mail{}).Where("id = ? AND status NOT IN ?", mailID, done).Updates(fields).Error
}

// Requeue makes a failed or not sent mail queued again, and reports false when the mail is in another status.
func (r Outbox) Requeue(ctx context.Context, mailID string) (bool, error) {
	res := r.q(ctx).Model(&Mail{}).Where("id = ? AND status IN ?", mailID, []string{MailFailed, MailNotSent}).
		Updates(map[string]any{"status": MailQueued, "last_error": ""})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}
