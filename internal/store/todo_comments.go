package store

import (
	"context"
	"fmt"
)

// TodoComments are a to-do's comments (crm_task_comments), oldest first.
func (r CRMRecords) TodoComments(ctx context.Context, taskID string) ([]CRMTaskComment, error) {
	var out []CRMTaskComment
	if err := r.q(ctx).Where("crm_task_id = ?", taskID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("comments of to-do %s: %w", taskID, err)
	}
	return out, nil
}

// AddTodoComment adds a comment to a to-do.
func (r CRMRecords) AddTodoComment(ctx context.Context, c *CRMTaskComment) error {
	if err := r.q(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("comment on to-do %s: %w", c.CRMTaskID, err)
	}
	return nil
}
