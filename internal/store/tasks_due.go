package store

import (
	"context"
	"fmt"
	"time"
)

// TaskDueQuery narrows the tasks whose due dates are counted: a workflow's (of one version, or of every one
// with Version 0), made in [From, To] (From nil: since the start; To is now, so a task made this instant
// counts), test runs' left out unless asked for. Now decides which
// open tasks are overdue.
type TaskDueQuery struct {
	WorkflowID string
	Version    int
	From       *time.Time
	To, Now    time.Time
	// WithTests counts test runs' tasks as well, OnlyTests them alone; neither leaves them out.
	WithTests, OnlyTests bool
}

// TaskDueRow counts a step's tasks with a due date for one person: done by the due date, done after it,
// open past it, and open with time left. Who is whoever completed the task, else whoever holds it ("" for a
// task waiting in a team's queue).
type TaskDueRow struct {
	StepID, Who                  string
	InTime, Late, Overdue, InDue int64
}

// TaskDue counts the tasks with a due date by step and person. Cancelled tasks are left out: nobody had to
// do them.
func (r Tasks) TaskDue(ctx context.Context, tq TaskDueQuery) ([]TaskDueRow, error) {
	q := r.q(ctx).Table("human_tasks AS t").
		Select(`t.step_id AS step_id,
			CASE WHEN t.status = ? THEN t.completed_by ELSE t.assignee END AS who,
			SUM(CASE WHEN t.status = ? AND t.completed_at <= t.due_at THEN 1 ELSE 0 END) AS in_time,
			SUM(CASE WHEN t.status = ? AND t.completed_at > t.due_at THEN 1 ELSE 0 END) AS late,
			SUM(CASE WHEN t.status = ? AND t.due_at < ? THEN 1 ELSE 0 END) AS overdue,
			SUM(CASE WHEN t.status = ? AND t.due_at >= ? THEN 1 ELSE 0 END) AS in_due`,
			taskCompleted, taskCompleted, taskCompleted, taskOpen, tq.Now, taskOpen, tq.Now).
		Where("t.workflow_id = ? AND t.due_at IS NOT NULL AND t.status IN ?", tq.WorkflowID, []string{taskOpen, taskCompleted}).
		Where("t.created_at <= ?", tq.To)
	if !tq.WithTests {
		q = q.Where("t.test = ?", tq.OnlyTests)
	}
	if tq.From != nil {
		q = q.Where("t.created_at >= ?", *tq.From)
	}
	if tq.Version != 0 {
		q = q.Where("t.execution_id IN (SELECT id FROM executions WHERE workflow_id = ? AND workflow_version = ?)", tq.WorkflowID, tq.Version)
	}
	var rows []TaskDueRow
	if err := q.Group("t.step_id, who").Order("t.step_id, who").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count tasks by due date: %w", err)
	}
	return rows, nil
}
