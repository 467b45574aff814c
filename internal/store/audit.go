package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one thing a person did that the audit log keeps.
type AuditEntry struct {
	ID          int64 `gorm:"primaryKey"`
	At          time.Time
	Actor       string
	Action      string
	Entity      string
	EntityID    string
	BeforeValue JSON
	AfterValue  JSON
}

// TableName implements gorm's Tabler.
func (AuditEntry) TableName() string { return "audit_log" }

// AuditFilter narrows the audit log; zero fields do not narrow it.
type AuditFilter struct {
	Entity, EntityID, Actor string
	Since                   time.Time
	Limit, Offset           int
}

// AddAudit stores an entry.
func (db *DB) AddAudit(ctx context.Context, e *AuditEntry) error {
	if err := db.gdb.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("write the audit log: %w", err)
	}
	return nil
}

// Audit lists the entries f matches, newest first, and how many match in all.
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, int64, error) {
	q := db.gdb.WithContext(ctx).Model(&AuditEntry{})
	if f.Entity != "" {
		q = q.Where("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count the audit log: %w", err)
	}
	var out []AuditEntry
	if err := q.Order("id DESC").Limit(f.Limit).Offset(f.Offset).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("read the audit log: %w", err)
	}
	return out, total, nil
}
