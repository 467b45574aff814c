package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The reads and writes of human tasks and CRM to-dos that the inbox and the task pages make. The engine
// creates and completes tasks in its own commits.

// Task statuses as stored (workflow.TaskStatus spells the same).
const (
	taskOpen      = "open"
	taskCompleted = "completed"
)

// TaskOrder is the order a task list is read in.
type TaskOrder int

// Task orders: both soonest due first, undated last, then oldest first.
const (
	TaskOrderDue   TaskOrder = iota // the task list
	TaskOrderInbox                  // the inbox
)

func (o TaskOrder) sql() string {
	if o == TaskOrderInbox {
		return inboxOrder
	}
	return "CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, created_at"
}

const inboxOrder = "due_at IS NULL, due_at, created_at"

// TaskQuery narrows a list of human tasks; zero fields do not narrow it.
type TaskQuery struct {
	Status      string // open, completed, cancelled; "" for all
	ExecutionID string
	AssigneeID  *int64
	Assignee    string // the assignee's email as recorded on the task
	// QueueOf narrows to the unclaimed tasks in the queues of the teams this user is in.
	QueueOf *int64
	// Team narrows to the tasks in this team's queue, claimed or not; Unclaimed to those nobody holds.
	Team      string
	Unclaimed bool
	DueBefore *time.Time // due before this (undated tasks are left out)
	Order     TaskOrder
	Limit     int
	Offset    int
	// TestRuns says whether the tasks of test runs are left out (the default), included or the only ones;
	// a query of one execution's tasks gets them whatever it says.
	TestRuns TestRuns
}

// ListTasks lists the human tasks in scope that match tq, and how many match in all.
func (r Tasks) ListTasks(ctx context.Context, scope ReadScope, tq TaskQuery) ([]HumanTask, int64, error) {
	q := r.q(ctx).Model(&HumanTask{})
	if tq.Status != "" {
		q = q.Where("status = ?", tq.Status)
	}
	if tq.ExecutionID != "" {
		q = q.Where("execution_id = ?", tq.ExecutionID)
	} else {
		q = tq.TestRuns.tasks(q)
	}
	q = scope.tasks(q)
	if tq.AssigneeID != nil {
		q = q.Where("assignee_id = ?", *tq.AssigneeID)
	}
	if tq.Assignee != "" {
		q = q.Where("assignee = ?", tq.Assignee)
	}
	if tq.QueueOf != nil {
		q = q.Where("assignee_id IS NULL AND team IN (SELECT team_name FROM team_members WHERE user_id = ?)", *tq.QueueOf)
	}
	if tq.Team != "" {
		q = q.Where("team = ?", tq.Team)
	}
	if tq.Unclaimed {
		q = q.Where("assignee_id IS NULL")
	}
	if tq.DueBefore != nil {
		q = q.Where("due_at < ?", *tq.DueBefore)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count tasks: %w", err)
	}
	var rows []HumanTask
	if err := q.Order(tq.Order.sql()).Limit(tq.Limit).Offset(tq.Offset).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	return rows, total, nil
}

// Task reads one human task in scope; one out of scope is ErrNotFound, like one that does not exist.
func (r Tasks) Task(ctx context.Context, scope ReadScope, id string) (*HumanTask, error) {
	var row HumanTask
	err := scope.tasks(r.q(ctx).Where("id = ?", id)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load task %s: %w", id, err)
	}
	return &row, nil
}

// CompletedTasksOf reads the completed tasks of the given runs, oldest first: who was assigned, who answered
// and what (the columns hiding other people's answers needs).
func (r Tasks) CompletedTasksOf(ctx context.Context, executionIDs []string) ([]HumanTask, error) {
	var rows []HumanTask
	err := r.q(ctx).Select("id", "execution_id", "step_id", "assignee", "assignee_id", "status", "values", "completed_by").
		Where("execution_id IN ? AND status = ?", executionIDs, taskCompleted).Order("created_at").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load the answers of %d runs: %w", len(executionIDs), err)
	}
	return rows, nil
}

// Reassign gives an open task to the user (id and email) and records them as a holder of it; the one
// before stays a holder. False when the task is not open (or does not exist): nothing is changed.
func (r Tasks) Reassign(ctx context.Context, taskID string, userID int64, email string, now time.Time) (bool, error) {
	db := r.q(ctx)
	res := db.Model(&HumanTask{}).Where("id = ? AND status = ?", taskID, taskOpen).
		UpdateColumns(map[string]any{"assignee": email, "assignee_id": userID, "delegated_from": nil, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("reassign task %s: %w", taskID, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	var task HumanTask
	if err := db.Select("id", "execution_id").Where("id = ?", taskID).Take(&task).Error; err != nil {
		return false, fmt.Errorf("reassign task %s: %w", taskID, err)
	}
	holder := &TaskHolder{TaskID: task.ID, ExecutionID: task.ExecutionID, UserID: userID}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(holder).Error; err != nil {
		return false, fmt.Errorf("record %s as holder of task %s: %w", email, taskID, err)
	}
	return true, nil
}

// TodoQuery narrows the open CRM to-dos of the inbox; zero fields do not narrow it.
type TodoQuery struct {
	AssigneeID *int64
	DueBefore  *time.Time
	Limit      int
	Offset     int
}

// OpenTodos lists the open CRM to-dos in scope (a rep's are the ones assigned to them), soonest due first,
// and how many match in all.
func (r Tasks) OpenTodos(ctx context.Context, scope ReadScope, tq TodoQuery) ([]CRMTask, int64, error) {
	q := scope.crmRows(r.q(ctx).Model(&CRMTask{}).Where("status = ?", "open"), "assignee_id")
	if tq.AssigneeID != nil {
		q = q.Where("assignee_id = ?", *tq.AssigneeID)
	}
	if tq.DueBefore != nil {
		q = q.Where("due_at < ?", *tq.DueBefore)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count to-dos: %w", err)
	}
	var rows []CRMTask
	if err := q.Order(inboxOrder).Limit(tq.Limit).Offset(tq.Offset).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list to-dos: %w", err)
	}
	return rows, total, nil
}
