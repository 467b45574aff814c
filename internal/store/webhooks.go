package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A webhook workflow's secret address and signing secret, and the deliveries it has seen.

// WebhookOf reads a workflow's webhook; ErrNotFound when it has none yet.
func (r Triggers) WebhookOf(ctx context.Context, workflowID string) (*Webhook, error) {
	return r.webhookWhere(ctx, "workflow_id = ?", workflowID)
}

// WebhookByToken finds the webhook at a secret address; ErrNotFound when there is none (it may have been
// rotated).
func (r Triggers) WebhookByToken(ctx context.Context, token string) (*Webhook, error) {
	return r.webhookWhere(ctx, "token = ?", token)
}

func (r Triggers) webhookWhere(ctx context.Context, cond string, arg any) (*Webhook, error) {
	var hook Webhook
	err := r.q(ctx).Where(cond, arg).Take(&hook).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("webhook: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &hook, nil
}

// CreateWebhook inserts a workflow's webhook unless it has one already (another transaction created it at
// the same moment), and returns the one it has.
func (r Triggers) CreateWebhook(ctx context.Context, hook *Webhook) (*Webhook, error) {
	if err := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(hook).Error; err != nil {
		return nil, fmt.Errorf("create the webhook of %s: %w", hook.WorkflowID, err)
	}
	var stored Webhook
	err := r.q(ctx).Where("workflow_id = ?", hook.WorkflowID).Take(&stored).Error
	return &stored, err
}

// SaveWebhook writes every column of a webhook (a rotation).
func (r Triggers) SaveWebhook(ctx context.Context, hook *Webhook) error {
	if err := r.q(ctx).Save(hook).Error; err != nil {
		return fmt.Errorf("rotate the webhook of %s: %w", hook.WorkflowID, err)
	}
	return nil
}

// ClaimWebhookDelivery records a delivery id a webhook received; false when it was received before.
func (r Triggers) ClaimWebhookDelivery(ctx context.Context, d *WebhookDelivery) (bool, error) {
	res := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(d)
	if res.Error != nil {
		return false, fmt.Errorf("record delivery: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// SetWebhookDeliveryExecution records the run a webhook delivery started.
func (r Triggers) SetWebhookDeliveryExecution(ctx context.Context, d *WebhookDelivery, executionID string) error {
	err := r.q(ctx).Model(&WebhookDelivery{}).Where("workflow_id = ? AND delivery_id = ?", d.WorkflowID, d.DeliveryID).
		UpdateColumn("execution_id", executionID).Error
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	d.ExecutionID = &executionID
	return nil
}
