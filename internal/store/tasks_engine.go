package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The task writes the engine does with its transitions: statuses are the callers' (workflow.TaskStatus).

// ByID reads one human task; ErrNotFound when there is none.
func (r Tasks) ByID(ctx context.Context, id string) (*HumanTask, error) {
	var task HumanTask
	err := r.q(ctx).Where("id = ?", id).Take(&task).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load task %s: %w", id, err)
	}
	return &task, nil
}

// MoveOfExecution gives every task of an execution that is in status from the status to.
func (r Tasks) MoveOfExecution(ctx context.Context, executionID, from, to string, now time.Time) error {
	return r.q(ctx).Model(&HumanTask{}).Where("execution_id = ? AND status = ?", executionID, from).
		UpdateColumns(map[string]any{"status": to, "updated_at": now}).Error
}

// Move gives each of the tasks ids that is in status from the status to.
func (r Tasks) Move(ctx context.Context, ids []string, from, to string, now time.Time) error {
	return r.q(ctx).Model(&HumanTask{}).Where("id IN ? AND status = ?", ids, from).
		UpdateColumns(map[string]any{"status": to, "updated_at": now}).Error
}

// TaskCompletion is a person's answer to a task.
type TaskCompletion struct {
	ID       string
	From, To string // the status the task must still have (open) and the one it gets (completed)
	Values   JSON
	By       string
	At       time.Time
}

// Complete records a task's answer if the task still has status c.From, and reports whether it did.
func (r Tasks) Complete(ctx context.Context, c TaskCompletion) (bool, error) {
	res := r.q(ctx).Model(&HumanTask{}).Where("id = ? AND status = ?", c.ID, c.From).
		UpdateColumns(map[string]any{
			"status": c.To, "values": c.Values, "completed_by": c.By, "completed_at": c.At, "updated_at": c.At,
		})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}
