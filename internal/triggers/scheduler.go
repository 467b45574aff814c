package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Scheduler fires scheduled triggers. Every instance runs one; a fire is claimed by inserting its
// (workflow, scheduled time) row in the transaction that starts the run, so however many instances look,
// each fire starts one run. Fire times come from the cron line in the trigger's timezone; "@every" lines
// fire on a fixed grid so that all instances agree on them.
//
// Catch-up. Every Interval the scheduler looks at each enabled published scheduled workflow and takes the
// fires due after its latest claimed fire (or after its active version was published, if that is later) up
// to now, oldest first. A fire is on time when the look reaches it at most Grace after its time: the look was
// merely late (a slow database, a restart quicker than the grace). A fire first reached more than Grace after
// its time is missed: no scheduler was looking when it fell due.
//
//   - A look whose due fires are all on time starts a run for each of them.
//   - A look that finds a missed fire comes after an outage (every instance down, or the workflow disabled),
//     and everything it finds due — the missed fires and any that fell due since, within the grace — is one
//     catch-up: catchUp "once" (the default) starts exactly one run, for the latest of those fires, and "skip"
//     starts none and claims the latest without a run. Either way the next fire after now runs as usual.
//
// So however long an outage lasts, it starts one run with "once" and none with "skip"; a gap shorter than the
// grace, in which every fire is still reached on time, loses nothing. Instances catching up together compute
// the same latest fire from the same claimed rows, and its schedule_fires row lets only one of them start it.
type Scheduler struct {
	DB     *store.DB
	Engine *engine.Engine
	Clock  clock.Clock
	Log    *slog.Logger
	// Interval is how often the scheduler looks for due fires (1s).
	Interval time.Duration
	// Grace is how late a look may reach a fire and still count it as on time rather than missed
	// (DefaultGrace, and at least three intervals).
	Grace time.Duration

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// DefaultGrace is how late a fire may be seen and still run as on time: long enough for a slow look or a quick
// restart, short enough that a fire of "@every 5s" seen after a minute's outage counts as missed.
const DefaultGrace = 5 * time.Second

// Catch-up modes of a scheduled trigger (workflow.TriggerPlan.CatchUp; "" is CatchUpOnce).
const (
	CatchUpOnce = "once"
	CatchUpSkip = "skip"
)

// maxFiresPerLook bounds the fire times computed for one schedule in one look, so a schedule of
// "@every 1s" after a month of downtime does not compute millions of them.
const maxFiresPerLook = 10000

func (s *Scheduler) interval() time.Duration {
	if s.Interval <= 0 {
		return time.Second
	}
	return s.Interval
}

func (s *Scheduler) grace() time.Duration {
	if s.Grace > 0 {
		return s.Grace
	}
	return max(DefaultGrace, 3*s.interval())
}

// Start runs the scheduler until Stop.
func (s *Scheduler) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ticker := time.NewTicker(s.interval())
		defer ticker.Stop()
		for {
			if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.Log.Error("scheduled triggers", "error", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
}

// Stop stops the scheduler and waits for its current look to end.
func (s *Scheduler) Stop() {
	if s.stop != nil {
		s.stop()
		s.wg.Wait()
	}
}

// Tick fires every due fire of every enabled published scheduled workflow and returns the executions it
// started.
func (s *Scheduler) Tick(ctx context.Context) ([]string, error) {
	now := s.Clock.Now()
	wfs, err := s.DB.Triggers().WorkflowsTriggeredBy(ctx, workflow.TriggerScheduled)
	if err != nil {
		return nil, fmt.Errorf("find scheduled workflows: %w", err)
	}
	var started []string
	for _, wf := range wfs {
		l, err := s.look(ctx, &wf, now)
		if err != nil {
			return started, fmt.Errorf("schedule of %s: %w", wf.ID, err)
		}
		ids, err := s.fire(ctx, l)
		if err != nil {
			return started, fmt.Errorf("schedule of %s: %w", wf.ID, err)
		}
		started = append(started, ids...)
	}
	return started, nil
}

// fireDecision is what one look does with the fires due since a schedule's latest claimed fire.
type fireDecision struct {
	Run    []time.Time // a run starts for each, oldest first
	Skip   time.Time   // claimed without a run (catchUp "skip" after an outage); zero when none
	Missed int         // the fires reached later than the grace (up to maxFiresPerLook); 0 on time
}

// decideFires is the catch-up rule (see Scheduler): due are the fires due up to now, oldest first.
func decideFires(due []time.Time, now time.Time, grace time.Duration, catchUp string) fireDecision {
	if len(due) == 0 {
		return fireDecision{}
	}
	if now.Sub(due[0]) <= grace {
		// The oldest is on time, so all are: the look was merely late.
		return fireDecision{Run: due}
	}
	missed := 0
	for _, t := range due {
		if now.Sub(t) > grace {
			missed++
		}
	}
	latest := due[len(due)-1]
	if catchUp == CatchUpSkip {
		return fireDecision{Skip: latest, Missed: missed}
	}
	return fireDecision{Run: []time.Time{latest}, Missed: missed}
}

// lookResult is one workflow's due fires at one look, decided but not yet claimed.
type lookResult struct {
	wf    *store.Workflow
	plan  *workflow.Plan
	now   time.Time
	fires fireDecision
}

// look decides what to fire for wf at now, reading only.
func (s *Scheduler) look(ctx context.Context, wf *store.Workflow, now time.Time) (*lookResult, error) {
	plan, err := s.Engine.Plan(ctx, wf.ID, *wf.ActiveVersion)
	if err != nil {
		return nil, err
	}
	sched, loc, err := ParseSchedule(plan.Trigger.Cron, plan.Trigger.Timezone)
	if err != nil {
		return nil, err
	}
	since, err := s.lastFire(ctx, wf)
	if err != nil {
		return nil, err
	}
	due := FireTimes(sched, loc, since, now, maxFiresPerLook)
	return &lookResult{wf: wf, plan: plan, now: now, fires: decideFires(due, now, s.grace(), plan.Trigger.CatchUp)}, nil
}

// fire claims what a look decided, each fire in its own transaction, and returns the runs it started. A fire
// another instance claimed meanwhile starts nothing here.
func (s *Scheduler) fire(ctx context.Context, l *lookResult) ([]string, error) {
	id := l.wf.ID
	if !l.fires.Skip.IsZero() {
		// Remember the skipped fire, so the next look starts after it.
		if _, err := s.claim(ctx, id, l.fires.Skip, l.now, nil); err != nil {
			return nil, err
		}
		s.Log.Info("skipped missed schedule fires", "workflow_id", id, "missed", l.fires.Missed, "latest", l.fires.Skip)
	}
	var started []string
	for _, t := range l.fires.Run {
		run, err := s.claim(ctx, id, t, l.now, l.plan)
		if err != nil {
			return started, err
		}
		if run == "" {
			continue
		}
		started = append(started, run)
		if l.fires.Missed > 0 {
			s.Log.Info("caught up missed schedule fires with one run", "workflow_id", id, "missed", l.fires.Missed, "fired", t)
		}
	}
	return started, nil
}

// lastFire is the latest claimed fire, or when the active version was published: nothing before that fires.
func (s *Scheduler) lastFire(ctx context.Context, wf *store.Workflow) (time.Time, error) {
	last, err := s.DB.Triggers().LastFire(ctx, wf.ID)
	var since time.Time
	switch {
	case err == nil:
		since = last
	case !errors.Is(err, store.ErrNotFound):
		return since, fmt.Errorf("last fire: %w", err)
	}
	published, err := s.DB.Workflows().PublishedAt(ctx, wf.ID, *wf.ActiveVersion)
	if err != nil {
		return since, fmt.Errorf("active version: %w", err)
	}
	if published != nil && published.After(since) {
		since = *published
	}
	return since, nil
}

// claim inserts the fire's row and, when it was not claimed before and plan is given, starts the run in the
// same transaction. It returns the started execution, or "".
func (s *Scheduler) claim(ctx context.Context, workflowID string, at, now time.Time, plan *workflow.Plan) (string, error) {
	var id string
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		fire := &store.ScheduleFire{WorkflowID: workflowID, ScheduledFor: at.UTC(), FiredAt: now}
		claimed, err := tx.Triggers().ClaimFire(ctx, fire)
		if err != nil {
			return fmt.Errorf("claim the fire at %s: %w", at, err)
		}
		if !claimed || plan == nil {
			return nil // another instance fired it, or it is a skipped fire
		}
		id, err = s.Engine.StartTx(ctx, tx, plan, plan.Trigger.Variables, engine.StartMeta{
			TriggerType: workflow.TriggerScheduled, TriggerRef: at.UTC().Format(time.RFC3339), StartedBy: "schedule"})
		var ferrs workflow.FieldErrors
		if errors.As(err, &ferrs) {
			// The trigger's variables were checked at save time; a required variable without a value
			// still lands here. The fire stays claimed so it is not retried every second.
			s.Log.Warn("scheduled run not started: its variables do not fit", "workflow_id", workflowID, "error", ferrs)
			id = ""
			return nil
		}
		if err != nil {
			return err
		}
		return tx.Triggers().SetFireExecution(ctx, workflowID, fire.ScheduledFor, id)
	})
	return id, err
}

