package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Scheduler fires scheduled triggers. Every instance runs one; a fire is claimed by inserting its
// (workflow, scheduled time) row in the transaction that starts the run, so however many instances look,
// each fire starts one run. Fire times come from the cron line in the trigger's timezone; "@every" lines
// fire on a fixed grid so that all instances agree on them.
type Scheduler struct {
	DB     *store.DB
	Engine *engine.Engine
	Clock  clock.Clock
	Log    *slog.Logger
	// Interval is how often the scheduler looks for due fires (1s).
	Interval time.Duration
	// Grace is how late a fire may be seen and still count as on time rather than missed while down
	// (three intervals, at least 5s).
	Grace time.Duration

	stop context.CancelFunc
	wg   sync.WaitGroup
}

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
	return max(5*time.Second, 3*s.interval())
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
	var wfs []store.Workflow
	err := s.DB.Gorm.WithContext(ctx).Where("trigger_type = ? AND enabled AND active_version IS NOT NULL",
		workflow.TriggerScheduled).Order("id").Find(&wfs).Error
	if err != nil {
		return nil, fmt.Errorf("find scheduled workflows: %w", err)
	}
	var started []string
	for _, wf := range wfs {
		ids, err := s.fireDue(ctx, &wf, now)
		if err != nil {
			return started, fmt.Errorf("schedule of %s: %w", wf.ID, err)
		}
		started = append(started, ids...)
	}
	return started, nil
}

func (s *Scheduler) fireDue(ctx context.Context, wf *store.Workflow, now time.Time) ([]string, error) {
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
	if len(due) == 0 {
		return nil, nil
	}
	var onTime, missed []time.Time
	for _, t := range due {
		if now.Sub(t) <= s.grace() {
			onTime = append(onTime, t)
		} else {
			missed = append(missed, t)
		}
	}
	var started []string
	if len(missed) > 0 {
		latest := missed[len(missed)-1]
		if plan.Trigger.CatchUp == "skip" {
			// Remember the skipped fire, so the next look starts after it.
			if _, err := s.claim(ctx, wf.ID, latest, now, nil); err != nil {
				return nil, err
			}
			s.Log.Info("skipped missed schedule fires", "workflow_id", wf.ID, "missed", len(missed), "latest", latest)
		} else {
			id, err := s.claim(ctx, wf.ID, latest, now, plan)
			if err != nil {
				return nil, err
			}
			if id != "" {
				started = append(started, id)
				s.Log.Info("caught up one missed schedule fire", "workflow_id", wf.ID, "missed", len(missed), "fired", latest)
			}
		}
	}
	for _, t := range onTime {
		id, err := s.claim(ctx, wf.ID, t, now, plan)
		if err != nil {
			return nil, err
		}
		if id != "" {
			started = append(started, id)
		}
	}
	return started, nil
}

// lastFire is the latest claimed fire, or when the active version was published: nothing before that fires.
func (s *Scheduler) lastFire(ctx context.Context, wf *store.Workflow) (time.Time, error) {
	var last store.ScheduleFire
	err := s.DB.Gorm.WithContext(ctx).Where("workflow_id = ?", wf.ID).Order("scheduled_for DESC").Take(&last).Error
	var since time.Time
	switch {
	case err == nil:
		since = last.ScheduledFor
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return since, fmt.Errorf("last fire: %w", err)
	}
	var version store.WorkflowVersion
	err = s.DB.Gorm.WithContext(ctx).Select("published_at").Where("workflow_id = ? AND version = ?", wf.ID, *wf.ActiveVersion).Take(&version).Error
	if err != nil {
		return since, fmt.Errorf("active version: %w", err)
	}
	if version.PublishedAt != nil && version.PublishedAt.After(since) {
		since = *version.PublishedAt
	}
	return since, nil
}

// claim inserts the fire's row and, when it was not claimed before and plan is given, starts the run in the
// same transaction. It returns the started execution, or "".
func (s *Scheduler) claim(ctx context.Context, workflowID string, at, now time.Time, plan *workflow.Plan) (string, error) {
	var id string
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		fire := &store.ScheduleFire{WorkflowID: workflowID, ScheduledFor: at.UTC(), FiredAt: now}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(fire)
		if res.Error != nil {
			return fmt.Errorf("claim the fire at %s: %w", at, res.Error)
		}
		if res.RowsAffected == 0 || plan == nil {
			return nil // another instance fired it, or it is a skipped fire
		}
		var err error
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
		return tx.Model(fire).UpdateColumn("execution_id", id).Error
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
