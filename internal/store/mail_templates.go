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
