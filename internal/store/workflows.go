package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The workflows, their versions and drafts. A version is immutable once written; publishing archives the
// version published before and makes the new one active.

// Workflow reads a workflow; ErrNotFound when there is none.
func (r Workflows) Workflow(ctx context.Context, id string) (*Workflow, error) {
	var wf Workflow
	err := r.q(ctx).Where("id = ?", id).Take(&wf).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("workflow %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load workflow %s: %w", id, err)
	}
	return &wf, nil
}

// Exists says whether there is a workflow with the id.
func (r Workflows) Exists(ctx context.Context, id string) (bool, error) {
	var n int64
	if err := r.q(ctx).Model(&Workflow{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return false, err
	}
	return n > 0, nil
}

// CreateWorkflow inserts a new workflow (without versions).
func (r Workflows) CreateWorkflow(ctx context.Context, wf *Workflow) error {
	if err := r.q(ctx).Create(wf).Error; err != nil {
		return fmt.Errorf("create workflow %s: %w", wf.ID, err)
	}
	return nil
}

// AddVersion inserts v as the workflow's newest version and moves its latest version there, provided the
// latest version is still previous. False when another save got there first: the caller rolls back.
func (r Workflows) AddVersion(ctx context.Context, v *WorkflowVersion, previous int, now time.Time) (bool, error) {
	db := r.q(ctx)
	if err := db.Create(v).Error; err != nil {
		return false, fmt.Errorf("save workflow %s version %d: %w", v.WorkflowID, v.Version, err)
	}
	res := db.Model(&Workflow{}).Where("id = ? AND latest_version = ?", v.WorkflowID, previous).
		UpdateColumns(map[string]any{"latest_version": v.Version, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("save workflow %s: %w", v.WorkflowID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// PublishVersion marks a version published at now and archives the version published before.
func (r Workflows) PublishVersion(ctx context.Context, id string, version int, now time.Time) error {
	db := r.q(ctx)
	err := db.Model(&WorkflowVersion{}).Where("workflow_id = ? AND status = ? AND version <> ?", id, VersionPublished, version).
		UpdateColumn("status", VersionArchived).Error
	if err != nil {
		return fmt.Errorf("publish %s v%d: %w", id, version, err)
	}
	err = db.Model(&WorkflowVersion{}).Where("workflow_id = ? AND version = ?", id, version).
		UpdateColumns(map[string]any{"status": VersionPublished, "published_at": now}).Error
	if err != nil {
		return fmt.Errorf("publish %s v%d: %w", id, version, err)
	}
	return nil
}

// Activation is what a workflow's row takes over from the version published.
type Activation struct {
	Version      int
	Name         string
	Description  string
	TriggerType  string
	TriggerEvent string
	At           time.Time
}

// Activate makes a published version the one new runs and triggers use.
func (r Workflows) Activate(ctx context.Context, id string, a Activation) error {
	err := r.q(ctx).Model(&Workflow{}).Where("id = ?", id).UpdateColumns(map[string]any{
		"active_version": a.Version, "name": a.Name, "description": a.Description,
		"trigger_type": a.TriggerType, "trigger_event": a.TriggerEvent, "updated_at": a.At,
	}).Error
	if err != nil {
		return fmt.Errorf("publish %s v%d: %w", id, a.Version, err)
	}
	return nil
}

// Version reads one version of a workflow; ErrNotFound when there is none.
func (r Workflows) Version(ctx context.Context, id string, version int) (*WorkflowVersion, error) {
	var row WorkflowVersion
	err := r.q(ctx).Where("workflow_id = ? AND version = ?", id, version).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("workflow %s version %d: %w", id, version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load workflow %s version %d: %w", id, version, err)
	}
	return &row, nil
}

// Versions lists a workflow's versions without their definitions, newest first.
func (r Workflows) Versions(ctx context.Context, id string) ([]WorkflowVersion, error) {
	var rows []WorkflowVersion
	if err := r.q(ctx).Select("version", "status", "created_by", "created_at", "published_at").
		Where("workflow_id = ?", id).Order("version DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", id, err)
	}
	return rows, nil
}

// VersionDefinitions reads the given versions of a workflow (version and definition only), in no order;
// versions that do not exist are left out.
func (r Workflows) VersionDefinitions(ctx context.Context, id string, versions []int) ([]WorkflowVersion, error) {
	var rows []WorkflowVersion
	err := r.q(ctx).Select("version", "definition").Where("workflow_id = ? AND version IN ?", id, versions).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load the versions of %s: %w", id, err)
	}
	return rows, nil
}

// PublishedDefinitions reads the published versions of the given workflows (workflow, version and
// definition only).
func (r Workflows) PublishedDefinitions(ctx context.Context, ids []string) ([]WorkflowVersion, error) {
	var rows []WorkflowVersion
	err := r.q(ctx).Select("workflow_id", "version", "definition").
		Where("workflow_id IN ? AND status = ?", ids, VersionPublished).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read the webhook settings of the workflows: %w", err)
	}
	return rows, nil
}

// CountWorkflows counts the workflows.
func (r Workflows) CountWorkflows(ctx context.Context) (int64, error) {
	var total int64
	if err := r.q(ctx).Model(&Workflow{}).Count(&total).Error; err != nil {
		return 0, fmt.Errorf("count workflows: %w", err)
	}
	return total, nil
}

// ListWorkflows lists a page of the workflows by name; limit -1 lists them all.
func (r Workflows) ListWorkflows(ctx context.Context, limit, offset int) ([]Workflow, error) {
	var rows []Workflow
	q := r.q(ctx).Order("name, id")
	if limit >= 0 {
		q = q.Limit(limit).Offset(offset)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list workflows: %w", err)
	}
	return rows, nil
}

// PublishedWorkflows lists the workflows that have an active version, by name.
func (r Workflows) PublishedWorkflows(ctx context.Context) ([]Workflow, error) {
	var rows []Workflow
	if err := r.q(ctx).Where("active_version IS NOT NULL").Order("name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list published workflows: %w", err)
	}
	return rows, nil
}

// Names maps every workflow's id to its name.
func (r Workflows) Names(ctx context.Context) (map[string]string, error) {
	var rows []Workflow
	if err := r.q(ctx).Select("id", "name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list workflow names: %w", err)
	}
	names := make(map[string]string, len(rows))
	for _, w := range rows {
		names[w.ID] = w.Name
	}
	return names, nil
}

// SetEnabled turns a workflow on or off; false when there is no such workflow.
func (r Workflows) SetEnabled(ctx context.Context, id string, enabled bool, now time.Time) (bool, error) {
	res := r.q(ctx).Model(&Workflow{}).Where("id = ?", id).UpdateColumns(map[string]any{"enabled": enabled, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("enable workflow %s: %w", id, res.Error)
	}
	return res.RowsAffected > 0, nil
}
