package rollup

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"gorm.io/gorm"

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
	from, to := utc(q.From), utc(q.To)
	err := db.GormSnapshot(ctx, func(tx *gorm.DB) error {
		stx := store.GormSQLTx(tx)
		if q.Raw {
			lo := from
			if lo.IsZero() {
				lo = time.Unix(0, 0).UTC()
			}
			return raw(ctx, db.Dialect, stx, q, agg, lo, to, true)
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
			return raw(ctx, db.Dialect, stx, q, agg, lo, to, true)
		}
		for _, s := range spans(first, last, q.Days) {
			if err := readRuns(ctx, db.Dialect, stx, q, agg, s); err != nil {
				return err
			}
		}
		if q.Steps {
			for _, s := range spans(first, last, q.Days && !q.StepHours) {
				if err := readSteps(ctx, db.Dialect, stx, q, agg, s); err != nil {
					return err
				}
			}
		}
		if !from.IsZero() && from.Before(analytics.HourStart(first)) {
			if err := raw(ctx, db.Dialect, stx, q, agg, from, analytics.HourStart(first), false); err != nil {
				return err
			}
		}
		return raw(ctx, db.Dialect, stx, q, agg, analytics.HourStart(last), to, true)
	})
	if err != nil {
		return nil, fmt.Errorf("load metrics: %w", err)
	}
	return agg, nil
}

// filter writes the workflow, version, span and hour conditions of a rollup read, in the order of the
// tables' keys (workflow_id, span, hour, …).
func filter(d store.Dialect, q Query, s span) (string, []any) {
	b := newQuery(d)
	where := " WHERE "
	if q.Workflow != "" {
		where += "workflow_id = " + b.arg(q.Workflow) + " AND "
	}
	where += "span = " + b.arg(s.span) + " AND hour >= " + b.arg(s.lo) + " AND hour < " + b.arg(s.hi)
	if q.Version != 0 {
		where += " AND workflow_version = " + b.arg(q.Version)
	}
	return where, b.args
}

func readRuns(ctx context.Context, d store.Dialect, tx *sql.Tx, q Query, agg *analytics.Aggregates, sp span) error {
	where, args := filter(d, q, sp)
	rows, err := tx.QueryContext(ctx, "SELECT workflow_id, hour, workflow_version, status, runs, duration_hist FROM analytics_run_hours"+where, args...)
	if err != nil {
		return fmt.Errorf("read run rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k analytics.RunKey
		var runs int64
		var hist []byte
		if err := rows.Scan(&k.Workflow, &k.Hour, &k.Version, &k.Status, &runs, &hist); err != nil {
			return fmt.Errorf("read run rollups: %w", err)
		}
		h, err := analytics.DecodeHistogram(hist)
		if err != nil {
			return fmt.Errorf("run rollup %v: %w", k, err)
		}
		c := agg.Run(k)
		c.Runs += runs
		c.Durations.Merge(h)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read run rollups: %w", err)
	}
	return nil
}

func readSteps(ctx context.Context, d store.Dialect, tx *sql.Tx, q Query, agg *analytics.Aggregates, sp span) error {
	where, args := filter(d, q, sp)
	rows, err := tx.QueryContext(ctx, "SELECT "+stepColumns+" FROM analytics_step_hours"+where, args...)
	if err != nil {
		return fmt.Errorf("read step rollups: %w", err)
	}
	defer rows.Close()
	sums := map[analytics.StepKey]*analytics.HistogramSum{}
	for rows.Next() {
		k, c, err := scanStep(rows)
		if err != nil {
			return err
		}
		if q.StepHours {
			agg.Step(k).Merge(c)
			continue
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
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read step rollups: %w", err)
	}
	for k, s := range sums {
		agg.Steps[k].Durations.Merge(s.Histogram())
	}
	return nil
}

// raw aggregates the executions started in [from, to) (or [from, to] when inclusive) from the executions
// table and the log, the way the aggregator would.
func raw(ctx context.Context, d store.Dialect, tx *sql.Tx, q Query, agg *analytics.Aggregates, from, to time.Time, inclusive bool) error {
	b := newQuery(d)
	where := " WHERE e.started_at >= " + b.arg(utc(from))
	if inclusive {
		where += " AND e.started_at <= " + b.arg(utc(to))
	} else {
		where += " AND e.started_at < " + b.arg(utc(to))
	}
	where += " AND NOT e.test"
	if q.Workflow != "" {
		where += " AND e.workflow_id = " + b.arg(q.Workflow)
	}
	if q.Version != 0 {
		where += " AND e.workflow_version = " + b.arg(q.Version)
	}
	executions := map[string]analytics.Execution{}
	var ids []any
	err := scanExecutions(ctx, tx, executionSelect+where, b.args, func(e analytics.Execution) {
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
	// The log rows of those executions, by execution id: the log's key leads with it, so each execution costs
	// one index range, whatever the planner would guess from a join (see logSelect).
	for part := range slices.Chunk(ids, 500) {
		b := newQuery(d)
		err := scanLog(ctx, tx, logSelect(d)+" WHERE l.execution_id IN "+b.tuple(part...), b.args,
			func(id string, e analytics.LogEntry) {
				ofExecution(&e, executions[id])
				steps.AddLog(e)
			})
		if err != nil {
			return err
		}
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
// Both conditions match partial indexes (human_tasks_open_idx, executions_test_idx): the count reads only
// those two small indexes, never a task's or an execution's row.
func OpenTasks(ctx context.Context, db *store.DB, workflow string, now time.Time) ([]OpenTask, error) {
	b := newQuery(db.Dialect)
	text := `SELECT ht.workflow_id, ht.step_id, ht.assignee, COUNT(*),
		SUM(CASE WHEN ht.due_at IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN ht.due_at < ` + b.arg(utc(now)) + ` THEN 1 ELSE 0 END)
	FROM human_tasks ht
	WHERE ht.status = 'open' AND ht.execution_id NOT IN (SELECT e.id FROM executions e WHERE e.test)`
	if workflow != "" {
		text += " AND ht.workflow_id = " + b.arg(workflow)
	}
	text += " GROUP BY ht.workflow_id, ht.step_id, ht.assignee"
	rows, err := db.SQL.QueryContext(ctx, text, b.args...)
	if err != nil {
		return nil, fmt.Errorf("count open tasks: %w", err)
	}
	defer rows.Close()
	var out []OpenTask
	for rows.Next() {
		var t OpenTask
		if err := rows.Scan(&t.Workflow, &t.Step, &t.Assignee, &t.Open, &t.WithDue, &t.Overdue); err != nil {
			return nil, fmt.Errorf("count open tasks: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count open tasks: %w", err)
	}
	return out, nil
}
