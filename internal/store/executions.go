package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ExecutionWrite is what a transition writes to its execution's row.
type ExecutionWrite struct {
	ID                        string
	Revision                  int64 // the revision the transition read
	Status, CurrentStep       string
	Variables, Outputs, State string // JSON documents
	Error, FailedStep         string
	WaitingUntil, CompletedAt *time.Time
	UpdatedAt                 time.Time
}

// Insert stores a new execution with its search terms (SearchTerms).
func (r Executions) Insert(ctx context.Context, row *Execution, terms ...string) error {
	if err := r.q(ctx).Create(row).Error; err != nil {
		return err
	}
	return r.insertTerms(ctx, row.ID, terms)
}

// ByID reads one execution, without the variables it started with (Input: only replays read them, through
// ReplaySources; the engine reads this row at every step); ErrNotFound when there is none.
func (r Executions) ByID(ctx context.Context, id string) (*Execution, error) {
	var row Execution
	err := r.q(ctx).Omit("input").Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", id, err)
	}
	return &row, nil
}

// Due returns, earliest first, up to limit executions in one of statuses whose waiting_until is at or before now.
func (r Executions) Due(ctx context.Context, now time.Time, statuses []string, limit int) ([]string, error) {
	var ids []string
	err := r.q(ctx).Model(&Execution{}).Where("waiting_until <= ? AND status IN ?", now, statuses).
		Order("waiting_until").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find due timers: %w", err)
	}
	return ids, nil
}

// StatesInBatches calls fn with the id and state (only those columns) of every execution in status last
// changed before before (all of them when before is zero), batch rows at a time.
func (r Executions) StatesInBatches(ctx context.Context, status string, before time.Time, batch int, fn func(rows []Execution) error) error {
	q := r.q(ctx).Model(&Execution{}).Select("id", "state").Where("status = ?", status)
	if !before.IsZero() {
		q = q.Where("updated_at < ?", before)
	}
	var rows []Execution
	return q.FindInBatches(&rows, batch, func(*gorm.DB, int) error { return fn(rows) }).Error
}

// CountByStatus counts the executions in status.
func (r Executions) CountByStatus(ctx context.Context, status string) (int64, error) {
	var n int64
	if err := r.q(ctx).Model(&Execution{}).Where("status = ?", status).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %s executions: %w", status, err)
	}
	return n, nil
}

// LogCount counts the log entries of an execution.
func (r Executions) LogCount(ctx context.Context, executionID string) (int64, error) {
	var n int64
	if err := r.q(ctx).Model(&LogRow{}).Where("execution_id = ?", executionID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count the log of execution %s: %w", executionID, err)
	}
	return n, nil
}

// RunTimes are when an execution started and completed.
type RunTimes struct {
	StartedAt   time.Time
	CompletedAt *time.Time
}

// RunTimesSince returns the start and completion times of the executions started at or after since.
func (r Executions) RunTimesSince(ctx context.Context, since time.Time) ([]RunTimes, error) {
	var rows []Execution
	if err := r.q(ctx).Select("started_at", "completed_at").Where("started_at >= ?", since).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read run times: %w", err)
	}
	out := make([]RunTimes, len(rows))
	for i, row := range rows {
		out[i] = RunTimes{StartedAt: row.StartedAt, CompletedAt: row.CompletedAt}
	}
	return out, nil
}

// LastCompletion is the latest completed_at of any execution.
func (r Executions) LastCompletion(ctx context.Context) (time.Time, error) {
	var last time.Time
	if err := r.conn().QueryRowContext(ctx, "SELECT max(completed_at) FROM executions").Scan(&scanTime{&last}); err != nil {
		return time.Time{}, fmt.Errorf("read the last completion: %w", err)
	}
	return last, nil
}

// scanTime reads a timestamp that SQLite returns as text and PostgreSQL as a time.
type scanTime struct{ t *time.Time }

func (s *scanTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		*s.t = x
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano} {
			if t, err := time.Parse(layout, x); err == nil {
				*s.t = t
				return nil
			}
		}
		return fmt.Errorf("unreadable time %q", x)
	default:
		return fmt.Errorf("unreadable time %T", v)
	}
	return nil
}

// conn is the database/sql connection (or transaction) under the repository, for the statements GORM
// would build too slowly: the group commit's batched UPDATE and INSERT.
func (r repo) conn() gorm.ConnPool { return r.g.Statement.ConnPool }

