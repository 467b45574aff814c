package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The catch-up rule on its own: which fires a look runs, skips or claims.
func TestDecideFires(t *testing.T) {
	t.Parallel()
	now := at("2026-11-26T09:01:01Z").Add(200 * time.Millisecond)
	grace := 5 * time.Second
	secs := func(from, to int) []time.Time { // the @every 1s fires from 09:00:<from> to 09:00:<to>
		var out []time.Time
		for s := from; s <= to; s++ {
			out = append(out, at("2026-11-26T09:00:00Z").Add(time.Duration(s)*time.Second))
		}
		return out
	}
	tests := []struct {
		name    string
		due     []time.Time
		catchUp string
		want    fireDecision
	}{
		{"nothing due", nil, CatchUpOnce, fireDecision{}},
		{"one fire, on time", secs(61, 61), CatchUpOnce, fireDecision{Run: secs(61, 61)}},
		{"a late look: every fire within the grace runs", secs(57, 61), CatchUpSkip, fireDecision{Run: secs(57, 61)}},
		{"after a minute's outage, once: one run, for the latest fire", secs(1, 61), CatchUpOnce,
			fireDecision{Run: secs(61, 61), Missed: 56}},
		{"after a minute's outage, skip: none, the latest is claimed", secs(1, 61), CatchUpSkip,
			fireDecision{Skip: secs(61, 61)[0], Missed: 56}},
		{"the default is once", secs(1, 61), "", fireDecision{Run: secs(61, 61), Missed: 56}},
		{"one missed fire, nothing since", secs(55, 55), CatchUpSkip, fireDecision{Skip: secs(55, 55)[0], Missed: 1}},
		{"exactly the grace late is on time", []time.Time{now.Add(-grace)}, CatchUpSkip, fireDecision{Run: []time.Time{now.Add(-grace)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := decideFires(tt.due, now, grace, tt.catchUp)
			if !slices.Equal(got.Run, tt.want.Run) || !got.Skip.Equal(tt.want.Skip) || got.Missed != tt.want.Missed {
				t.Fatalf("decideFires = run %v, skip %v, missed %d; want run %v, skip %v, missed %d",
					got.Run, got.Skip, got.Missed, tt.want.Run, tt.want.Skip, tt.want.Missed)
			}
		})
	}
}

// schedBundle is a scheduler on a real database, with an engine that starts runs but works none.
type schedBundle struct {
	db    *store.DB
	clock *clock.Fake
	eng   *engine.Engine
}

func setupScheduler(t *testing.T, db *store.DB, start time.Time) *schedBundle {
	t.Helper()
	clk := clock.NewFake(start)
	expr := expression.New(clk, expression.Limits{})
	eng, err := engine.New(engine.Deps{DB: db, Actions: actions.NewRegistry(actions.SetVariable{}), Expr: expr,
		Clock: clk, Log: storetest.Quiet()}, engine.Config{})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	return &schedBundle{db: db, clock: clk, eng: eng}
}

// scheduler is one instance's scheduler; grace 0 is the default.
func (b *schedBundle) scheduler(interval, grace time.Duration) *Scheduler {
	return &Scheduler{DB: b.db, Engine: b.eng, Clock: b.clock, Log: storetest.Quiet(), Interval: interval, Grace: grace}
}

// publish stores an enabled scheduled workflow, published at publishedAt.
func (b *schedBundle) publish(t *testing.T, id, cron, catchUp string, publishedAt time.Time) {
	t.Helper()
	def, err := json.Marshal(map[string]any{
		"name":      "Scheduled " + id,
		"trigger":   map[string]any{"type": "scheduled", "configuration": map[string]any{"cron": cron, "catchUp": catchUp}},
		"variables": []map[string]any{{"name": "x", "type": "number"}},
		"steps": []map[string]any{{"id": "a", "name": "Set x", "type": "action", "nextSteps": []string{},
			"configuration": map[string]any{"action": "set_variable", "parameters": map[string]any{"name": "x", "value": 1}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	one := 1
	wf := store.Workflow{ID: id, Name: "Scheduled " + id, Enabled: true, ActiveVersion: &one, LatestVersion: 1,
		TriggerType: workflow.TriggerScheduled, CreatedAt: publishedAt, UpdatedAt: publishedAt}
	v := store.WorkflowVersion{WorkflowID: id, Version: 1, Definition: def, Status: store.VersionPublished,
		CreatedAt: publishedAt, PublishedAt: &publishedAt}
	storetest.Insert(t, b.db, &wf)
	storetest.Insert(t, b.db, &v)
}

// runs are the schedule times of a workflow's runs, oldest first.
func (b *schedBundle) runs(t *testing.T, workflowID string) []string {
	t.Helper()
	refs, err := b.db.Executions().TriggerRefs(context.Background(), workflowID)
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

// tickUntil ticks s every step of the fake clock up to and including until.
func (b *schedBundle) tickUntil(t *testing.T, s *Scheduler, step time.Duration, until time.Time) {
	t.Helper()
	for i := 0; !b.clock.Now().After(until); i++ {
		if i > 10000 {
			t.Fatalf("ticking to %v did not end", until)
		}
		if _, err := s.Tick(context.Background()); err != nil {
			t.Fatalf("tick at %v: %v", b.clock.Now(), err)
		}
		b.clock.Advance(step)
	}
}

func rfc(ts ...time.Time) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.UTC().Format(time.RFC3339))
	}
	return out
}

// After an outage of any length, catchUp "once" starts exactly one run for the fires missed, "skip" none,
// and the next fire on the schedule runs as usual. The scheduler runs on the fake clock: it looks every
// interval while up, not at all while down.
func TestScheduleCatchUpAfterAnOutage(t *testing.T) {
	t.Parallel()
	const (
		interval = 250 * time.Millisecond
		grace    = 500 * time.Millisecond // two intervals: a 1.5s outage misses its fire
	)
	schedules := []struct {
		cron string
		fire time.Time     // a fire the outage starts 0.8s before
		next time.Duration // the time from one fire to the next
	}{
		{"@every 1s", at("2026-11-26T09:00:05Z"), time.Second},
		{"@every 5s", at("2026-11-26T09:00:05Z"), 5 * time.Second},
		{"0 9 * * *", at("2026-11-26T09:00:00Z"), 24 * time.Hour},
	}
	outages := []time.Duration{1500 * time.Millisecond, 61 * time.Second, 72 * time.Hour}
	// One database per dialect: the cases run one after another, each on workflows of its own, which it
	// disables when done so that the next case's looks pass them by.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i, sc := range schedules {
			for j, outage := range outages {
				t.Run(fmt.Sprintf("%s down %v", sc.cron, outage), func(t *testing.T) {
					once, skip := fmt.Sprintf("once-%d-%d", i, j), fmt.Sprintf("skip-%d-%d", i, j)
					down := sc.fire.Add(-800 * time.Millisecond)
					published := down.Add(-2 * time.Second)
					b := setupScheduler(t, db, published)
					b.publish(t, once, sc.cron, CatchUpOnce, published)
					b.publish(t, skip, sc.cron, CatchUpSkip, published)
					t.Cleanup(func() {
						_ = db.Workflows().SetEnabledOf(context.Background(), []string{once, skip}, false)
					})
					s := b.scheduler(interval, grace)

					// Up: every fire runs once, on time.
					b.tickUntil(t, s, interval, down)
					var wantBefore []string
					if sc.next == time.Second {
						wantBefore = rfc(sc.fire.Add(-2*time.Second), sc.fire.Add(-time.Second))
					}
					for _, wf := range []string{once, skip} {
						if got := b.runs(t, wf); !slices.Equal(got, wantBefore) {
							t.Fatalf("%s before the outage ran %v, want %v", wf, got, wantBefore)
						}
					}

					// Down, then the first look after the outage.
					up := down.Add(outage)
					b.clock.Set(up)
					if _, err := s.Tick(context.Background()); err != nil {
						t.Fatal(err)
					}
					sched, loc, err := ParseSchedule(sc.cron, "UTC")
					if err != nil {
						t.Fatal(err)
					}
					missed := FireTimes(sched, loc, down, up, maxFiresPerLook)
					if len(missed) == 0 || up.Sub(missed[0]) <= grace {
						t.Fatalf("the test's outage misses no fire: %v", missed)
					}
					latest := missed[len(missed)-1]
					wantOnce := append(slices.Clone(wantBefore), rfc(latest)...)
					if got := b.runs(t, once); !slices.Equal(got, wantOnce) {
						t.Fatalf("once: after the outage the runs are %v, want one more, for the latest missed fire %s: %v",
							got, rfc(latest), wantOnce)
					}
					if got := b.runs(t, skip); !slices.Equal(got, wantBefore) {
						t.Fatalf("skip: after the outage the runs are %v, want none more: %v", got, wantBefore)
					}

					// Back on schedule: the next fire runs, once, in both.
					following := NextFires(sched, loc, up, 1)[0]
					// No fire falls between: the looks until shortly before it change nothing, so skip them.
					resume := up.Add(interval)
					if skipTo := following.Add(-2 * interval); skipTo.After(resume) {
						resume = skipTo
					}
					b.clock.Set(resume)
					b.tickUntil(t, s, interval, following.Add(interval))
					if got, want := b.runs(t, once), append(wantOnce, rfc(following)...); !slices.Equal(got, want) {
						t.Fatalf("once: the next fire after the outage gave runs %v, want %v", got, want)
					}
					if got, want := b.runs(t, skip), append(slices.Clone(wantBefore), rfc(following)...); !slices.Equal(got, want) {
						t.Fatalf("skip: the next fire after the outage gave runs %v, want %v", got, want)
					}
				})
			}
		}
	})
}

// The outages of the report, with the default interval and grace: 61 seconds with every instance down.
// "@every 1s" with "once" started 6 or 7 runs, "@every 5s" with "skip" ran the fire due 3.5s before the
// restart.
func TestScheduleCatchUpAfterAMinuteDownWithTheDefaults(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		down := at("2026-11-26T09:00:00Z").Add(300 * time.Millisecond)
		b := setupScheduler(t, db, down.Add(-time.Minute))
		b.publish(t, "every-second", "@every 1s", CatchUpOnce, down.Add(-time.Minute))
		b.publish(t, "every-five", "@every 5s", CatchUpSkip, down.Add(-time.Minute))
		s := b.scheduler(time.Second, 0)
		b.tickUntil(t, s, time.Second, down)
		every1, every5 := len(b.runs(t, "every-second")), len(b.runs(t, "every-five"))

		up := down.Add(61 * time.Second) // 09:01:01.3: the fire of 09:00:55 is 6.3s old, the one of 09:01:00 1.3s
		b.clock.Set(up)
		if _, err := s.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := b.runs(t, "every-second"); len(got) != every1+1 || got[len(got)-1] != "2026-11-26T09:01:01Z" {
			t.Fatalf("@every 1s, once: %d runs after the outage (the last %v), want 1, for 09:01:01", len(got)-every1, got[every1:])
		}
		if got := b.runs(t, "every-five"); len(got) != every5 {
			t.Fatalf("@every 5s, skip: %d runs after the outage (%v), want none", len(got)-every5, got[every5:])
		}
		// And the next fires run as usual.
		b.clock.Set(up.Add(time.Second))
		b.tickUntil(t, s, time.Second, at("2026-11-26T09:01:05Z").Add(time.Second))
		if got := b.runs(t, "every-five"); !slices.Equal(got[every5:], []string{"2026-11-26T09:01:05Z"}) {
			t.Fatalf("@every 5s after the outage ran %v, want the fire of 09:01:05", got[every5:])
		}
	})
}

