package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// The rollups' cells (AnalyticsRunHour, AnalyticsStepHour) and how each execution is counted in them
// (AnalyticsExecution). The aggregator reads the cells a batch touches, adds its changes up and writes them
// back, in the transaction of FoldLog; Load's reads take a range of cells.

// RunCellKey names a run cell: a workflow version's executions with one status, started in the hour (Span 1)
// or the UTC day (Span 24, Hour its first hour).
type RunCellKey struct {
	WorkflowID      string
	Span            int
	Hour            int64
	WorkflowVersion int
	Status          string
}

// StepCellKey names a step cell.
type StepCellKey struct {
	WorkflowID      string
	Span            int
	Hour            int64
	WorkflowVersion int
	StepID          string
}

// CellRange selects the cells of one span whose hour is in [From, To), of a workflow (every one when empty)
// and version (every one when 0).
type CellRange struct {
	WorkflowID      string
	WorkflowVersion int
	Span            int
	From, To        int64
}

// where writes the range's conditions in the order of the tables' keys (workflow_id, span, hour, …).
func (c CellRange) where(d Dialect) (string, []any) {
	q := &sqlQuery{d: d}
	where := " WHERE "
	if c.WorkflowID != "" {
		where += "workflow_id = " + q.arg(c.WorkflowID) + " AND "
	}
	where += "span = " + q.arg(c.Span) + " AND hour >= " + q.arg(c.From) + " AND hour < " + q.arg(c.To)
	if c.WorkflowVersion != 0 {
		where += " AND workflow_version = " + q.arg(c.WorkflowVersion)
	}
	return where, q.args
}

// CountedExecutions reads how the executions with the given ids are counted now, by id (an execution not
// counted is missing).
func (r Rollups) CountedExecutions(ctx context.Context, ids []string) (map[string]AnalyticsExecution, error) {
	out := make(map[string]AnalyticsExecution, len(ids))
	for part := range slices.Chunk(ids, rollupChunk) {
		q := &sqlQuery{d: r.dialect}
		rows, err := r.conn().QueryContext(ctx, "SELECT execution_id, workflow_id, workflow_version, hour, status, duration_ms FROM analytics_executions WHERE execution_id IN "+
			q.tuple(stringArgs(part)...), q.args...)
		if err != nil {
			return nil, fmt.Errorf("read counted executions: %w", err)
		}
		for rows.Next() {
			var c AnalyticsExecution
			var dur sql.NullInt64
			if err := rows.Scan(&c.ExecutionID, &c.WorkflowID, &c.WorkflowVersion, &c.Hour, &c.Status, &dur); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read counted executions: %w", err)
			}
			if dur.Valid {
				d := dur.Int64
				c.DurationMs = &d
			}
			out[c.ExecutionID] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read counted executions: %w", err)
		}
	}
	return out, nil
}

// CountExecutions records how the executions are counted now (inserted or replaced).
func (r Rollups) CountExecutions(ctx context.Context, counted []AnalyticsExecution) error {
	for part := range slices.Chunk(counted, rollupChunk) {
		q := &sqlQuery{d: r.dialect}
		var b strings.Builder
		b.WriteString("INSERT INTO analytics_executions (execution_id, workflow_id, workflow_version, hour, status, duration_ms) VALUES ")
		for i, c := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			var dur any
			if c.DurationMs != nil {
				dur = *c.DurationMs
			}
			b.WriteString(q.tuple(c.ExecutionID, c.WorkflowID, c.WorkflowVersion, c.Hour, c.Status, dur))
		}
		b.WriteString(` ON CONFLICT (execution_id) DO UPDATE SET workflow_id = excluded.workflow_id,
				workflow_version = excluded.workflow_version, hour = excluded.hour, status = excluded.status,
				duration_ms = excluded.duration_ms`)
		if _, err := r.conn().ExecContext(ctx, b.String(), q.args...); err != nil {
			return fmt.Errorf("count executions: %w", err)
		}
	}
	return nil
}

// UncountExecutions forgets how the executions with the given ids were counted.
func (r Rollups) UncountExecutions(ctx context.Context, ids []string) error {
	for part := range slices.Chunk(ids, rollupChunk) {
		q := &sqlQuery{d: r.dialect}
		if _, err := r.conn().ExecContext(ctx, "DELETE FROM analytics_executions WHERE execution_id IN "+q.tuple(stringArgs(part)...), q.args...); err != nil {
			return fmt.Errorf("uncount executions: %w", err)
		}
	}
	return nil
}

