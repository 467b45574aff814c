package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RecordChange is one field a change of a CRM record changed (the record's journey, and undo).
type RecordChange struct {
	ID          int64 `gorm:"primaryKey"`
	Entity      string
	RecordID    string
	Field       string
	BeforeValue JSON
	AfterValue  JSON
	ChangedBy   string
	ExecutionID string // the run whose step changed it; "" for a person
	StepID      string
	ChangedAt   time.Time
	UndoneBy    string
	UndoneAt    *time.Time
}

// AddRecordChanges stores the fields a change changed.
func (r CRMRecords) AddRecordChanges(ctx context.Context, rows []RecordChange) error {
	if len(rows) == 0 {
		return nil
	}
	if err := r.q(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("record the changed fields: %w", err)
	}
	return nil
}

// RecordChanges lists the newest field changes of a record, newest first.
func (r CRMRecords) RecordChanges(ctx context.Context, entity, id string, limit int) ([]RecordChange, error) {
	var out []RecordChange
	err := r.q(ctx).Where("entity = ? AND record_id = ?", entity, id).Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("read the changes of %s %s: %w", entity, id, err)
	}
	return out, nil
}

// RecordChangeByID reads one field change; ErrNotFound when there is none.
func (r CRMRecords) RecordChangeByID(ctx context.Context, id int64) (*RecordChange, error) {
	var c RecordChange
	err := r.q(ctx).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read change %d: %w", id, err)
	}
	return &c, nil
}

// LaterChange is the newest change of the same field after c, if any.
func (r CRMRecords) LaterChange(ctx context.Context, c *RecordChange) (*RecordChange, error) {
	var later RecordChange
	err := r.q(ctx).Where("entity = ? AND record_id = ? AND field = ? AND id > ?", c.Entity, c.RecordID, c.Field, c.ID).
		Order("id DESC").Take(&later).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the later changes of %s %s: %w", c.Entity, c.RecordID, err)
	}
	return &later, nil
}

// MarkUndone marks a change undone by whom, unless it was undone already (ErrItemTaken then).
func (r CRMRecords) MarkUndone(ctx context.Context, id int64, by string, at time.Time) error {
	res := r.q(ctx).Model(&RecordChange{}).Where("id = ? AND undone_at IS NULL", id).Updates(map[string]any{"undone_by": by, "undone_at": at})
	if res.Error != nil {
		return fmt.Errorf("mark change %d undone: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrItemTaken
	}
	return nil
}

type originKey struct{}

// ChangeOrigin is the run and step a change of a CRM record comes from (update_record), for its journey and
// undo; zero for a person's change.
type ChangeOrigin struct{ ExecutionID, StepID string }

// WithChangeOrigin says that the record changes made with ctx come from a run's step.
func WithChangeOrigin(ctx context.Context, o ChangeOrigin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// ChangeOriginOf is the origin WithChangeOrigin put in ctx.
func ChangeOriginOf(ctx context.Context) ChangeOrigin {
	o, _ := ctx.Value(originKey{}).(ChangeOrigin)
	return o
}

// JourneyOfRuns is what runs did, for a record's journey: their steps' ends, their mails and their tasks.
type JourneyOfRuns struct {
	Logs  []LogRow
	Mails []Mail
	Tasks []HumanTask
}

// JourneyOf reads the step ends (completed, failed, skipped), mails and human tasks of the executions ids,
// up to limit of each.
func (r Executions) JourneyOf(ctx context.Context, ids []string, limit int) (*JourneyOfRuns, error) {
	out := &JourneyOfRuns{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := r.q(ctx).Where("execution_id IN ? AND action IN ?", ids, []string{"completed", "failed", "skipped"}).
		Order("id DESC").Limit(limit).Find(&out.Logs).Error; err != nil {
		return nil, fmt.Errorf("read the runs' steps: %w", err)
	}
	if err := r.q(ctx).Select("id", "execution_id", "step_id", "to_address", "subject", "status", "created_at", "sent_at").
		Where("execution_id IN ?", ids).Order("created_at DESC").Limit(limit).Find(&out.Mails).Error; err != nil {
		return nil, fmt.Errorf("read the runs' mails: %w", err)
	}
	if err := r.q(ctx).Select("id", "execution_id", "step_id", "title", "assignee", "status", "created_at", "completed_at", "completed_by").
		Where("execution_id IN ?", ids).Order("created_at DESC").Limit(limit).Find(&out.Tasks).Error; err != nil {
		return nil, fmt.Errorf("read the runs' tasks: %w", err)
	}
	return out, nil
}
