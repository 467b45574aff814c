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

// TodoOfRun is a CRM to-do a run made, as the run's page lists it.
type TodoOfRun struct {
	ID       string
	Title    string
	Status   string
	Assignee string // the assignee's email, "" for none
}

// TodosOfExecution are the CRM to-dos an execution made, in the order it made them.
func (r CRMRecords) TodosOfExecution(ctx context.Context, executionID string) ([]TodoOfRun, error) {
	var out []TodoOfRun
	err := r.q(ctx).Table("crm_tasks").
		Select("crm_tasks.id, crm_tasks.title, crm_tasks.status, COALESCE(users.email, '') AS assignee").
		Joins("LEFT JOIN users ON users.id = crm_tasks.assignee_id").
		Where("crm_tasks.execution_id = ?", executionID).Order("crm_tasks.created_at, crm_tasks.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list the to-dos of execution %s: %w", executionID, err)
	}
	return out, nil
}
