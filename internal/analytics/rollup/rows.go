package rollup

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// queryer is a *sql.Tx or *sql.DB.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func placeholder(d store.Dialect, n int) string {
	if d == store.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// query collects arguments and writes their placeholders.
type query struct {
	d    store.Dialect
	args []any
}

func newQuery(d store.Dialect) *query { return &query{d: d} }

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return placeholder(q.d, len(q.args))
}

// tuple writes (?, ?, …) for vs.
func (q *query) tuple(vs ...any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q.arg(v))
	}
	b.WriteByte(')')
	return b.String()
}

// chunk is how many rows one statement reads or writes: well under SQLite's and PostgreSQL's parameter limits.
const chunk = 200

// logSelect reads log rows with what the metrics need beyond the row itself: the condition result of a
// condition's completion, the message of http_4xx and network failures (see analytics.Transient), and the
// due date of the human task a completion entry completed (the task is closed in the same transaction, at
// the same instant). The caller adds the WHERE clause on l, and fills in each row's execution (workflow,
// version, start, test) from the executions it reads anyway.
//
// Each plan must stay proportional to the rows read whatever the size of the tables or the state of the
// planner's statistics: rows are found by the log's id or by execution id (the log's key leads with it),
// and a completion's task by execution id (human_tasks' unique index leads with it) — on PostgreSQL in a
// lateral subquery, because a plain left join made it hash the whole human_tasks table for a few thousand
// log rows (50–90 ms at 200,000 tasks). The log is not joined to the executions: without statistics
// PostgreSQL answered such a join with a sequential scan of the whole log (11 s at 10 million rows).
func logSelect(d store.Dialect) string {
	result := "l.data->>'result'"
	task := `LEFT JOIN LATERAL (SELECT ht.id, ht.due_at FROM human_tasks ht WHERE l.action = 'completed'
	AND ht.execution_id = l.execution_id AND ht.step_id = l.step_id AND ht.completed_at = l.timestamp LIMIT 1) ht ON true`
	if d == store.SQLite {
		result = "json_extract(l.data, '$.result')"
		task = `LEFT JOIN human_tasks ht ON l.action = 'completed' AND ht.execution_id = l.execution_id
	AND ht.step_id = l.step_id AND ht.completed_at = l.timestamp`
	}
	return `SELECT l.execution_id, l.step_id, l.action, l.duration_ms, l.reason,
	CASE WHEN l.reason IN ('http_4xx', 'network') THEN l.message ELSE '' END,
	CASE WHEN l.action = 'completed' THEN ` + result + ` END, ht.id, ht.due_at, l.timestamp
FROM execution_log l
` + task
}

