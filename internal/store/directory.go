package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// UserByEmail finds an enabled user by email address (case-insensitive).
func (db *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := db.gdb.WithContext(ctx).Where("email = ? AND disabled_at IS NULL", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("user %q: %w", email, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %q: %w", email, err)
	}
	return &u, nil
}

// WorkingCalendar is the working calendar as JSON in which a person's business time counts: their team's,
// else the company's ("" when neither has one).
func (db *DB) WorkingCalendar(ctx context.Context, userID int64) (string, error) {
	return db.Teams().CalendarOfUser(ctx, userID)
}

// EmailTemplate finds a mail template by name.
func (db *DB) EmailTemplate(ctx context.Context, name string) (*EmailTemplate, error) {
	var t EmailTemplate
	err := db.gdb.WithContext(ctx).Where("name = ?", name).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("email template %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find email template %q: %w", name, err)
	}
	return &t, nil
}

// EmailTemplates lists the stored mail templates by name.
func (db *DB) EmailTemplates(ctx context.Context) ([]EmailTemplate, error) {
	var out []EmailTemplate
	if err := db.gdb.WithContext(ctx).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list email templates: %w", err)
	}
	return out, nil
}

// EmailTemplateNames lists the names of the stored mail templates.
func (db *DB) EmailTemplateNames(ctx context.Context) ([]string, error) {
	var names []string
	if err := db.gdb.WithContext(ctx).Model(&EmailTemplate{}).Order("name").Pluck("name", &names).Error; err != nil {
		return nil, fmt.Errorf("list email templates: %w", err)
	}
	return names, nil
}