// A gap shorter than the grace is a late look, not an outage: every fire in it runs.
func TestScheduleLateLookRunsEveryFire(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := at("2026-11-26T09:00:00Z").Add(100 * time.Millisecond)
		b := setupScheduler(t, db, start)
		b.publish(t, "skip", "@every 1s", CatchUpSkip, start)
		s := b.scheduler(time.Second, 0) // grace 5s
		b.clock.Set(start.Add(4 * time.Second))
		if _, err := s.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := []string{"2026-11-26T09:00:01Z", "2026-11-26T09:00:02Z", "2026-11-26T09:00:03Z", "2026-11-26T09:00:04Z"}
		if got := b.runs(t, "skip"); !slices.Equal(got, want) {
			t.Fatalf("a look 4s late ran %v, want every fire %v", got, want)
		}
	})
}

// Two instances on one database catching up at the same moment start one run between them: both decide
// on the same fire before either claims it, and its schedule_fires row lets one start it.
func TestTwoSchedulersCatchUpOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		down := at("2026-11-26T09:00:00Z").Add(300 * time.Millisecond)
		b := setupScheduler(t, db, down)
		b.publish(t, "once", "@every 1s", CatchUpOnce, down)
		b.publish(t, "skip", "@every 1s", CatchUpSkip, down)
		a, c := b.scheduler(time.Second, 0), b.scheduler(time.Second, 0)
		b.clock.Set(down.Add(72 * time.Hour))
		ctx := context.Background()
		wfs, err := db.Triggers().WorkflowsTriggeredBy(ctx, workflow.TriggerScheduled)
		if err != nil {
			t.Fatal(err)
		}
		for _, wf := range wfs {
			la, err := a.look(ctx, &wf, b.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			lc, err := c.look(ctx, &wf, b.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			ra, err := a.fire(ctx, la)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := c.fire(ctx, lc)
			if err != nil {
				t.Fatal(err)
			}
			if started := len(ra) + len(rc); (wf.ID == "once" && started != 1) || (wf.ID == "skip" && started != 0) {
				t.Fatalf("%s: the two instances started %d and %d runs, want 1 between them for once, 0 for skip", wf.ID, len(ra), len(rc))
			}
		}
		// A second round of looks finds nothing more to do.
		for _, s := range []*Scheduler{a, c} {
			if ids, err := s.Tick(ctx); err != nil || len(ids) != 0 {
				t.Fatalf("a later look started %v (%v), want nothing", ids, err)
			}
		}
		if n := len(b.runs(t, "once")) + len(b.runs(t, "skip")); n != 1 {
			t.Fatalf("%d runs in all, want 1", n)
		}
	})
}
