package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/triggers"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

var eventNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// PostedEvent is the answer to a posted event.
type PostedEvent struct {
	EventID      string   `json:"eventId"`
	ExecutionIDs []string `json:"executionIds"`
}

// PostEvent records a custom event and starts, in the same transaction, every workflow it triggers.
func (a *App) PostEvent(ctx context.Context, actor *Actor, event string, data map[string]any) (*PostedEvent, error) {
	if err := requireManager(actor, "post events"); err != nil {
		return nil, err
	}
	if !eventNameRE.MatchString(event) {
		return nil, &ValidationError{Message: "the event needs a name", Details: []Detail{{Path: "event",
			Message: fmt.Sprintf("%q is not an event name: use lower-case letters, digits and _, like deal_signed", event)}}}
	}
	if data == nil {
		data = map[string]any{}
	}
	payload, err := store.ToJSON(data)
	if err != nil {
		return nil, err
	}
	out := &PostedEvent{ExecutionIDs: []string{}}
	err = a.DB.Tx(ctx, func(tx *gorm.DB) error {
		ev := &store.Event{Type: event, Source: triggers.SourceAPI, CreatedBy: actor.Email, Payload: payload}
		ids, err := a.Triggers.PostTx(ctx, tx, ev)
		if err != nil {
			return err
		}
		out.EventID = ev.ID
		out.ExecutionIDs = append(out.ExecutionIDs, ids...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WebhookInfo is what a sender needs: the secret address and the signing secret.
type WebhookInfo struct {
	WorkflowID       string `json:"workflowId"`
	URL              string `json:"url"`
	Secret           string `json:"secret"`
	RequireSignature bool   `json:"requireSignature"`
}

// Webhook returns a webhook workflow's address and secret (managers only).
func (a *App) Webhook(ctx context.Context, actor *Actor, id string) (*WebhookInfo, error) {
	return a.webhook(ctx, actor, id, false)
}

// RotateWebhook gives a webhook workflow a new address and signing secret; the old ones stop working.
func (a *App) RotateWebhook(ctx context.Context, actor *Actor, id string) (*WebhookInfo, error) {
	return a.webhook(ctx, actor, id, true)
}

func (a *App) webhook(ctx context.Context, actor *Actor, id string, rotate bool) (*WebhookInfo, error) {
	if err := requireManager(actor, "see webhook secrets"); err != nil {
		return nil, err
	}
	def, err := a.GetDefinition(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	if def.Trigger.Type != workflow.TriggerWebhook {
		return nil, fail(ErrConflict, fmt.Sprintf("workflow %q is started by a %s trigger, not a webhook", def.Name, def.Trigger.Type))
	}
	var hook *store.Webhook
	err = a.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		if hook, err = a.ensureWebhook(tx, id, rotate); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	required := true
	if v, ok := def.Trigger.Configuration["requireSignature"].(bool); ok {
		required = v
	}
	return &WebhookInfo{WorkflowID: id, URL: strings.TrimRight(a.BaseURL, "/") + "/hooks/" + hook.Token,
		Secret: hook.SigningSecret, RequireSignature: required}, nil
}

// ensureWebhook returns the workflow's webhook, creating it (or, with rotate, replacing its secrets).
func (a *App) ensureWebhook(tx *gorm.DB, workflowID string, rotate bool) (*store.Webhook, error) {
	var hook store.Webhook
	err := tx.Where("workflow_id = ?", workflowID).Take(&hook).Error
	now := a.Clock.Now()
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		hook = store.Webhook{WorkflowID: workflowID, Token: auth.RandomSecret(24), SigningSecret: "whsec_" + auth.RandomSecret(32), CreatedAt: now}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&hook).Error; err != nil {
			return nil, fmt.Errorf("create the webhook of %s: %w", workflowID, err)
		}
		return &hook, tx.Where("workflow_id = ?", workflowID).Take(&hook).Error
	case err != nil:
		return nil, fmt.Errorf("load the webhook of %s: %w", workflowID, err)
	case rotate:
		hook.Token, hook.SigningSecret, hook.RotatedAt = auth.RandomSecret(24), "whsec_"+auth.RandomSecret(32), &now
		if err := tx.Save(&hook).Error; err != nil {
			return nil, fmt.Errorf("rotate the webhook of %s: %w", workflowID, err)
		}
	}
	return &hook, nil
}

// WebhookRequest is a delivery to a webhook address.
type WebhookRequest struct {
	Token      string
	Signature  string
	DeliveryID string
	Body       []byte
}

// ReceiveWebhook checks a delivery and starts its workflow with the JSON body's fields as variables. The
// run is committed before this returns.
func (a *App) ReceiveWebhook(ctx context.Context, req WebhookRequest) (string, error) {
	var hook store.Webhook
	err := a.DB.Gorm.WithContext(ctx).Where("token = ?", req.Token).Take(&hook).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", &Error{Kind: ErrNotFound, Message: "there is no webhook at this address (it may have been rotated)"}
	}
	if err != nil {
		return "", fmt.Errorf("find webhook: %w", err)
	}
	plan, err := a.activePlan(ctx, hook.WorkflowID)
	if err != nil {
		return "", err
	}
	if plan.Trigger.Type != workflow.TriggerWebhook {
		return "", &Error{Kind: ErrNotFound, Message: "this workflow is no longer started by a webhook"}
	}
	if !plan.Trigger.Unsigned {
		if err := triggers.Verify(hook.SigningSecret, req.Signature, req.Body, a.Clock.Now()); err != nil {
			return "", &Error{Kind: ErrUnauthorized, Message: err.Error()}
		}
		if req.DeliveryID == "" {
			return "", &Error{Kind: ErrInvalid, Message: "send a unique " + triggers.DeliveryHeader + " header with each delivery, so a retried delivery is not run twice"}
		}
	}
	vars, err := webhookVariables(plan.Def, req.Body)
	if err != nil {
		return "", err
	}
	var id string
	err = a.DB.Tx(ctx, func(tx *gorm.DB) error {
		var delivery *store.WebhookDelivery
		if req.DeliveryID != "" {
			delivery = &store.WebhookDelivery{WorkflowID: hook.WorkflowID, DeliveryID: req.DeliveryID, ReceivedAt: a.Clock.Now()}
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(delivery)
			if res.Error != nil {
				return fmt.Errorf("record delivery: %w", res.Error)
			}
			if res.RowsAffected == 0 {
				return fail(ErrConflict, fmt.Sprintf("delivery %q was received before; nothing was started again", req.DeliveryID))
			}
		}
		var err error
		id, err = a.StartTx(ctx, tx, plan, vars, engine.StartMeta{TriggerType: workflow.TriggerWebhook,
			TriggerRef: req.DeliveryID, StartedBy: "webhook"})
		if err != nil {
			return err
		}
		if delivery != nil {
			return tx.Model(delivery).UpdateColumn("execution_id", id).Error
		}
		return nil
	})
	return id, err
}

// webhookVariables takes the body's top-level fields that are declared variables; other fields are
// ignored, since senders send what they have.
func webhookVariables(def *workflow.Definition, body []byte) (map[string]any, error) {
	var payload map[string]any
	if err := store.JSON(body).Decode(&payload); err != nil || payload == nil {
		if len(strings.TrimSpace(string(body))) == 0 {
			return map[string]any{}, nil
		}
		return nil, &Error{Kind: ErrInvalid, Message: "the body must be a JSON object whose fields are the workflow's variables"}
	}
	vars := map[string]any{}
	for _, v := range def.Variables {
		if val, ok := payload[v.Name]; ok {
			vars[v.Name] = val
		}
	}
	return vars, nil
}

// ScheduleInfo describes a scheduled trigger and when it fires next.
type ScheduleInfo struct {
	WorkflowID string      `json:"workflowId"`
	Cron       string      `json:"cron"`
	Timezone   string      `json:"timezone"`
	CatchUp    string      `json:"catchUp"`
	Next       []time.Time `json:"next"`
}

// Schedule returns a scheduled workflow's next five fire times.
func (a *App) Schedule(ctx context.Context, id string) (*ScheduleInfo, error) {
	def, err := a.GetDefinition(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	plan, err := a.Validate(ctx, def)
	if err != nil {
		return nil, err
	}
	if plan.Trigger.Type != workflow.TriggerScheduled {
		return nil, fail(ErrConflict, fmt.Sprintf("workflow %q is started by a %s trigger, not a schedule", def.Name, def.Trigger.Type))
	}
	sched, loc, err := triggers.ParseSchedule(plan.Trigger.Cron, plan.Trigger.Timezone)
	if err != nil {
		return nil, err
	}
	next := triggers.NextFires(sched, loc, a.Clock.Now(), 5)
	for i := range next {
		next[i] = next[i].In(loc)
	}
	return &ScheduleInfo{WorkflowID: id, Cron: plan.Trigger.Cron, Timezone: plan.Trigger.Timezone, CatchUp: plan.Trigger.CatchUp, Next: next}, nil
}
