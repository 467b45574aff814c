package app

import (
	"context"
	"time"

	"github.com/gorilla/sessions"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/triggers"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// What the pages and the API need of the engine, the triggers and the database, so that nothing above app
// imports them (internal/arch checks it).

// Webhook headers: the signature of a delivery and its id.
const (
	WebhookSignatureHeader = triggers.SignatureHeader
	WebhookDeliveryHeader  = triggers.DeliveryHeader
)

// StartManually starts a run of a workflow's active version by hand: the Run button, or
// POST /api/workflows/{id}/execute.
func (a *App) StartManually(ctx context.Context, actor *Actor, workflowID string, vars map[string]any) (string, error) {
	return a.StartExecution(ctx, actor, workflowID, vars,
		engine.StartMeta{TriggerType: workflow.TriggerManual, StartedBy: actor.Email})
}

// NextFires checks a schedule (cron and time zone, as a trigger's configuration gives them) and returns its
// next n fire times after now, in the schedule's time zone.
func (a *App) NextFires(cron, timezone string, n int) ([]time.Time, error) {
	sched, loc, err := triggers.ParseSchedule(cron, timezone)
	if err != nil {
		return nil, err
	}
	next := triggers.NextFires(sched, loc, a.Clock.Now(), n)
	for i := range next {
		next[i] = next[i].In(loc)
	}
	return next, nil
}

// IsUnavailable reports whether err means the database blinked (a lost connection, a failover, a lock):
// nothing was done, and the same request will work in a moment.
func IsUnavailable(err error) bool { return store.IsInfrastructure(err) }

// WriteProblem says in words why the database does not take writes, without hosts or file names.
func WriteProblem(err error) string { return store.WriteProblem(err) }

// SessionStore keeps the sign-in sessions in the database (revocable), with cookies signed by hashKey and
// encrypted by encKey; opts are the options of new sessions.
func (a *App) SessionStore(hashKey, encKey []byte, opts sessions.Options) *store.SessionStore {
	return store.NewSessionStore(a.DB, hashKey, encKey, opts)
}