// UpdateBatch writes, in one statement, every execution whose revision is still the one its write read
// (and bumps it), and returns which ones it wrote: the others changed concurrently.
func (r Executions) UpdateBatch(ctx context.Context, rows []ExecutionWrite) (map[string]bool, error) {
	if r.dialect == Postgres {
		return r.updatePostgres(ctx, rows)
	}
	return r.updateSQLite(ctx, rows)
}

const setFromV = `status = v.status, current_step = v.current_step, variables = v.variables, outputs = v.outputs,
	state = v.state, error = v.error, failed_step = v.failed_step, waiting_until = v.waiting_until,
	completed_at = v.completed_at, updated_at = v.updated_at, revision = executions.revision + 1`

// updateExecutionsPostgresSQL takes one array per column: its text is the same for every batch size, so
// PostgreSQL parses and plans it once per connection, and pgx encodes Go slices natively.
const updateExecutionsPostgresSQL = `UPDATE executions SET ` + setFromV + `
FROM (SELECT id, revision, status, current_step, variables::json, outputs::json, state::json, error, failed_step,
	waiting_until, completed_at, updated_at
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
	AS u(id, revision, status, current_step, variables, outputs, state, error, failed_step, waiting_until,
	completed_at, updated_at)) AS v
WHERE executions.id = v.id AND executions.revision = v.revision
RETURNING executions.id`

func (r Executions) updatePostgres(ctx context.Context, rows []ExecutionWrite) (map[string]bool, error) {
	n := len(rows)
	ids, statuses, steps, vars := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	outputs, states, errs, failed := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	revisions, updated := make([]int64, n), make([]time.Time, n)
	waiting, completed := make([]*time.Time, n), make([]*time.Time, n)
	for i, r := range rows {
		ids[i], revisions[i], statuses[i], steps[i] = r.ID, r.Revision, r.Status, r.CurrentStep
		vars[i], outputs[i], states[i], errs[i], failed[i] = r.Variables, r.Outputs, r.State, r.Error, r.FailedStep
		waiting[i], completed[i], updated[i] = r.WaitingUntil, r.CompletedAt, r.UpdatedAt
	}
	return r.scanIDs(ctx, n, updateExecutionsPostgresSQL,
		ids, revisions, statuses, steps, vars, outputs, states, errs, failed, waiting, completed, updated)
}

// updateSQLite takes a VALUES list (SQLite has no arrays; it parses in-process, so the changing text costs
// little).
func (r Executions) updateSQLite(ctx context.Context, rows []ExecutionWrite) (map[string]bool, error) {
	var b strings.Builder
	b.WriteString(`WITH v(id, revision, status, current_step, variables, outputs, state, error, failed_step,
	waiting_until, completed_at, updated_at) AS (VALUES `)
	writeValues(&b, len(rows), 12)
	b.WriteString(") UPDATE executions SET " + setFromV +
		" FROM v WHERE executions.id = v.id AND executions.revision = v.revision RETURNING executions.id")
	args := make([]any, 0, len(rows)*12)
	for _, r := range rows {
		args = append(args, r.ID, r.Revision, r.Status, r.CurrentStep, r.Variables, r.Outputs, r.State, r.Error,
			r.FailedStep, r.WaitingUntil, r.CompletedAt, r.UpdatedAt)
	}
	return r.scanIDs(ctx, len(rows), b.String(), args...)
}

// writeValues writes rows groups of cols ? placeholders: (?, ?), (?, ?).
func writeValues(b *strings.Builder, rows, cols int) {
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
}

// scanIDs runs an UPDATE … RETURNING id and collects the ids.
func (r Executions) scanIDs(ctx context.Context, n int, query string, args ...any) (map[string]bool, error) {
	rows, err := r.conn().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("update executions: %w", err)
	}
	defer rows.Close()
	updated := make(map[string]bool, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("update executions: %w", err)
		}
		updated[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("update executions: %w", err)
	}
	return updated, nil
}

// InsertLogs writes log entries (their ID is the database's) in as few statements as it can: one on
// PostgreSQL, one per 500 entries on SQLite.
func (r Executions) InsertLogs(ctx context.Context, rows []LogRow) error {
	if len(rows) == 0 {
		return nil
	}
	var err error
	if r.dialect == Postgres {
		err = r.insertLogsPostgres(ctx, rows)
	} else {
		err = r.insertLogsSQLite(ctx, rows)
	}
	if err != nil {
		return fmt.Errorf("write the execution log: %w", err)
	}
	return nil
}