func (k RunCellKey) args() []any {
	return []any{k.WorkflowID, k.Span, k.Hour, k.WorkflowVersion, k.Status}
}

func (k StepCellKey) args() []any {
	return []any{k.WorkflowID, k.Span, k.Hour, k.WorkflowVersion, k.StepID}
}

// Key is the cell's key.
func (c AnalyticsRunHour) Key() RunCellKey {
	return RunCellKey{c.WorkflowID, c.Span, c.Hour, c.WorkflowVersion, c.Status}
}

// Key is the cell's key.
func (c AnalyticsStepHour) Key() StepCellKey {
	return StepCellKey{c.WorkflowID, c.Span, c.Hour, c.WorkflowVersion, c.StepID}
}

const runColumns = "workflow_id, span, hour, workflow_version, status, runs, duration_count, duration_sum_ms, duration_hist"

func scanRun(rows *sql.Rows) (AnalyticsRunHour, error) {
	var c AnalyticsRunHour
	err := rows.Scan(&c.WorkflowID, &c.Span, &c.Hour, &c.WorkflowVersion, &c.Status, &c.Runs, &c.DurationCount,
		&c.DurationSumMs, &c.DurationHist)
	return c, err
}

// RunCells reads the stored run cells of the given keys (a key without a cell is missing).
func (r Rollups) RunCells(ctx context.Context, keys []RunCellKey) (map[RunCellKey]AnalyticsRunHour, error) {
	out := make(map[RunCellKey]AnalyticsRunHour, len(keys))
	for part := range slices.Chunk(keys, rollupChunk) {
		q := &sqlQuery{d: r.dialect}
		in := make([]string, len(part))
		for i, k := range part {
			in[i] = q.tuple(k.args()...)
		}
		err := r.eachRun(ctx, "SELECT "+runColumns+` FROM analytics_run_hours
			WHERE (workflow_id, span, hour, workflow_version, status) IN (`+strings.Join(in, ", ")+`)`, q.args, func(c AnalyticsRunHour) {
			out[c.Key()] = c
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunCellsIn reads the run cells of a range.
func (r Rollups) RunCellsIn(ctx context.Context, c CellRange) ([]AnalyticsRunHour, error) {
	where, args := c.where(r.dialect)
	var out []AnalyticsRunHour
	err := r.eachRun(ctx, "SELECT "+runColumns+" FROM analytics_run_hours"+where, args, func(c AnalyticsRunHour) {
		out = append(out, c)
	})
	return out, err
}

func (r Rollups) eachRun(ctx context.Context, text string, args []any, fn func(AnalyticsRunHour)) error {
	rows, err := r.conn().QueryContext(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("read run rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanRun(rows)
		if err != nil {
			return fmt.Errorf("read run rollups: %w", err)
		}
		fn(c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read run rollups: %w", err)
	}
	return nil
}

// PutRunCells writes run cells (inserted or replaced).
func (r Rollups) PutRunCells(ctx context.Context, cells []AnalyticsRunHour) error {
	for part := range slices.Chunk(cells, rollupChunk) {
		q := &sqlQuery{d: r.dialect}
		values := make([]string, len(part))
		for i, c := range part {
			values[i] = q.tuple(c.WorkflowID, c.Span, c.Hour, c.WorkflowVersion, c.Status, c.Runs, c.DurationCount,
				c.DurationSumMs, c.DurationHist)
		}
		_, err := r.conn().ExecContext(ctx, `INSERT INTO analytics_run_hours (`+runColumns+`) VALUES `+strings.Join(values, ", ")+`
				ON CONFLICT (workflow_id, span, hour, workflow_version, status) DO UPDATE SET runs = excluded.runs,
				duration_count = excluded.duration_count, duration_sum_ms = excluded.duration_sum_ms,
				duration_hist = excluded.duration_hist`, q.args...)
		if err != nil {
			return fmt.Errorf("write run rollups: %w", err)
		}
	}
	return nil
}

// DeleteRunCells deletes the run cells of the given keys.
func (r Rollups) DeleteRunCells(ctx context.Context, keys []RunCellKey) error {
	for part := range slices.Chunk(keys, rollupChunk) {
		q := &sqlQuery{d: r.dialect}
		gone := make([]string, len(part))
		for i, k := range part {
			gone[i] = q.tuple(k.args()...)
		}
		_, err := r.conn().ExecContext(ctx, `DELETE FROM analytics_run_hours WHERE (workflow_id, span, hour, workflow_version, status) IN (`+
			strings.Join(gone, ", ")+`)`, q.args...)
		if err != nil {
			return fmt.Errorf("write run rollups: %w", err)
		}
	}
	return nil
}

const stepColumns = `workflow_id, span, hour, workflow_version, step_id, completed, failed, skipped_failed, skipped_other,
	transient_failures, reasons, duration_count, duration_sum_ms, duration_hist, condition_true, condition_false,
	tasks_with_due, tasks_late, infrastructure_retries`

func scanStepCell(rows *sql.Rows) (AnalyticsStepHour, error) {
	var c AnalyticsStepHour
	err := rows.Scan(&c.WorkflowID, &c.Span, &c.Hour, &c.WorkflowVersion, &c.StepID, &c.Completed, &c.Failed,
		&c.SkippedFailed, &c.SkippedOther, &c.TransientFailures, &c.Reasons, &c.DurationCount, &c.DurationSumMs,
		&c.DurationHist, &c.ConditionTrue, &c.ConditionFalse, &c.TasksWithDue, &c.TasksLate, &c.InfrastructureRetries)
	return c, err
}

// stepChunk is how many step cells one statement reads or writes: a step cell has 19 columns.
const stepChunk = rollupChunk / 2

// StepCells reads the stored step cells of the given keys (a key without a cell is missing).
func (r Rollups) StepCells(ctx context.Context, keys []StepCellKey) (map[StepCellKey]AnalyticsStepHour, error) {
	out := make(map[StepCellKey]AnalyticsStepHour, len(keys))
	for part := range slices.Chunk(keys, stepChunk) {
		q := &sqlQuery{d: r.dialect}
		in := make([]string, len(part))
		for i, k := range part {
			in[i] = q.tuple(k.args()...)
		}
		err := r.eachStep(ctx, `SELECT `+stepColumns+` FROM analytics_step_hours
			WHERE (workflow_id, span, hour, workflow_version, step_id) IN (`+strings.Join(in, ", ")+`)`, q.args, func(c AnalyticsStepHour) {
			out[c.Key()] = c
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StepCellsIn reads the step cells of a range, one at a time.
func (r Rollups) StepCellsIn(ctx context.Context, c CellRange, fn func(AnalyticsStepHour) error) error {
	where, args := c.where(r.dialect)
	var ferr error
	err := r.eachStep(ctx, "SELECT "+stepColumns+" FROM analytics_step_hours"+where, args, func(c AnalyticsStepHour) {
		if ferr == nil {
			ferr = fn(c)
		}
	})
	if err != nil {
		return err
	}
	return ferr
}

func (r Rollups) eachStep(ctx context.Context, text string, args []any, fn func(AnalyticsStepHour)) error {
	rows, err := r.conn().QueryContext(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("read step rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanStepCell(rows)
		if err != nil {
			return fmt.Errorf("read step rollups: %w", err)
		}
		fn(c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read step rollups: %w", err)
	}
	return nil
}

// PutStepCells writes step cells (inserted or replaced).
func (r Rollups) PutStepCells(ctx context.Context, cells []AnalyticsStepHour) error {
	for part := range slices.Chunk(cells, stepChunk) {
		q := &sqlQuery{d: r.dialect}
		values := make([]string, len(part))
		for i, c := range part {
			values[i] = q.tuple(c.WorkflowID, c.Span, c.Hour, c.WorkflowVersion, c.StepID, c.Completed, c.Failed,
				c.SkippedFailed, c.SkippedOther, c.TransientFailures, c.Reasons, c.DurationCount, c.DurationSumMs,
				c.DurationHist, c.ConditionTrue, c.ConditionFalse, c.TasksWithDue, c.TasksLate, c.InfrastructureRetries)
		}
		_, err := r.conn().ExecContext(ctx, `INSERT INTO analytics_step_hours (`+stepColumns+`)
			VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (workflow_id, span, hour, workflow_version, step_id) DO UPDATE SET completed = excluded.completed,
			failed = excluded.failed, skipped_failed = excluded.skipped_failed, skipped_other = excluded.skipped_other,
			transient_failures = excluded.transient_failures, reasons = excluded.reasons,
			duration_count = excluded.duration_count, duration_sum_ms = excluded.duration_sum_ms,
			duration_hist = excluded.duration_hist, condition_true = excluded.condition_true,
			condition_false = excluded.condition_false, tasks_with_due = excluded.tasks_with_due,
			tasks_late = excluded.tasks_late, infrastructure_retries = excluded.infrastructure_retries`, q.args...)
		if err != nil {
			return fmt.Errorf("write step rollups: %w", err)
		}
	}
	return nil
}
