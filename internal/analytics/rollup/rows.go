package rollup

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// What the store's rows mean to the metrics, and the cells' read-merge-write.

// logEntry is a log row as the metrics see it; its execution's fields are left for ofExecution.
func logEntry(r store.RollupLogEntry) analytics.LogEntry {
	e := analytics.LogEntry{Step: r.Step, Action: r.Action, DurationMs: r.DurationMs, Reason: r.Reason,
		Message: r.Message, ConditionResult: r.ConditionResult, At: r.At}
	if r.CompletedTask {
		e.Task = &analytics.TaskOutcome{DueAt: r.TaskDueAt}
	}
	return e
}

// ofExecution fills in the execution fields of a log entry.
func ofExecution(e *analytics.LogEntry, ex analytics.Execution) {
	e.Workflow, e.Version, e.ExecutionStarted, e.Test = ex.Workflow, ex.Version, ex.StartedAt, ex.Test
}

func execution(r store.RollupExecution) analytics.Execution {
	return analytics.Execution{ID: r.ID, Workflow: r.WorkflowID, Version: r.WorkflowVersion, Status: r.Status,
		StartedAt: r.StartedAt, CompletedAt: r.CompletedAt, Test: r.Test}
}

// loadExecutions reads the executions with the given ids, by id.
func loadExecutions(ctx context.Context, r store.Rollups, ids []string) (map[string]analytics.Execution, error) {
	rows, err := r.ExecutionsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]analytics.Execution, len(rows))
	for id, e := range rows {
		out[id] = execution(e)
	}
	return out, nil
}

// counted is how an execution is counted in the run cells (a row of analytics_executions).
type counted struct {
	key         analytics.RunKey
	duration    int64
	hasDuration bool
}

func countedOf(c store.AnalyticsExecution) counted {
	out := counted{key: analytics.RunKey{Workflow: c.WorkflowID, Version: c.WorkflowVersion, Hour: c.Hour, Status: c.Status}}
	if c.DurationMs != nil {
		out.duration, out.hasDuration = *c.DurationMs, true
	}
	return out
}

// recount moves each execution whose status, start or duration changed since it was counted to its cell;
// current holds the executions as they are now (an id missing from it was deleted).
func recount(ctx context.Context, r store.Rollups, ids []string, current map[string]analytics.Execution, delta *analytics.Aggregates) error {
	stored, err := r.CountedExecutions(ctx, ids)
	if err != nil {
		return err
	}
	var upserts []store.AnalyticsExecution
	var deletes []string
	for _, id := range ids {
		row, wasCounted := stored[id]
		old := countedOf(row)
		var now counted
		countNow := false
		if e, ok := current[id]; ok {
			now.key, now.duration, now.hasDuration, countNow = e.Counted()
		}
		if wasCounted && countNow && old == now {
			continue
		}
		if wasCounted {
			delta.AddRun(old.key, old.duration, old.hasDuration, -1)
		}
		if countNow {
			delta.AddRun(now.key, now.duration, now.hasDuration, 1)
			row := store.AnalyticsExecution{ExecutionID: id, WorkflowID: now.key.Workflow, WorkflowVersion: now.key.Version,
				Hour: now.key.Hour, Status: now.key.Status}
			if now.hasDuration {
				d := now.duration
				row.DurationMs = &d
			}
			upserts = append(upserts, row)
		} else if wasCounted {
			deletes = append(deletes, id)
		}
	}
	if len(upserts) > 0 {
		if err := r.CountExecutions(ctx, upserts); err != nil {
			return err
		}
	}
	if len(deletes) > 0 {
		return r.UncountExecutions(ctx, deletes)
	}
	return nil
}

// Spans of rollup rows: an hour's, and a UTC day's (keyed by the day's first hour).
const (
	spanHour = 1
	spanDay  = 24
)

// byDay adds hour cells up into day cells, keyed by the day's first hour.
func byDay(hours *analytics.Aggregates) *analytics.Aggregates {
	days := analytics.NewAggregates()
	for k, c := range hours.Runs {
		k.Hour = dayStart(k.Hour)
		r := days.Run(k)
		r.Runs += c.Runs
		r.Durations.Merge(c.Durations)
	}
	for k, c := range hours.Steps {
		k.Hour = dayStart(k.Hour)
		days.Step(k).Merge(c)
	}
	return days
}

// dayStart is the first hour of the UTC day of hour h.
func dayStart(h int64) int64 {
	d := h / spanDay
	if h < 0 && h%spanDay != 0 {
		d--
	}
	return d * spanDay
}

func compareRunKeys(a, b analytics.RunKey) int {
	return cmp.Or(strings.Compare(a.Workflow, b.Workflow), cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Version, b.Version),
		strings.Compare(a.Status, b.Status))
}

func compareStepKeys(a, b analytics.StepKey) int {
	return cmp.Or(strings.Compare(a.Workflow, b.Workflow), cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Version, b.Version),
		strings.Compare(a.Step, b.Step))
}

func runCellKey(span int, k analytics.RunKey) store.RunCellKey {
	return store.RunCellKey{WorkflowID: k.Workflow, Span: span, Hour: k.Hour, WorkflowVersion: k.Version, Status: k.Status}
}

