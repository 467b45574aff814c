package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Event is something that happened — a CRM change or an event posted to the API — recorded in the
// transaction that made it happen, then dispatched to the workflows whose trigger names its type.
type Event struct {
	ID           string `gorm:"primaryKey"`
	Type         string
	Entity       string
	EntityID     string
	Payload      JSON
	Source       string // crm, api
	CreatedBy    string
	CreatedAt    time.Time
	DispatchedAt *time.Time
}

// EventDelivery records what an event did to one workflow; its key makes each start happen once.
type EventDelivery struct {
	EventID     string `gorm:"primaryKey"`
	WorkflowID  string `gorm:"primaryKey"`
	ExecutionID *string
	Status      string // started, filtered (the filter said no), rejected (variables did not fit)
	Reason      string
	CreatedAt   time.Time
}

// Event delivery statuses.
const (
	DeliveryStarted  = "started"
	DeliveryFiltered = "filtered"
	DeliveryRejected = "rejected"
)

// ScheduleFire is one claimed fire of a scheduled trigger.
type ScheduleFire struct {
	WorkflowID   string    `gorm:"primaryKey"`
	ScheduledFor time.Time `gorm:"primaryKey"`
	ExecutionID  *string
	FiredAt      time.Time
}

// Webhook is a webhook workflow's secret address (Token) and signing secret.
type Webhook struct {
	WorkflowID    string `gorm:"primaryKey"`
	Token         string
	SigningSecret string
	CreatedAt     time.Time
	RotatedAt     *time.Time
}

// WebhookDelivery is a delivery id seen by a webhook.
type WebhookDelivery struct {
	WorkflowID  string `gorm:"primaryKey"`
	DeliveryID  string `gorm:"primaryKey"`
	ExecutionID *string
	ReceivedAt  time.Time
}

// LockEvent reads an event to dispatch it, locking its row on PostgreSQL so two dispatches of one event take
// turns (SQLite has one writer anyway); ErrNotFound when it is gone.
func (r Triggers) LockEvent(ctx context.Context, id string) (*Event, error) {
	q := r.q(ctx)
	if r.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var ev Event
	err := q.Where("id = ?", id).Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load event %s: %w", id, err)
	}
	return &ev, nil
}

// RecordEvent inserts an event.
func (r Triggers) RecordEvent(ctx context.Context, ev *Event) error {
	return r.q(ctx).Create(ev).Error
}

// MarkDispatched records when an event was dispatched.
func (r Triggers) MarkDispatched(ctx context.Context, eventID string, at time.Time) error {
	return r.q(ctx).Model(&Event{}).Where("id = ?", eventID).UpdateColumn("dispatched_at", at).Error
}

// WorkflowsForEvent are the enabled workflows with an active version whose trigger is of triggerType and
// names event, by id.
func (r Triggers) WorkflowsForEvent(ctx context.Context, triggerType, event string) ([]Workflow, error) {
	var wfs []Workflow
	err := r.q(ctx).Where("trigger_type = ? AND trigger_event = ? AND enabled AND active_version IS NOT NULL",
		triggerType, event).Order("id").Find(&wfs).Error
	return wfs, err
}

// WorkflowsTriggeredBy are the enabled workflows with an active version whose trigger is of triggerType, by id.
func (r Triggers) WorkflowsTriggeredBy(ctx context.Context, triggerType string) ([]Workflow, error) {
	var wfs []Workflow
	err := r.q(ctx).Where("trigger_type = ? AND enabled AND active_version IS NOT NULL", triggerType).
		Order("id").Find(&wfs).Error
	return wfs, err
}

// ClaimDelivery inserts an event's delivery to a workflow unless it is there already, and reports whether
// it inserted it: each (event, workflow) is handled once.
func (r Triggers) ClaimDelivery(ctx context.Context, d *EventDelivery) (bool, error) {
	res := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(d)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}

// SetDeliveryStatus changes the status and reason of an event's delivery to a workflow.
func (r Triggers) SetDeliveryStatus(ctx context.Context, eventID, workflowID, status, reason string) error {
	return r.q(ctx).Model(&EventDelivery{}).Where("event_id = ? AND workflow_id = ?", eventID, workflowID).
		UpdateColumns(map[string]any{"status": status, "reason": reason}).Error
}

// SetDeliveryExecution records the execution an event's delivery started.
func (r Triggers) SetDeliveryExecution(ctx context.Context, eventID, workflowID, executionID string) error {
	return r.q(ctx).Model(&EventDelivery{}).Where("event_id = ? AND workflow_id = ?", eventID, workflowID).
		UpdateColumn("execution_id", executionID).Error
}

// ClaimFire inserts a schedule's fire unless it is there already, and reports whether it inserted it: of the
// instances looking at a schedule, one claims each fire.
func (r Triggers) ClaimFire(ctx context.Context, f *ScheduleFire) (bool, error) {
	res := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(f)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}

// SetFireExecution records the execution a fire started.
func (r Triggers) SetFireExecution(ctx context.Context, workflowID string, scheduledFor time.Time, executionID string) error {
	return r.q(ctx).Model(&ScheduleFire{}).Where("workflow_id = ? AND scheduled_for = ?", workflowID, scheduledFor).
		UpdateColumn("execution_id", executionID).Error
}

// LastFire is the latest claimed fire of a workflow's schedule; ErrNotFound when none was.
func (r Triggers) LastFire(ctx context.Context, workflowID string) (time.Time, error) {
	var last ScheduleFire
	err := r.q(ctx).Where("workflow_id = ?", workflowID).Order("scheduled_for DESC").Take(&last).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, err
	}
	return last.ScheduledFor, nil
}

// Deliveries are what an event did to each workflow, by workflow.
func (r Triggers) Deliveries(ctx context.Context, eventID string) ([]EventDelivery, error) {
	var out []EventDelivery
	if err := r.q(ctx).Where("event_id = ?", eventID).Order("workflow_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read the deliveries of event %s: %w", eventID, err)
	}
	return out, nil
}

// Fires are the claimed fires of a workflow's schedule, oldest first.
func (r Triggers) Fires(ctx context.Context, workflowID string) ([]ScheduleFire, error) {
	var out []ScheduleFire
	if err := r.q(ctx).Where("workflow_id = ?", workflowID).Order("scheduled_for").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read the fires of %s: %w", workflowID, err)
	}
	return out, nil
}
