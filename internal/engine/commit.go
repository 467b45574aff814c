package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// commit is one transition's writes.
type commit struct {
	ex      *loaded
	tr      Transition
	effects []store.Effect
	// jobs are branches that need a new advance job.
	jobs []int
	// job, when set, is completed in the same transaction; ctx is its worker's context, which River needs.
	job *river.Job[AdvanceArgs]
	ctx context.Context
	now time.Time
}

// commitOne writes one transition in its own transaction. It returns errConflict when the execution changed
// since it was read.
func (e *Engine) commitOne(ctx context.Context, c *commit) error {
	var results []error
	err := e.db.GormTx(ctx, func(tx *gorm.DB) error {
		var err error
		results, err = e.writeBatch(ctx, tx, []*commit{c})
		if err == nil && results[0] != nil {
			return results[0] // roll back: nothing of a conflicting commit may stay
		}
		return err
	})
	if err != nil {
		return err
	}
	c.ex.row.Revision++
	return nil
}

// writeBatch writes the transitions of several executions in one transaction (group commit), with as few
// statements as it can: one UPDATE checks every revision and writes every execution, one INSERT writes every
// log entry, one River call enqueues every successor. A commit whose revision check fails gets errConflict
// and nothing of it is written; the others go on. Each execution may appear once per batch.
func (e *Engine) writeBatch(ctx context.Context, tx *gorm.DB, cs []*commit) ([]error, error) {
	results := make([]error, len(cs))
	updated, err := e.updateExecutions(ctx, tx, cs)
	if err != nil {
		return nil, err
	}
	var ok []*commit
	for i, c := range cs {
		if !updated[c.ex.row.ID] {
			results[i] = errConflict
			continue
		}
		ok = append(ok, c)
	}
	if len(ok) == 0 {
		return results, nil
	}
	if err := e.insertLogs(ctx, tx, ok); err != nil {
		return nil, err
	}
	var jobs []river.InsertManyParams
	for _, c := range ok {
		for _, eff := range c.effects {
			if err := eff.Apply(ctx, store.WrapTx(tx, e.db.Dialect)); err != nil {
				return nil, fmt.Errorf("execution %s: %w", c.ex.row.ID, err)
			}
		}
		if err := writeTasks(tx, c); err != nil {
			return nil, err
		}
		for _, id := range c.jobs {
			jobs = append(jobs, river.InsertManyParams{Args: AdvanceArgs{ExecutionID: c.ex.row.ID, BranchID: id}})
		}
	}
	if len(jobs) > 0 {
		if _, err := e.river.InsertManyTx(ctx, store.GormSQLTx(tx), jobs); err != nil {
			return nil, fmt.Errorf("enqueue branches: %w", err)
		}
	}
	for _, c := range ok {
		if c.job != nil {
			jctx := c.ctx
			if jctx == nil {
				jctx = ctx
			}
			if err := e.completeJobTx(jctx, tx, c.job); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

// executionRow is what a transition writes to its execution's row.
type executionRow struct {
	ID                        string
	Revision                  int64 // the revision the transition read
	Status, CurrentStep       string
	Variables, Outputs, State string // JSON documents
	Error, FailedStep         string
	WaitingUntil, CompletedAt *time.Time
	UpdatedAt                 time.Time
}

func rowOf(r *Run, revision int64, now time.Time) (executionRow, error) {
	vars, err := store.ToJSON(r.Variables)
	if err != nil {
		return executionRow{}, fmt.Errorf("execution %s variables: %w", r.ID, err)
	}
	outputs, err := store.ToJSON(r.Outputs)
	if err != nil {
		return executionRow{}, fmt.Errorf("execution %s step outputs: %w", r.ID, err)
	}
	return executionRow{
		ID: r.ID, Revision: revision, Status: string(r.Status), CurrentStep: r.CurrentStep,
		Variables: string(vars), Outputs: string(outputs), State: string(store.MustJSON(r.State)),
		Error: r.Error, FailedStep: r.FailedStep, WaitingUntil: r.State.WaitingUntil(), CompletedAt: r.CompletedAt,
		UpdatedAt: now,
	}, nil
}

// updateExecutions writes every execution whose revision is still the one its commit read, and returns
// which ones it wrote.
func (e *Engine) updateExecutions(ctx context.Context, tx *gorm.DB, cs []*commit) (map[string]bool, error) {
	rows := make([]executionRow, len(cs))
	for i, c := range cs {
		var err error
		if rows[i], err = rowOf(c.ex.run, c.ex.row.Revision, c.now); err != nil {
			return nil, err
		}
	}
	if e.db.Dialect == store.Postgres {
		return updateExecutionsPostgres(ctx, tx, rows)
	}
	return updateExecutionsSQLite(ctx, tx, rows)
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

func updateExecutionsPostgres(ctx context.Context, tx *gorm.DB, rows []executionRow) (map[string]bool, error) {
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
	return scanIDs(ctx, tx, n, updateExecutionsPostgresSQL,
		ids, revisions, statuses, steps, vars, outputs, states, errs, failed, waiting, completed, updated)
}

// updateExecutionsSQLite takes a VALUES list (SQLite has no arrays; it parses in-process, so the changing
// text costs little).
func updateExecutionsSQLite(ctx context.Context, tx *gorm.DB, rows []executionRow) (map[string]bool, error) {
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
	return scanIDs(ctx, tx, len(rows), b.String(), args...)
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
func scanIDs(ctx context.Context, tx *gorm.DB, n int, query string, args ...any) (map[string]bool, error) {
	rows, err := store.GormSQLTx(tx).QueryContext(ctx, query, args...)
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

// logRow is one execution log entry as written.
type logRow struct {
	ExecutionID                       string
	Timestamp                         time.Time
	StepID, StepName, Action, Message string
	Data                              *string // JSON, or nil
	DurationMs                        *int64
	Reason                            string
}

func logRowsOf(cs []*commit) ([]logRow, error) {
	var rows []logRow
	for _, c := range cs {
		for _, le := range c.tr.Log {
			r := logRow{ExecutionID: c.ex.row.ID, Timestamp: le.Timestamp, StepID: le.StepID, StepName: le.StepName,
				Action: string(le.Action), Message: le.Message, DurationMs: le.DurationMs, Reason: le.Reason}
			if le.Data != nil {
				enc, err := store.ToJSON(le.Data)
				if err != nil {
					return nil, fmt.Errorf("execution %s: log data of %s: %w", c.ex.row.ID, le.StepID, err)
				}
				d := string(enc)
				r.Data = &d
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

func (e *Engine) insertLogs(ctx context.Context, tx *gorm.DB, cs []*commit) error {
	rows, err := logRowsOf(cs)
	if err != nil || len(rows) == 0 {
		return err
	}
	if e.db.Dialect == store.Postgres {
		err = insertLogsPostgres(ctx, tx, rows)
	} else {
		err = insertLogsSQLite(ctx, tx, rows)
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

func insertLogsPostgres(ctx context.Context, tx *gorm.DB, rows []logRow) error {
	n := len(rows)
	execs, steps, names, actions, messages := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	times, data := make([]time.Time, n), make([]*string, n)
	durations, reasons := make([]*int64, n), make([]string, n)
	for i, r := range rows {
		execs[i], times[i], steps[i], names[i], actions[i], messages[i], data[i] =
			r.ExecutionID, r.Timestamp, r.StepID, r.StepName, r.Action, r.Message, r.Data
		durations[i], reasons[i] = r.DurationMs, r.Reason
	}
	_, err := store.GormSQLTx(tx).ExecContext(ctx, insertLogsPostgresSQL, execs, times, steps, names, actions, messages, data,
		durations, reasons)
	return err
}

// maxLogRowsPerInsert keeps one SQLite statement's parameters well under its limit.
const maxLogRowsPerInsert = 500

func insertLogsSQLite(ctx context.Context, tx *gorm.DB, rows []logRow) error {
	for start := 0; start < len(rows); start += maxLogRowsPerInsert {
		chunk := rows[start:min(start+maxLogRowsPerInsert, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO execution_log (execution_id, timestamp, step_id, step_name, action, message, data, duration_ms, reason) VALUES ")
		writeValues(&b, len(chunk), 9)
		args := make([]any, 0, len(chunk)*9)
		for _, r := range chunk {
			args = append(args, r.ExecutionID, r.Timestamp, r.StepID, r.StepName, r.Action, r.Message, r.Data, r.DurationMs, r.Reason)
		}
		if _, err := store.GormSQLTx(tx).ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