func stepCellKey(span int, k analytics.StepKey) store.StepCellKey {
	return store.StepCellKey{WorkflowID: k.Workflow, Span: span, Hour: k.Hour, WorkflowVersion: k.Version, StepID: k.Step}
}

// runCell is a stored run cell's key and counts.
func runCell(c store.AnalyticsRunHour) (analytics.RunKey, *analytics.RunCell, error) {
	k := analytics.RunKey{Workflow: c.WorkflowID, Version: c.WorkflowVersion, Hour: c.Hour, Status: c.Status}
	h, err := analytics.DecodeHistogram(c.DurationHist)
	if err != nil {
		return k, nil, fmt.Errorf("run rollup %v: %w", k, err)
	}
	return k, &analytics.RunCell{Runs: c.Runs, Durations: h}, nil
}

// stepCell is a stored step cell's key and counts.
func stepCell(c store.AnalyticsStepHour) (analytics.StepKey, *analytics.StepCell, error) {
	k := analytics.StepKey{Workflow: c.WorkflowID, Version: c.WorkflowVersion, Hour: c.Hour, Step: c.StepID}
	out := &analytics.StepCell{Completed: c.Completed, Failed: c.Failed, SkippedFailed: c.SkippedFailed,
		SkippedOther: c.SkippedOther, Transient: c.TransientFailures, ConditionTrue: c.ConditionTrue,
		ConditionFalse: c.ConditionFalse, TasksWithDue: c.TasksWithDue, TasksLate: c.TasksLate,
		InfraRetries: c.InfrastructureRetries}
	var err error
	if out.Reasons, err = analytics.DecodeReasons(c.Reasons); err != nil {
		return k, nil, fmt.Errorf("step rollup %v: %w", k, err)
	}
	if out.Durations, err = analytics.DecodeHistogram(c.DurationHist); err != nil {
		return k, nil, fmt.Errorf("step rollup %v: %w", k, err)
	}
	return k, out, nil
}

// writeRuns adds delta to the stored run cells of a span; a cell left empty is deleted.
func writeRuns(ctx context.Context, r store.Rollups, span int, delta map[analytics.RunKey]*analytics.RunCell) error {
	keys := slices.SortedFunc(maps.Keys(delta), compareRunKeys)
	storeKeys := make([]store.RunCellKey, len(keys))
	for i, k := range keys {
		storeKeys[i] = runCellKey(span, k)
	}
	stored, err := r.RunCells(ctx, storeKeys)
	if err != nil {
		return err
	}
	var put []store.AnalyticsRunHour
	var gone []store.RunCellKey
	for i, k := range keys {
		c := &analytics.RunCell{}
		row, ok := stored[storeKeys[i]]
		if ok {
			if _, c, err = runCell(row); err != nil {
				return err
			}
		}
		c.Runs += delta[k].Runs
		c.Durations.Merge(delta[k].Durations)
		if c.Runs == 0 && c.Durations.Count() == 0 {
			if ok {
				gone = append(gone, storeKeys[i])
			}
			continue
		}
		put = append(put, store.AnalyticsRunHour{WorkflowID: k.Workflow, Span: span, Hour: k.Hour, WorkflowVersion: k.Version,
			Status: k.Status, Runs: c.Runs, DurationCount: c.Durations.Count(), DurationSumMs: c.Durations.Sum(),
			DurationHist: c.Durations.Encode()})
	}
	if len(put) > 0 {
		if err := r.PutRunCells(ctx, put); err != nil {
			return err
		}
	}
	if len(gone) > 0 {
		return r.DeleteRunCells(ctx, gone)
	}
	return nil
}

// writeSteps adds delta to the stored step cells of a span.
func writeSteps(ctx context.Context, r store.Rollups, span int, delta map[analytics.StepKey]*analytics.StepCell) error {
	if len(delta) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(delta), compareStepKeys)
	storeKeys := make([]store.StepCellKey, len(keys))
	for i, k := range keys {
		storeKeys[i] = stepCellKey(span, k)
	}
	stored, err := r.StepCells(ctx, storeKeys)
	if err != nil {
		return err
	}
	put := make([]store.AnalyticsStepHour, 0, len(keys))
	for i, k := range keys {
		c := &analytics.StepCell{}
		if row, ok := stored[storeKeys[i]]; ok {
			if _, c, err = stepCell(row); err != nil {
				return err
			}
		}
		c.Merge(delta[k])
		put = append(put, store.AnalyticsStepHour{WorkflowID: k.Workflow, Span: span, Hour: k.Hour, WorkflowVersion: k.Version,
			StepID: k.Step, Completed: c.Completed, Failed: c.Failed, SkippedFailed: c.SkippedFailed,
			SkippedOther: c.SkippedOther, TransientFailures: c.Transient, Reasons: analytics.EncodeReasons(c.Reasons),
			DurationCount: c.Durations.Count(), DurationSumMs: c.Durations.Sum(), DurationHist: c.Durations.Encode(),
			ConditionTrue: c.ConditionTrue, ConditionFalse: c.ConditionFalse, TasksWithDue: c.TasksWithDue,
			TasksLate: c.TasksLate, InfrastructureRetries: c.InfraRetries})
	}
	return r.PutStepCells(ctx, put)
}