const insertLogsPostgresSQL = `INSERT INTO execution_log (execution_id, timestamp, step_id, step_name, action, message, data,
	duration_ms, reason)
SELECT execution_id, timestamp, step_id, step_name, action, message, data::jsonb, duration_ms, reason
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
	$8::bigint[], $9::text[])
	AS v(execution_id, timestamp, step_id, step_name, action, message, data, duration_ms, reason)`

func (r Executions) insertLogsPostgres(ctx context.Context, rows []LogRow) error {
	n := len(rows)
	execs, steps, names, actions, messages := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	times, data := make([]time.Time, n), make([]*string, n)
	durations, reasons := make([]*int64, n), make([]string, n)
	for i, r := range rows {
		execs[i], times[i], steps[i], names[i], actions[i], messages[i] =
			r.ExecutionID, r.Timestamp, r.StepID, r.StepName, r.Action, r.Message
		if r.Data != nil {
			d := string(r.Data)
			data[i] = &d
		}
		durations[i], reasons[i] = r.DurationMs, r.Reason
	}
	_, err := r.conn().ExecContext(ctx, insertLogsPostgresSQL, execs, times, steps, names, actions, messages, data,
		durations, reasons)
	return err
}

// maxLogRowsPerInsert keeps one SQLite statement's parameters well under its limit.
const maxLogRowsPerInsert = 500

func (r Executions) insertLogsSQLite(ctx context.Context, rows []LogRow) error {
	for start := 0; start < len(rows); start += maxLogRowsPerInsert {
		chunk := rows[start:min(start+maxLogRowsPerInsert, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO execution_log (execution_id, timestamp, step_id, step_name, action, message, data, duration_ms, reason) VALUES ")
		writeValues(&b, len(chunk), 9)
		args := make([]any, 0, len(chunk)*9)
		for _, r := range chunk {
			var data *string
			if r.Data != nil {
				d := string(r.Data)
				data = &d
			}
			args = append(args, r.ExecutionID, r.Timestamp, r.StepID, r.StepName, r.Action, r.Message, data, r.DurationMs, r.Reason)
		}
		if _, err := r.conn().ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// TriggerRefs are the trigger references (event id, webhook delivery, schedule time) of a workflow's
// executions, in order.
func (r Executions) TriggerRefs(ctx context.Context, workflowID string) ([]string, error) {
	var refs []string
	err := r.q(ctx).Model(&Execution{}).Where("workflow_id = ?", workflowID).Order("trigger_ref").Pluck("trigger_ref", &refs).Error
	if err != nil {
		return nil, fmt.Errorf("list the trigger references of %s: %w", workflowID, err)
	}
	return refs, nil
}

// StatusCounts counts the executions by status.
func (r Executions) StatusCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := r.q(ctx).Model(&Execution{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count executions by status: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, row := range rows {
		out[row.Status] = row.N
	}
	return out, nil
}

// NotIn returns up to limit executions whose status is not status.
func (r Executions) NotIn(ctx context.Context, status string, limit int) ([]Execution, error) {
	var out []Execution
	if err := r.q(ctx).Where("status <> ?", status).Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("find executions not %s: %w", status, err)
	}
	return out, nil
}

// StepLogCount is how many log entries of one action a step of an execution has.
type StepLogCount struct {
	ExecutionID string
	StepID      string
	N           int
}

// StepLogCounts counts the log entries of an action (completed, failed, ...) per execution and step.
func (r Executions) StepLogCounts(ctx context.Context, action string) ([]StepLogCount, error) {
	var out []StepLogCount
	err := r.q(ctx).Model(&LogRow{}).Select("execution_id, step_id, COUNT(*) AS n").Where("action = ?", action).
		Group("execution_id, step_id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("count the %s log entries: %w", action, err)
	}
	return out, nil
}

// ActionLogCount counts the log entries of an action over every execution.
func (r Executions) ActionLogCount(ctx context.Context, action string) (int64, error) {
	var n int64
	if err := r.q(ctx).Model(&LogRow{}).Where("action = ?", action).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count the %s log entries: %w", action, err)
	}
	return n, nil
}

// ForgetTestRuns deletes the test runs that ended before before, with their log, tasks and task holders
// (ON DELETE CASCADE); a test run still going is kept. It says how many it deleted.
func (r Executions) ForgetTestRuns(ctx context.Context, before time.Time) (int64, error) {
	res := r.q(ctx).Where("test AND status IN ? AND completed_at < ?", []string{"completed", "failed", "cancelled"}, before).Delete(&Execution{})
	if res.Error != nil {
		return 0, fmt.Errorf("forget old test runs: %w", res.Error)
	}
	return res.RowsAffected, nil
}
