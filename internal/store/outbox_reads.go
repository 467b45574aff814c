package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The outbox as the use cases see it: send_email queues a mail with its step, and the outbox pages read
// mails and their delivery attempts. The mailer's own reads and writes are elsewhere.

// QueueMail inserts a mail unless its idempotency key is queued already (an earlier run of the same step
// activation); false then, and nothing is written.
func (r Outbox) QueueMail(ctx context.Context, m *Mail) (bool, error) {
	res := r.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "idempotency_key"}},
		DoNothing: true,
	}).Create(m)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}

// MailFilter narrows a list of mails; zero fields do not narrow it.
type MailFilter struct {
	ExecutionID   string
	Status        string
	Limit, Offset int
}

// ListMails lists the mails f asks for, newest first, and how many match in all.
func (r Outbox) ListMails(ctx context.Context, f MailFilter) ([]Mail, int64, error) {
	q := r.q(ctx).Model(&Mail{})
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
	var rows []Mail
	if err := q.Order("created_at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list mails: %w", err)
	}
	return rows, total, nil
}

// ReadMail reads one mail; ErrNotFound when there is none.
func (r Outbox) ReadMail(ctx context.Context, id string) (*Mail, error) {
	var m Mail
	err := r.q(ctx).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("mail %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load mail %s: %w", id, err)
	}
	return &m, nil
}

// AttemptsOf reads the delivery attempts of the given mails, oldest first, by mail.
func (r Outbox) AttemptsOf(ctx context.Context, mailIDs []string) (map[string][]MailAttempt, error) {
	out := map[string][]MailAttempt{}
	if len(mailIDs) == 0 {
		return out, nil
	}
	var rows []MailAttempt
	if err := r.q(ctx).Where("mail_id IN ?", mailIDs).Order("mail_id, number").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load mail attempts: %w", err)
	}
	for _, a := range rows {
		out[a.MailID] = append(out[a.MailID], a)
	}
	return out, nil
}

// CountByStatus says how many mails the outbox holds in each status.
func (r Outbox) CountByStatus(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	if err := r.q(ctx).Model(&Mail{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count mails: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
