package rollup

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Query says which executions to aggregate: those of a workflow (every workflow when empty) and version (every
// version when 0) that started in [From, To]; From zero means from the beginning.
type Query struct {
	Workflow string
	Version  int
	From, To time.Time
	// Steps asks for step cells too; StepHours keeps them by hour (else one cell per version and step).
	Steps, StepHours bool
	// Days lets whole UTC days come from day cells, one row per day instead of 24: a run cell then stands for
	// its whole day at the day's first hour, which suits totals and a daily series but not an hourly one.
	// Step cells kept by hour (StepHours) always come from hour cells.
	Days bool
	// Raw scans the executions and the log instead of reading the rollups (for checking the rollups).
	Raw bool
	// TestRuns adds the designer's test runs (WithTestRuns) or counts them alone (OnlyTestRuns). The rollups
	// never hold test runs: they are few, and come from a scan of their own rows through executions_test_idx.
	TestRuns analytics.TestRuns
}

// span is a range [lo, hi) of hours read from rollup rows of one span.
type span struct {
	span   int
	lo, hi int64
}

// spans covers the whole hours [first, last) with rollup rows: whole days from day rows when days is set, the
// hours around them (or all of them) from hour rows.
func spans(first, last int64, days bool) []span {
	if !days {
		return []span{{spanHour, first, last}}
	}
	dayLo := first
	if first != math.MinInt64 {
		dayLo = dayStart(first + spanDay - 1) // the first day that starts at first or later
	}
	dayHi := dayStart(last)
	if dayLo >= dayHi {
		return []span{{spanHour, first, last}}
	}
	out := []span{{spanDay, dayLo, dayHi}}
	if first < dayLo {
		out = append(out, span{spanHour, first, dayLo})
	}
	if dayHi < last {
		out = append(out, span{spanHour, dayHi, last})
	}
	return out
}

// Load aggregates the executions q selects, in one consistent snapshot: the rollups' whole days (q.Days) and
// hours, plus a scan of the raw rows for the hours the rollups cannot answer exactly — the first hour when
// From cuts it, and the current hour (To's), which the aggregator may not have finished and which is always
// fresh this way.
func Load(ctx context.Context, db *store.DB, q Query) (*analytics.Aggregates, error) {
	agg := analytics.NewAggregates()
	from, to := q.From.UTC(), q.To.UTC()
	err := db.Snapshot(ctx, func(tx *store.Tx) error {
		r := tx.Rollups()
		if q.TestRuns != analytics.WithoutTestRuns {
			lo := from
			if lo.IsZero() {
				lo = time.Unix(0, 0).UTC()
			}
			if err := rawTests(ctx, r, q, agg, lo, to); err != nil || q.TestRuns == analytics.OnlyTestRuns {
				return err
			}
		}
		if q.Raw {
			lo := from
			if lo.IsZero() {
				lo = time.Unix(0, 0).UTC()
			}
			return raw(ctx, r, q, agg, lo, to, true)
		}
		first := int64(math.MinInt64) // the first whole hour
		if !from.IsZero() {
			first = analytics.HourOf(from)
			if !analytics.HourStart(first).Equal(from) {
				first++
			}
		}
		last := analytics.HourOf(to) // the current hour, read raw
		if first >= last {
			lo := from
			if lo.IsZero() {
				lo = analytics.HourStart(last)
			}
			return raw(ctx, r, q, agg, lo, to, true)
		}
		for _, s := range spans(first, last, q.Days) {
			if err := readRuns(ctx, r, q, agg, s); err != nil {
				return err
			}
		}
		if q.Steps {
			for _, s := range spans(first, last, q.Days && !q.StepHours) {
				if err := readSteps(ctx, r, q, agg, s); err != nil {
					return err
				}
			}
		}
		if !from.IsZero() && from.Before(analytics.HourStart(first)) {
			if err := raw(ctx, r, q, agg, from, analytics.HourStart(first), false); err != nil {
				return err
			}
		}
		return raw(ctx, r, q, agg, analytics.HourStart(last), to, true)
	})
	if err != nil {
		return nil, fmt.Errorf("load metrics: %w", err)
	}
	return agg, nil
}

// cells is the range of rollup cells of a span that q selects.
func cells(q Query, s span) store.CellRange {
	return store.CellRange{WorkflowID: q.Workflow, WorkflowVersion: q.Version, Span: s.span, From: s.lo, To: s.hi}
}

func readRuns(ctx context.Context, r store.Rollups, q Query, agg *analytics.Aggregates, sp span) error {
	rows, err := r.RunCellsIn(ctx, cells(q, sp))
	if err != nil {
		return err
	}
	for _, row := range rows {
		k, cell, err := runCell(row)
		if err != nil {
			return err
		}
		c := agg.Run(k)
		c.Runs += cell.Runs
		c.Durations.Merge(cell.Durations)
	}
	return nil
}

func readSteps(ctx context.Context, r store.Rollups, q Query, agg *analytics.Aggregates, sp span) error {
	sums := map[analytics.StepKey]*analytics.HistogramSum{}
	err := r.StepCellsIn(ctx, cells(q, sp), func(row store.AnalyticsStepHour) error {
		k, c, err := stepCell(row)
		if err != nil {
			return err
		}
		if q.StepHours {
			agg.Step(k).Merge(c)
			return nil
		}
		// One cell per version and step: add the hours' histograms up at the end.
		k.Hour = 0
		s := sums[k]
		if s == nil {
			s = &analytics.HistogramSum{}
			sums[k] = s
		}
		s.Add(c.Durations)
		c.Durations = analytics.Histogram{}
		agg.Step(k).Merge(c)
		return nil
	})
	if err != nil {
		return err
	}
	for k, s := range sums {
		agg.Steps[k].Durations.Merge(s.Histogram())
	}
	return nil
}

// raw aggregates the executions started in [from, to) (or [from, to] when inclusive) from the executions
// table and the log, the way the aggregator would.
func raw(ctx context.Context, r store.Rollups, q Query, agg *analytics.Aggregates, from, to time.Time, inclusive bool) error {
	return scan(ctx, r, q, agg, store.StartedRange{WorkflowID: q.Workflow, WorkflowVersion: q.Version, From: from, To: to,
		Inclusive: inclusive})
}

// rawTests aggregates the test runs started in [from, to] as if they were real ones.
func rawTests(ctx context.Context, r store.Rollups, q Query, agg *analytics.Aggregates, from, to time.Time) error {
	return scan(ctx, r, q, agg, store.StartedRange{WorkflowID: q.Workflow, WorkflowVersion: q.Version, From: from, To: to,
		Inclusive: true, Test: true})
}

// scan aggregates the executions a range selects, and with q.Steps their log. A range of test runs counts
// them: the figures were asked for with them.
func scan(ctx context.Context, r store.Rollups, q Query, agg *analytics.Aggregates, sr store.StartedRange) error {
	executions := map[string]analytics.Execution{}
	var ids []string
	err := r.ExecutionsStarted(ctx, sr, func(row store.RollupExecution) {
		e := execution(row)
		e.Test = false // a range of test runs is asked for them; a range of real runs holds none
		if k, dur, hasDur, ok := e.Counted(); ok {
			agg.AddRun(k, dur, hasDur, 1)
			executions[e.ID] = e
			ids = append(ids, e.ID)
		}
	})
	if err != nil || !q.Steps {
		return err
	}
	steps := agg
	if !q.StepHours {
		steps = analytics.NewAggregates()
	}
	err = r.LogOf(ctx, ids, func(row store.RollupLogEntry) {
		e := logEntry(row)
		ofExecution(&e, executions[row.ExecutionID])
		steps.AddLog(e)
	})
	if err != nil {
		return err
	}
	if q.StepHours {
		return nil
	}
	for k, c := range steps.Steps {
		k.Hour = 0
		agg.Step(k).Merge(c)
	}
	return nil
}

// OpenTask counts the open human tasks of one step and assignee.
type OpenTask struct {
	Workflow string
	Step     string
	Assignee string
	Open     int64
	WithDue  int64
	Overdue  int64 // past their due date at now
}

// OpenTasks counts the open human tasks (of one workflow, or all when workflow is empty), test runs aside.
func OpenTasks(ctx context.Context, db *store.DB, workflow string, now time.Time) ([]OpenTask, error) {
	counts, err := db.Rollups().OpenTaskCounts(ctx, workflow, now)
	if err != nil {
		return nil, err
	}
	var out []OpenTask
	for _, c := range counts {
		out = append(out, OpenTask{Workflow: c.WorkflowID, Step: c.StepID, Assignee: c.Assignee, Open: c.Open,
			WithDue: c.WithDue, Overdue: c.Overdue})
	}
	return out, nil
}
