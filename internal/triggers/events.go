// Package triggers starts workflows from what happens: CRM events and events posted to the API (through the
// event outbox), cron schedules (a fire claimed once across instances) and signed webhooks.
package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Event sources.
const (
	SourceCRM = "crm"
	SourceAPI = "api"
)

// Dispatcher records events and starts the workflows whose trigger names them, each at most once.
type Dispatcher struct {
	DB     *store.DB
	Engine *engine.Engine
	Clock  clock.Clock
	Log    *slog.Logger
}

// DispatchArgs is the job that dispatches one recorded event.
type DispatchArgs struct {
	EventID string `json:"eventId"`
}

// Kind implements river.JobArgs.
func (DispatchArgs) Kind() string { return "dispatch_event" }

// Workers adds the dispatcher's River worker.
func (d *Dispatcher) Workers(w *river.Workers) {
	river.AddWorker(w, &dispatchWorker{d: d})
}

type dispatchWorker struct {
	river.WorkerDefaults[DispatchArgs]
	d *Dispatcher
}

func (w *dispatchWorker) Work(ctx context.Context, job *river.Job[DispatchArgs]) error {
	return w.d.DB.Tx(ctx, func(tx *store.Tx) error {
		// Locked: two dispatches of one event take turns.
		ev, err := tx.Triggers().LockEvent(ctx, job.Args.EventID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // the event is gone (deleted with its workflow's data): nothing to start
		}
		if err != nil {
			return err
		}
		if ev.DispatchedAt != nil {
			return nil
		}
		_, err = w.d.DispatchTx(ctx, tx, ev)
		return err
	})
}

// PublishTx records an event inside tx (the transaction of the change that caused it) and enqueues its
// dispatch there too: a rolled-back change records nothing and starts nothing.
func (d *Dispatcher) PublishTx(ctx context.Context, tx *store.Tx, ev *store.Event) error {
	if err := d.record(ctx, tx, ev); err != nil {
		return err
	}
	return d.Engine.EnqueueTx(ctx, tx, DispatchArgs{EventID: ev.ID})
}

func (d *Dispatcher) record(ctx context.Context, tx *store.Tx, ev *store.Event) error {
	if ev.ID == "" {
		ev.ID = engine.NewID()
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = d.Clock.Now()
	}
	if len(ev.Payload) == 0 {
		ev.Payload = store.JSON("{}")
	}
	if err := tx.Triggers().RecordEvent(ctx, ev); err != nil {
		return fmt.Errorf("record event %s: %w", ev.Type, err)
	}
	return nil
}

// PostTx records an event from the API and dispatches it in the same transaction, so the caller learns
// which executions it started.
func (d *Dispatcher) PostTx(ctx context.Context, tx *store.Tx, ev *store.Event) ([]string, error) {
	if err := d.record(ctx, tx, ev); err != nil {
		return nil, err
	}
	return d.DispatchTx(ctx, tx, ev)
}