// ParseSchedule reads a cron line (5 fields or a descriptor such as @daily or @every 10m) and a timezone.
func ParseSchedule(spec, timezone string) (cron.Schedule, *time.Location, error) {
	if timezone == "" {
		timezone = "UTC"
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, nil, fmt.Errorf("unknown timezone %q", timezone)
	}
	sched, err := engine.CronParser.Parse(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("the schedule %q is not a valid cron line: %w", spec, err)
	}
	return sched, loc, nil
}

// FireTimes lists the fire times after since up to and including until, at most limit of them (the latest
// ones when there are more).
func FireTimes(sched cron.Schedule, loc *time.Location, since, until time.Time, limit int) []time.Time {
	var out []time.Time
	for t := next(sched, loc, since); !t.IsZero() && !t.After(until); t = next(sched, loc, t) {
		out = append(out, t)
		if len(out) > limit {
			out = out[1:]
		}
	}
	return out
}

// NextFires lists the next n fire times after from.
func NextFires(sched cron.Schedule, loc *time.Location, from time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for t := next(sched, loc, from); !t.IsZero() && len(out) < n; t = next(sched, loc, t) {
		out = append(out, t)
	}
	return out
}

// next is the first fire strictly after t. "@every d" fires on a fixed grid (multiples of d since Go's zero
// time, so every whole minute for @every 1m), not d after whenever a process happened to start: every
// instance computes the same times.
func next(sched cron.Schedule, loc *time.Location, t time.Time) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		d := every.Delay
		if d <= 0 {
			return time.Time{}
		}
		return t.UTC().Truncate(d).Add(d)
	}
	n := sched.Next(t.In(loc))
	if n.IsZero() {
		return n
	}
	return n.UTC()
}
