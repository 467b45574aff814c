package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// StoredVersion reads one version of a workflow, with its definition; ErrNotFound when there is none.
func (r Workflows) StoredVersion(ctx context.Context, workflowID string, version int) (*WorkflowVersion, error) {
	var row WorkflowVersion
	err := r.q(ctx).Where("workflow_id = ? AND version = ?", workflowID, version).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load workflow %s version %d: %w", workflowID, version, err)
	}
	return &row, nil
}

// PublishedAt is when a version was published (nil when it never was); ErrNotFound when there is no such version.
func (r Workflows) PublishedAt(ctx context.Context, workflowID string, version int) (*time.Time, error) {
	var row WorkflowVersion
	err := r.q(ctx).Select("published_at").Where("workflow_id = ? AND version = ?", workflowID, version).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return row.PublishedAt, nil
}

// SetEnabledOf switches the workflows ids on or off.
func (r Workflows) SetEnabledOf(ctx context.Context, ids []string, enabled bool) error {
	if err := r.q(ctx).Model(&Workflow{}).Where("id IN ?", ids).Update("enabled", enabled).Error; err != nil {
		return fmt.Errorf("switch workflows %v: %w", ids, err)
	}
	return nil
}