// scanLog reads the rows of a logSelect; each entry's execution fields are left for the caller to fill in.
func scanLog(ctx context.Context, db queryer, text string, args []any, fn func(execID string, e analytics.LogEntry)) error {
	rows, err := db.QueryContext(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("read the execution log: %w", err)
	}
	defer rows.Close()
	var (
		execID, message string
		duration        sql.NullInt64
		result, taskID  sql.NullString
		due             sql.NullTime
	)
	for rows.Next() {
		var e analytics.LogEntry
		if err := rows.Scan(&execID, &e.Step, &e.Action, &duration, &e.Reason, &message, &result, &taskID, &due, &e.At); err != nil {
			return fmt.Errorf("read the execution log: %w", err)
		}
		if duration.Valid {
			d := duration.Int64
			e.DurationMs = &d
		}
		e.Message = message
		switch result.String {
		case "true", "1":
			t := true
			e.ConditionResult = &t
		case "false", "0":
			f := false
			e.ConditionResult = &f
		}
		if taskID.Valid {
			e.Task = &analytics.TaskOutcome{}
			if due.Valid {
				t := due.Time
				e.Task.DueAt = &t
			}
		}
		fn(execID, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the execution log: %w", err)
	}
	return nil
}

// ofExecution fills in the execution fields of a log entry.
func ofExecution(e *analytics.LogEntry, ex analytics.Execution) {
	e.Workflow, e.Version, e.ExecutionStarted, e.Test = ex.Workflow, ex.Version, ex.StartedAt, ex.Test
}

// loadExecutions reads the executions with the given ids, by id.
func loadExecutions(ctx context.Context, d store.Dialect, db queryer, ids []string) (map[string]analytics.Execution, error) {
	out := make(map[string]analytics.Execution, len(ids))
	for part := range slices.Chunk(ids, chunk) {
		anys := make([]any, len(part))
		for i, id := range part {
			anys[i] = id
		}
		q := newQuery(d)
		err := scanExecutions(ctx, db, executionSelect+" WHERE e.id IN "+q.tuple(anys...), q.args, func(e analytics.Execution) {
			out[e.ID] = e
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

const executionSelect = "SELECT e.id, e.workflow_id, e.workflow_version, e.status, e.started_at, e.completed_at, e.test FROM executions e"

func scanExecutions(ctx context.Context, db queryer, text string, args []any, fn func(analytics.Execution)) error {
	rows, err := db.QueryContext(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("read executions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e analytics.Execution
		var done sql.NullTime
		if err := rows.Scan(&e.ID, &e.Workflow, &e.Version, &e.Status, &e.StartedAt, &done, &e.Test); err != nil {
			return fmt.Errorf("read executions: %w", err)
		}
		if done.Valid {
			t := done.Time
			e.CompletedAt = &t
		}
		fn(e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read executions: %w", err)
	}
	return nil
}

// counted is how an execution is counted in the run cells (a row of analytics_executions).
type counted struct {
	key         analytics.RunKey
	duration    int64
	hasDuration bool
}

// recount moves each execution whose status, start or duration changed since it was counted to its cell;
// current holds the executions as they are now (an id missing from it was deleted).
func (a *Aggregator) recount(ctx context.Context, tx *sql.Tx, ids []string, current map[string]analytics.Execution, delta *analytics.Aggregates) error {
	d := a.db.Dialect
	for part := range slices.Chunk(ids, chunk) {
		anys := make([]any, len(part))
		for i, id := range part {
			anys[i] = id
		}
		old := map[string]counted{}
		q := newQuery(d)
		rows, err := tx.QueryContext(ctx, "SELECT execution_id, workflow_id, workflow_version, hour, status, duration_ms FROM analytics_executions WHERE execution_id IN "+q.tuple(anys...), q.args...)
		if err != nil {
			return fmt.Errorf("read counted executions: %w", err)
		}
		for rows.Next() {
			var id string
			var c counted
			var dur sql.NullInt64
			if err := rows.Scan(&id, &c.key.Workflow, &c.key.Version, &c.key.Hour, &c.key.Status, &dur); err != nil {
				rows.Close()
				return fmt.Errorf("read counted executions: %w", err)
			}
			c.duration, c.hasDuration = dur.Int64, dur.Valid
			old[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read counted executions: %w", err)
		}
		var upserts []any
		var deletes []any
		for _, id := range part {
			o, wasCounted := old[id]
			var now counted
			countNow := false
			if e, ok := current[id]; ok {
				now.key, now.duration, now.hasDuration, countNow = e.Counted()
			}
			if wasCounted && countNow && o == now {
				continue
			}
			if wasCounted {
				delta.AddRun(o.key, o.duration, o.hasDuration, -1)
			}
			if countNow {
				delta.AddRun(now.key, now.duration, now.hasDuration, 1)
				var dur any
				if now.hasDuration {
					dur = now.duration
				}
				upserts = append(upserts, id, now.key.Workflow, now.key.Version, now.key.Hour, now.key.Status, dur)
			} else if wasCounted {
				deletes = append(deletes, id)
			}
		}
		if len(upserts) > 0 {
			q := newQuery(d)
			var b strings.Builder
			b.WriteString("INSERT INTO analytics_executions (execution_id, workflow_id, workflow_version, hour, status, duration_ms) VALUES ")
			for i := 0; i < len(upserts); i += 6 {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(q.tuple(upserts[i : i+6]...))
			}
			b.WriteString(` ON CONFLICT (execution_id) DO UPDATE SET workflow_id = excluded.workflow_id,
				workflow_version = excluded.workflow_version, hour = excluded.hour, status = excluded.status,
				duration_ms = excluded.duration_ms`)
			if _, err := tx.ExecContext(ctx, b.String(), q.args...); err != nil {
				return fmt.Errorf("count executions: %w", err)
			}
		}
		if len(deletes) > 0 {
			q := newQuery(d)
			if _, err := tx.ExecContext(ctx, "DELETE FROM analytics_executions WHERE execution_id IN "+q.tuple(deletes...), q.args...); err != nil {
				return fmt.Errorf("uncount executions: %w", err)
			}
		}
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

func runKeyArgs(span int, k analytics.RunKey) []any {
	return []any{k.Workflow, span, k.Hour, k.Version, k.Status}
}

func stepKeyArgs(span int, k analytics.StepKey) []any {
	return []any{k.Workflow, span, k.Hour, k.Version, k.Step}
}

func compareRunKeys(a, b analytics.RunKey) int {
	return cmp.Or(strings.Compare(a.Workflow, b.Workflow), cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Version, b.Version),
		strings.Compare(a.Status, b.Status))
}

func compareStepKeys(a, b analytics.StepKey) int {
	return cmp.Or(strings.Compare(a.Workflow, b.Workflow), cmp.Compare(a.Hour, b.Hour), cmp.Compare(a.Version, b.Version),
		strings.Compare(a.Step, b.Step))
}

// writeRuns adds delta to the stored run cells of a span; a cell left empty is deleted.
func (a *Aggregator) writeRuns(ctx context.Context, tx *sql.Tx, span int, delta map[analytics.RunKey]*analytics.RunCell) error {
	d := a.db.Dialect
	keys := slices.SortedFunc(maps.Keys(delta), compareRunKeys)
	for part := range slices.Chunk(keys, chunk) {
		q := newQuery(d)
		var in []string
		for _, k := range part {
			in = append(in, q.tuple(runKeyArgs(span, k)...))
		}
		stored := map[analytics.RunKey]*analytics.RunCell{}
		rows, err := tx.QueryContext(ctx, `SELECT workflow_id, hour, workflow_version, status, runs, duration_hist FROM analytics_run_hours
			WHERE (workflow_id, span, hour, workflow_version, status) IN (`+strings.Join(in, ", ")+`)`, q.args...)
		if err != nil {
			return fmt.Errorf("read run rollups: %w", err)
		}
		for rows.Next() {
			var k analytics.RunKey
			var c analytics.RunCell
			var hist []byte
			if err := rows.Scan(&k.Workflow, &k.Hour, &k.Version, &k.Status, &c.Runs, &hist); err != nil {
				rows.Close()
				return fmt.Errorf("read run rollups: %w", err)
			}
			if c.Durations, err = analytics.DecodeHistogram(hist); err != nil {
				rows.Close()
				return fmt.Errorf("run rollup %v: %w", k, err)
			}
			stored[k] = &c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read run rollups: %w", err)
		}
		up, del := newQuery(d), newQuery(d)
		var values, gone []string
		for _, k := range part {
			c := stored[k]
			if c == nil {
				c = &analytics.RunCell{}
			}
			c.Runs += delta[k].Runs
			c.Durations.Merge(delta[k].Durations)
			if c.Runs == 0 && c.Durations.Count() == 0 {
				if stored[k] != nil {
					gone = append(gone, del.tuple(runKeyArgs(span, k)...))
				}
				continue
			}
			values = append(values, up.tuple(k.Workflow, span, k.Hour, k.Version, k.Status, c.Runs, c.Durations.Count(),
				c.Durations.Sum(), c.Durations.Encode()))
		}
		if len(values) > 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO analytics_run_hours (workflow_id, span, hour, workflow_version, status, runs,
				duration_count, duration_sum_ms, duration_hist) VALUES `+strings.Join(values, ", ")+`
				ON CONFLICT (workflow_id, span, hour, workflow_version, status) DO UPDATE SET runs = excluded.runs,
				duration_count = excluded.duration_count, duration_sum_ms = excluded.duration_sum_ms,
				duration_hist = excluded.duration_hist`, up.args...)
			if err != nil {
				return fmt.Errorf("write run rollups: %w", err)
			}
		}
		if len(gone) > 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM analytics_run_hours WHERE (workflow_id, span, hour, workflow_version, status) IN (`+
				strings.Join(gone, ", ")+`)`, del.args...)
			if err != nil {
				return fmt.Errorf("write run rollups: %w", err)
			}
		}
	}
	return nil
}

const stepColumns = `workflow_id, hour, workflow_version, step_id, completed, failed, skipped_failed, skipped_other,
	transient_failures, reasons, duration_hist, condition_true, condition_false, tasks_with_due, tasks_late,
	infrastructure_retries`

// scanStep reads a row of stepColumns.
func scanStep(rows *sql.Rows) (analytics.StepKey, *analytics.StepCell, error) {
	var k analytics.StepKey
	c := &analytics.StepCell{}
	var reasons string
	var hist []byte
	if err := rows.Scan(&k.Workflow, &k.Hour, &k.Version, &k.Step, &c.Completed, &c.Failed, &c.SkippedFailed,
		&c.SkippedOther, &c.Transient, &reasons, &hist, &c.ConditionTrue, &c.ConditionFalse, &c.TasksWithDue, &c.TasksLate,
		&c.InfraRetries); err != nil {
		return k, nil, fmt.Errorf("read step rollups: %w", err)
	}
	var err error
	if c.Reasons, err = analytics.DecodeReasons(reasons); err != nil {
		return k, nil, fmt.Errorf("step rollup %v: %w", k, err)
	}
	if c.Durations, err = analytics.DecodeHistogram(hist); err != nil {
		return k, nil, fmt.Errorf("step rollup %v: %w", k, err)
	}
	return k, c, nil
}

// writeSteps adds delta to the stored step cells of a span.
func (a *Aggregator) writeSteps(ctx context.Context, tx *sql.Tx, span int, delta map[analytics.StepKey]*analytics.StepCell) error {
	d := a.db.Dialect
	keys := slices.SortedFunc(maps.Keys(delta), compareStepKeys)
	for part := range slices.Chunk(keys, chunk/2) {
		q := newQuery(d)
		var in []string
		for _, k := range part {
			in = append(in, q.tuple(stepKeyArgs(span, k)...))
		}
		stored := map[analytics.StepKey]*analytics.StepCell{}
		rows, err := tx.QueryContext(ctx, `SELECT `+stepColumns+` FROM analytics_step_hours
			WHERE (workflow_id, span, hour, workflow_version, step_id) IN (`+strings.Join(in, ", ")+`)`, q.args...)
		if err != nil {
			return fmt.Errorf("read step rollups: %w", err)
		}
		for rows.Next() {
			k, c, err := scanStep(rows)
			if err != nil {
				rows.Close()
				return err
			}
			stored[k] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read step rollups: %w", err)
		}
		up := newQuery(d)
		values := make([]string, 0, len(part))
		for _, k := range part {
			c := stored[k]
			if c == nil {
				c = &analytics.StepCell{}
			}
			c.Merge(delta[k])
			values = append(values, up.tuple(k.Workflow, span, k.Hour, k.Version, k.Step, c.Completed, c.Failed, c.SkippedFailed,
				c.SkippedOther, c.Transient, analytics.EncodeReasons(c.Reasons), c.Durations.Count(), c.Durations.Sum(),
				c.Durations.Encode(), c.ConditionTrue, c.ConditionFalse, c.TasksWithDue, c.TasksLate, c.InfraRetries))
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO analytics_step_hours (workflow_id, span, hour, workflow_version, step_id,
			completed, failed, skipped_failed, skipped_other, transient_failures, reasons, duration_count,
			duration_sum_ms, duration_hist, condition_true, condition_false, tasks_with_due, tasks_late, infrastructure_retries)
			VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (workflow_id, span, hour, workflow_version, step_id) DO UPDATE SET completed = excluded.completed,
			failed = excluded.failed, skipped_failed = excluded.skipped_failed, skipped_other = excluded.skipped_other,
			transient_failures = excluded.transient_failures, reasons = excluded.reasons,
			duration_count = excluded.duration_count, duration_sum_ms = excluded.duration_sum_ms,
			duration_hist = excluded.duration_hist, condition_true = excluded.condition_true,
			condition_false = excluded.condition_false, tasks_with_due = excluded.tasks_with_due,
			tasks_late = excluded.tasks_late, infrastructure_retries = excluded.infrastructure_retries`, up.args...)
		if err != nil {
			return fmt.Errorf("write step rollups: %w", err)
		}
	}
	return nil
}

// utc keeps time arguments in UTC: SQLite compares the stored text.
func utc(t time.Time) time.Time { return t.UTC() }
