package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

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
	err = a.createTx(ctx, func(tx *store.Tx) (any, error) {
		ev := &store.Event{Type: event, Source: triggers.SourceAPI, CreatedBy: actor.Email, Payload: payload}
		ids, err := a.Triggers.PostTx(ctx, tx, ev)
		if err != nil {
			return nil, err
		}
		out.EventID = ev.ID
		out.ExecutionIDs = append(out.ExecutionIDs, ids...)
		return out, nil
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
	// Warning is UnsignedWebhookWarning when RequireSignature is false.
	Warning string `json:"warning,omitempty"`
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
	err = a.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if hook, err = a.ensureWebhook(ctx, tx, id, rotate); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	info := &WebhookInfo{WorkflowID: id, URL: strings.TrimRight(a.BaseURL, "/") + "/hooks/" + hook.Token,
		Secret: hook.SigningSecret, RequireSignature: signatureRequired(def.Trigger.Configuration)}
	if !info.RequireSignature {
		info.Warning = UnsignedWebhookWarning
	}
	return info, nil
}

// ensureWebhook returns the workflow's webhook, creating it (or, with rotate, replacing its secrets).
func (a *App) ensureWebhook(ctx context.Context, tx *store.Tx, workflowID string, rotate bool) (*store.Webhook, error) {
	hooks := tx.Triggers()
	hook, err := hooks.WebhookOf(ctx, workflowID)
	now := a.Clock.Now()
	switch {
	case errors.Is(err, store.ErrNotFound):
		return hooks.CreateWebhook(ctx, &store.Webhook{WorkflowID: workflowID, Token: auth.RandomSecret(24),
			SigningSecret: "whsec_" + auth.RandomSecret(32), CreatedAt: now})
	case err != nil:
		return nil, fmt.Errorf("load the webhook of %s: %w", workflowID, err)
	case rotate:
		hook.Token, hook.SigningSecret, hook.RotatedAt = auth.RandomSecret(24), "whsec_"+auth.RandomSecret(32), &now
		if err := hooks.SaveWebhook(ctx, hook); err != nil {
			return nil, err
		}
	}
	return hook, nil
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
	hook, err := a.DB.Triggers().WebhookByToken(ctx, req.Token)
	if errors.Is(err, store.ErrNotFound) {
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
	// The keys that make a copy of this request a replay: its delivery id and, for a v1 signature (which
	// does not cover the delivery id), the signature itself.
	var keys []string
	if req.DeliveryID != "" {
		if len(req.DeliveryID) > triggers.MaxDeliveryID {
			return "", &Error{Kind: ErrInvalid, Message: triggers.ErrDeliveryID.Error()}
		}
		keys = append(keys, req.DeliveryID)
	}
	if !plan.Trigger.Unsigned {
		verified, err := triggers.Verify(hook.SigningSecret, req.Signature, req.DeliveryID, req.Body, a.Clock.Now())
		if errors.Is(err, triggers.ErrDeliveryID) {
			return "", &Error{Kind: ErrInvalid, Message: err.Error()}
		}
		if err != nil {
			return "", &Error{Kind: ErrUnauthorized, Message: err.Error()}
		}
		if verified.ReplayKey != "" {
			keys = append(keys, verified.ReplayKey)
		}
	}
	vars, err := webhookVariables(plan.Def, req.Body)
	if err != nil {
		return "", err
	}
	var id string
	err = a.DB.Tx(ctx, func(tx *store.Tx) error {
		// The rows are kept (they go only with their workflow), which more than covers the five minutes
		// a signature is valid for.
		deliveries := make([]*store.WebhookDelivery, 0, len(keys))
		for _, key := range keys {
			d := &store.WebhookDelivery{WorkflowID: hook.WorkflowID, DeliveryID: key, ReceivedAt: a.Clock.Now()}
			claimed, err := tx.Triggers().ClaimWebhookDelivery(ctx, d)
			if err != nil {
				return err
			}
			if !claimed {
				if key != req.DeliveryID {
					return fail(ErrConflict, fmt.Sprintf("this request was received before: its v1 signature is an earlier delivery's, so delivery %q started nothing. Sign deliveries with v2 (t=...,v2=...), which covers the delivery id", req.DeliveryID))
				}
				return fail(ErrConflict, fmt.Sprintf("delivery %q was received before; nothing was started again", req.DeliveryID))
			}
			deliveries = append(deliveries, d)
		}
		var err error
		id, err = a.StartTx(ctx, tx, plan, vars, engine.StartMeta{TriggerType: workflow.TriggerWebhook,
			TriggerRef: req.DeliveryID, StartedBy: "webhook"})
		if err != nil {
			return err
		}
		for _, d := range deliveries {
			if err := tx.Triggers().SetWebhookDeliveryExecution(ctx, d, id); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// UnsignedWebhookWarning is shown wherever a webhook workflow that does not require signatures is listed.
const UnsignedWebhookWarning = "Unsigned webhook: anyone with the address can start it"

// signatureRequired reads a webhook trigger's requireSignature, which is on unless set to false.
func signatureRequired(cfg map[string]any) bool {
	required, ok := cfg["requireSignature"].(bool)
	return !ok || required
}

// WebhookSummary says, in a workflow list, whether a webhook workflow's published version checks signatures.
type WebhookSummary struct {
	Signed bool `json:"signed"`
	// Warning is UnsignedWebhookWarning when Signed is false.
	Warning string `json:"warning,omitempty"`
}

// markWebhooks fills in Webhook for the published webhook workflows among items, reading their published
// versions in one query.
func (a *App) markWebhooks(ctx context.Context, items []WorkflowSummary) error {
	index := map[string]int{}
	for i, w := range items {
		if w.TriggerType == workflow.TriggerWebhook && w.ActiveVersion != nil {
			index[w.ID] = i
		}
	}
	if len(index) == 0 {
		return nil
	}
	ids := make([]string, 0, len(index))
	for id := range index {
		ids = append(ids, id)
	}
	rows, err := a.DB.Workflows().PublishedDefinitions(ctx, ids)
	if err != nil {
		return err
	}
	for _, r := range rows {
		i, ok := index[r.WorkflowID]
		if !ok || *items[i].ActiveVersion != r.Version {
			continue
		}
		var def struct {
			Trigger struct {
				Configuration map[string]any `json:"configuration"`
			} `json:"trigger"`
		}
		if err := r.Definition.Decode(&def); err != nil {
			return fmt.Errorf("workflow %s version %d: %w", r.WorkflowID, r.Version, err)
		}
		summary := &WebhookSummary{Signed: signatureRequired(def.Trigger.Configuration)}
		if !summary.Signed {
			summary.Warning = UnsignedWebhookWarning
		}
		items[i].Webhook = summary
	}
	return nil
}

// webhookVariables takes the body's top-level fields that are declared variables (other fields are
// ignored, since senders send what they have) and the whole body as payload.
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
	if slices.ContainsFunc(workflow.ImpliedVariables(def), func(iv workflow.ImpliedVariable) bool { return iv.Name == workflow.WebhookPayload }) {
		vars[workflow.WebhookPayload] = payload // the whole body, unless a declared variable has the name
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
