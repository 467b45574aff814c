package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Reads that tests make to check what the server wrote: whole tables in a fixed order, and the few rows a
// test looks for by the workflow, record or address it knows. The application itself never needs them.

// CountWhere counts the rows of a model's table that match cond (a WHERE clause with ? placeholders, args
// after it); an empty cond counts them all.
func (db *DB) CountWhere(ctx context.Context, model any, cond string, args ...any) (int64, error) {
	q := db.repo().q(ctx).Model(model)
	if cond != "" {
		q = q.Where(cond, args...)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %T where %q: %w", model, cond, err)
	}
	return n, nil
}

// JobArgs are the arguments of every River job, as the database's text.
func (db *DB) JobArgs(ctx context.Context) ([]string, error) {
	var out []string
	if err := db.repo().q(ctx).Table("river_job").Order("id").Pluck("CAST(args AS TEXT)", &out).Error; err != nil {
		return nil, fmt.Errorf("read the arguments of the jobs: %w", err)
	}
	return out, nil
}

// IDsOfWorkflow are the ids of a workflow's executions, oldest first.
func (r Executions) IDsOfWorkflow(ctx context.Context, workflowID string) ([]string, error) {
	var ids []string
	err := r.q(ctx).Model(&Execution{}).Where("workflow_id = ?", workflowID).Order("started_at, id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list the executions of %s: %w", workflowID, err)
	}
	return ids, nil
}

// CountOfWorkflow counts a workflow's executions.
func (r Executions) CountOfWorkflow(ctx context.Context, workflowID string) (int64, error) {
	var n int64
	if err := r.q(ctx).Model(&Execution{}).Where("workflow_id = ?", workflowID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count the executions of %s: %w", workflowID, err)
	}
	return n, nil
}

// All are every execution, by id.
func (r Executions) All(ctx context.Context) ([]Execution, error) {
	var out []Execution
	if err := r.q(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read the executions: %w", err)
	}
	return out, nil
}

// AllLogs are every execution's log entries, in the order they were written.
func (r Executions) AllLogs(ctx context.Context) ([]LogRow, error) {
	var out []LogRow
	if err := r.q(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read the execution log: %w", err)
	}
	return out, nil
}

// AllDefinitions are the definitions of every stored workflow version, by workflow and version.
func (r Workflows) AllDefinitions(ctx context.Context) ([]string, error) {
	var out []string
	err := r.q(ctx).Model(&WorkflowVersion{}).Order("workflow_id, version").Pluck("definition", &out).Error
	if err != nil {
		return nil, fmt.Errorf("read the workflow definitions: %w", err)
	}
	return out, nil
}

// PendingEvents counts the events not dispatched yet.
func (r Triggers) PendingEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := r.q(ctx).Model(&Event{}).Where("dispatched_at IS NULL").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count the events awaiting dispatch: %w", err)
	}
	return n, nil
}

// DeliveryOfWorkflow is an event delivery to a workflow (the one, when a test sent one event); ErrNotFound
// when there is none.
func (r Triggers) DeliveryOfWorkflow(ctx context.Context, workflowID string) (*EventDelivery, error) {
	var d EventDelivery
	err := r.q(ctx).Where("workflow_id = ?", workflowID).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("event delivery to %s: %w", workflowID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read an event delivery to %s: %w", workflowID, err)
	}
	return &d, nil
}

// CountDeliveries counts the event deliveries to a workflow that ended in status.
func (r Triggers) CountDeliveries(ctx context.Context, workflowID, status string) (int64, error) {
	var n int64
	err := r.q(ctx).Model(&EventDelivery{}).Where("workflow_id = ? AND status = ?", workflowID, status).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count the %s deliveries to %s: %w", status, workflowID, err)
	}
	return n, nil
}

// AllFires are the claimed fires of every schedule, oldest first.
func (r Triggers) AllFires(ctx context.Context) ([]ScheduleFire, error) {
	var out []ScheduleFire
	if err := r.q(ctx).Order("scheduled_for, workflow_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read the schedule fires: %w", err)
	}
	return out, nil
}

// EventTypesOf are the types of a record's events, oldest first.
func (r CRMRecords) EventTypesOf(ctx context.Context, entityID string) ([]string, error) {
	var out []string
	err := r.q(ctx).Model(&Event{}).Where("entity_id = ?", entityID).Order("created_at, id").Pluck("type", &out).Error
	if err != nil {
		return nil, fmt.Errorf("list the event types of %s: %w", entityID, err)
	}
	return out, nil
}

// EventOf is an event of a type about a record; ErrNotFound when there is none.
func (r CRMRecords) EventOf(ctx context.Context, entityID, eventType string) (*Event, error) {
	var ev Event
	err := r.q(ctx).Where("entity_id = ? AND type = ?", entityID, eventType).Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("%s event of %s: %w", eventType, entityID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read the %s event of %s: %w", eventType, entityID, err)
	}
	return &ev, nil
}

// TasksOfExecution are the CRM tasks an execution created, by title.
func (r CRMRecords) TasksOfExecution(ctx context.Context, executionID string) ([]CRMTask, error) {
	var out []CRMTask
	if err := r.q(ctx).Where("execution_id = ?", executionID).Order("title, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list the CRM tasks of execution %s: %w", executionID, err)
	}
	return out, nil
}

// SignInAddresses are the addresses of every recorded sign-in attempt, one per attempt.
func (r Users) SignInAddresses(ctx context.Context) ([]string, error) {
	var out []string
	if err := r.q(ctx).Model(&LoginAttempt{}).Order("id").Pluck("ip", &out).Error; err != nil {
		return nil, fmt.Errorf("list the sign-in addresses: %w", err)
	}
	return out, nil
}

// MailTo is a mail of the outbox to an address (the one, when a test sent one); ErrNotFound when there is
// none.
func (r Outbox) MailTo(ctx context.Context, address string) (*Mail, error) {
	var m Mail
	err := r.q(ctx).Where("to_address = ?", address).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("mail to %s: %w", address, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read a mail to %s: %w", address, err)
	}
	return &m, nil
}

// FinishedJobsOfKind counts the River jobs of a kind that have finished their work (completed).
func (db *DB) FinishedJobsOfKind(ctx context.Context, kind string) (int64, error) {
	var n int64
	if err := db.repo().q(ctx).Table("river_job").Where("kind = ? AND state = 'completed'", kind).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count the completed %s jobs: %w", kind, err)
	}
	return n, nil
}