// DispatchTx starts, inside tx, every enabled published workflow whose event trigger names ev's type and
// whose filter holds. Each (event, workflow) pair is recorded once, so dispatching an event again (a job
// re-run after a crash) starts nothing twice. It returns the executions it started.
func (d *Dispatcher) DispatchTx(ctx context.Context, tx *store.Tx, ev *store.Event) ([]string, error) {
	wfs, err := tx.Triggers().WorkflowsForEvent(ctx, workflow.TriggerEvent, ev.Type)
	if err != nil {
		return nil, fmt.Errorf("find workflows for event %s: %w", ev.Type, err)
	}
	var payload any
	if err := ev.Payload.Decode(&payload); err != nil {
		return nil, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	var started []string
	now := d.Clock.Now()
	for _, wf := range wfs {
		plan, err := d.Engine.PlanTx(ctx, tx, wf.ID, *wf.ActiveVersion)
		if err != nil {
			return nil, err
		}
		delivery := &store.EventDelivery{EventID: ev.ID, WorkflowID: wf.ID, CreatedAt: now}
		vars := eventVariables(plan.Def, ev.Entity, payload)
		if ok, reason := filterHolds(ctx, plan, vars); !ok {
			delivery.Status, delivery.Reason = store.DeliveryFiltered, reason
		} else {
			delivery.Status = store.DeliveryStarted
		}
		claimed, err := tx.Triggers().ClaimDelivery(ctx, delivery)
		if err != nil {
			return nil, fmt.Errorf("record delivery of event %s to %s: %w", ev.ID, wf.ID, err)
		}
		if !claimed || delivery.Status != store.DeliveryStarted {
			continue // handled before, or the filter said no
		}
		id, err := d.Engine.StartTx(ctx, tx, plan, vars, engine.StartMeta{
			TriggerType: workflow.TriggerEvent, TriggerRef: ev.ID, StartedBy: "event " + ev.Type})
		var ferrs workflow.FieldErrors
		switch {
		case errors.As(err, &ferrs):
			d.Log.Warn("event does not fit the workflow's variables", "event", ev.Type, "event_id", ev.ID,
				"workflow_id", wf.ID, "error", ferrs)
			err = tx.Triggers().SetDeliveryStatus(ctx, ev.ID, wf.ID, store.DeliveryRejected, ferrs.Error())
			if err != nil {
				return nil, fmt.Errorf("record delivery of event %s: %w", ev.ID, err)
			}
			continue
		case err != nil:
			return nil, err
		}
		if err := tx.Triggers().SetDeliveryExecution(ctx, ev.ID, wf.ID, id); err != nil {
			return nil, fmt.Errorf("record delivery of event %s: %w", ev.ID, err)
		}
		started = append(started, id)
	}
	if err := d.resolveTodoTx(ctx, tx, ev, payload); err != nil {
		return nil, err
	}
	if err := tx.Triggers().MarkDispatched(ctx, ev.ID, now); err != nil {
		return nil, fmt.Errorf("mark event %s dispatched: %w", ev.ID, err)
	}
	return started, nil
}

// resolveTodoTx hands a CRM to-do's being done or deleted to the engine, when a workflow made it (a
// create_task step may wait for it): the engine's job ends the wait, once, whatever else the event starts.
func (d *Dispatcher) resolveTodoTx(ctx context.Context, tx *store.Tx, ev *store.Event, payload any) error {
	if ev.Source != SourceCRM || ev.Entity != "task" || (ev.Type != "task_done" && ev.Type != "task_deleted") {
		return nil
	}
	rec, _ := payload.(map[string]any)
	execID, _ := rec["executionId"].(string)
	if execID == "" {
		return nil // a to-do a person made: no run waits for it
	}
	return d.Engine.EnqueueTx(ctx, tx, engine.TodoArgs{ExecutionID: execID, TodoID: ev.EntityID, By: ev.CreatedBy})
}

// eventVariables are the variables an event gives a workflow: a CRM event's record under the entity's
// name (lead, opportunity, …, declared or not); a posted event's data fields that are declared variables.
func eventVariables(def *workflow.Definition, entity string, payload any) map[string]any {
	declared := map[string]bool{}
	for _, v := range def.StartVariables() { // an event's record is a variable whether declared or not
		declared[v.Name] = true
	}
	vars := map[string]any{}
	if entity != "" {
		if declared[entity] {
			vars[entity] = payload
		}
		return vars
	}
	if m, ok := payload.(map[string]any); ok {
		for k, v := range m {
			if declared[k] {
				vars[k] = v
			}
		}
	}
	return vars
}

// filterHolds evaluates a trigger's filter; a filter that errs does not hold, and the reason says why.
func filterHolds(ctx context.Context, plan *workflow.Plan, vars map[string]any) (bool, string) {
	if plan.Trigger.Filter == nil {
		return true, ""
	}
	all := plan.Def.AllVariables()
	env := make(map[string]any, len(vars)+len(all))
	for _, v := range all {
		env[v.Name] = nil
	}
	for k, v := range vars {
		env[k] = v
	}
	env["steps"] = map[string]any{}
	out, err := plan.Trigger.Filter.Run(ctx, env)
	if err != nil {
		return false, "the filter failed: " + err.Error()
	}
	if b, ok := out.(bool); ok && b {
		return true, ""
	}
	return false, "the filter does not hold"
}
