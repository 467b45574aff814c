package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrStale means the row changed since the version the caller read: someone saved in between.
var ErrStale = errors.New("changed since it was read")

// SaveTemplate stores a new version of a mail template. previous is the version the person edited (0 for a
// new template): ErrExists when a new template's name is taken, ErrStale when someone saved another
// version since, ErrNotFound when the template was deleted meanwhile. It returns the template as saved.
func (r Outbox) SaveTemplate(ctx context.Context, name, subject, body string, previous int, by string, now time.Time) (*EmailTemplate, error) {
	t := &EmailTemplate{Name: name, Subject: subject, Body: body, Version: previous + 1, UpdatedBy: by, UpdatedAt: now}
	err := r.q(ctx).Transaction(func(db *gorm.DB) error {
		if previous == 0 {
			var n int64
			if err := db.Model(&EmailTemplate{}).Where("name = ?", name).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return ErrExists
			}
			// A template deleted and made again starts its history again.
			if err := db.Where("name = ?", name).Delete(&EmailTemplateVersion{}).Error; err != nil {
				return err
			}
			if err := db.Create(t).Error; err != nil {
				return err
			}
		} else {
			res := db.Model(&EmailTemplate{}).Where("name = ? AND version = ?", name, previous).UpdateColumns(map[string]any{
				"subject": subject, "body": body, "version": t.Version, "updated_by": by, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				var n int64
				if err := db.Model(&EmailTemplate{}).Where("name = ?", name).Count(&n).Error; err != nil {
					return err
				}
				if n == 0 {
					return ErrNotFound
				}
				return ErrStale
			}
		}
		return db.Create(&EmailTemplateVersion{Name: name, Version: t.Version, Subject: subject, Body: body, CreatedBy: by, CreatedAt: now}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("save email template %q: %w", name, err)
	}
	return t, nil
}

// DeleteTemplate removes a mail template and its versions; ErrNotFound when there is none.
func (r Outbox) DeleteTemplate(ctx context.Context, name string) error {
	return r.q(ctx).Transaction(func(db *gorm.DB) error {
		res := db.Where("name = ?", name).Delete(&EmailTemplate{})
		if res.Error != nil {
			return fmt.Errorf("delete email template %q: %w", name, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete email template %q: %w", name, ErrNotFound)
		}
		if err := db.Where("name = ?", name).Delete(&EmailTemplateVersion{}).Error; err != nil {
			return fmt.Errorf("delete the versions of email template %q: %w", name, err)
		}
		return nil
	})
}

// TemplateVersions lists a mail template's versions, newest first.
func (r Outbox) TemplateVersions(ctx context.Context, name string) ([]EmailTemplateVersion, error) {
	var out []EmailTemplateVersion
	if err := r.q(ctx).Where("name = ?", name).Order("version DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list the versions of email template %q: %w", name, err)
	}
	return out, nil
}

// Template reads a mail template; ErrNotFound when there is none.
func (r Outbox) Template(ctx context.Context, name string) (*EmailTemplate, error) {
	var t EmailTemplate
	err := r.q(ctx).Where("name = ?", name).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("email template %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find email template %q: %w", name, err)
	}
	return &t, nil
}

// QueueNotification keeps a line for a user's digest.
func (r Outbox) QueueNotification(ctx context.Context, n *PendingNotification) error {
	if err := r.q(ctx).Create(n).Error; err != nil {
		return fmt.Errorf("keep a notification for user %d: %w", n.UserID, err)
	}
	return nil
}

// TakeNotifications reads and removes the lines waiting for a user's digest, oldest first.
func (r Outbox) TakeNotifications(ctx context.Context, userID int64) ([]PendingNotification, error) {
	var rows []PendingNotification
	if err := r.q(ctx).Where("user_id = ?", userID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the digest of user %d: %w", userID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, n := range rows {
		ids[i] = n.ID
	}
	if err := r.q(ctx).Where("id IN ?", ids).Delete(&PendingNotification{}).Error; err != nil {
		return nil, fmt.Errorf("clear the digest of user %d: %w", userID, err)
	}
	return rows, nil
}
