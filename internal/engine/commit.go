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
	err := e.db.Tx(ctx, func(tx *gorm.DB) error {
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
			if err := eff.Apply(ctx, tx); err != nil {
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
		if _, err := e.river.InsertManyTx(ctx, store.SQLTx(tx), jobs); err != nil {
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

// executionColumns are written by every transition, in this order, with their PostgreSQL types.
var executionColumns = []struct{ name, pgType string }{
	{"id", "text"}, {"revision", "bigint"}, {"status", "text"}, {"current_step", "text"}, {"variables", "json"},
	{"outputs", "json"}, {"state", "json"}, {"error", "text"}, {"failed_step", "text"},
	{"waiting_until", "timestamptz"}, {"completed_at", "timestamptz"}, {"updated_at", "timestamptz"},
}

// updateExecutions writes every execution whose revision is still the one its commit read, and returns
// which ones it wrote.
func (e *Engine) updateExecutions(ctx context.Context, tx *gorm.DB, cs []*commit) (map[string]bool, error) {
	if e.db.Dialect == store.Postgres {
		return e.updateExecutionsPostgres(ctx, tx, cs)
	}
	var b strings.Builder
	args := make([]any, 0, len(cs)*len(executionColumns))
	b.WriteString("WITH v(")
	for i, col := range executionColumns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col.name)
	}
	b.WriteString(") AS (VALUES ")
	for i, c := range cs {
		cols, err := runColumns(c.ex.run, c.now)
		if err != nil {
			return nil, err
		}
		cols["id"], cols["revision"] = c.ex.row.ID, c.ex.row.Revision
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, col := range executionColumns {
			if j > 0 {
				b.WriteString(", ")
			}
			args = append(args, cols[col.name])
			e.placeholder(&b, len(args), col.pgType)
		}
		b.WriteByte(')')
	}
	b.WriteString(") UPDATE executions SET ")
	for i, col := range executionColumns[2:] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col.name + " = v." + col.name)
	}
	b.WriteString(", revision = executions.revision + 1 FROM v WHERE executions.id = v.id AND executions.revision = v.revision RETURNING executions.id")
	return scanIDs(ctx, tx, len(cs), b.String(), args...)
}

// updateExecutionsPostgres is updateExecutions with one array per column: the statement's text is the same
// for every batch size, so PostgreSQL parses and plans it once per connection.
const updateExecutionsPostgresSQL = `UPDATE executions SET status = v.status, current_step = v.current_step,
	variables = v.variables::json, outputs = v.outputs::json, state = v.state::json, error = v.error,
	failed_step = v.failed_step, waiting_until = v.waiting_until, completed_at = v.completed_at,
	updated_at = v.updated_at, revision = executions.revision + 1
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
	$9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
	AS v(id, revision, status, current_step, variables, outputs, state, error, failed_step, waiting_until,
	completed_at, updated_at)
WHERE executions.id = v.id AND executions.revision = v.revision
RETURNING executions.id`

func (e *Engine) updateExecutionsPostgres(ctx context.Context, tx *gorm.DB, cs []*commit) (map[string]bool, error) {
	n := len(cs)
	var (
		ids, statuses, steps, vars, outputs, states, errs, failed = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		revisions          = make([]int64, n)
		waiting, completed = make([]*time.Time, n), make([]*time.Time, n)
		updated            = make([]time.Time, n)
	)
	for i, c := range cs {
		r := c.ex.run
		v, err := store.ToJSON(r.Variables)
		if err != nil {
			return nil, fmt.Errorf("execution %s variables: %w", r.ID, err)
		}
		o, err := store.ToJSON(r.Outputs)
		if err != nil {
			return nil, fmt.Errorf("execution %s step outputs: %w", r.ID, err)
		}
		ids[i], revisions[i], statuses[i], steps[i] = c.ex.row.ID, c.ex.row.Revision, string(r.Status), r.CurrentStep
		vars[i], outputs[i], states[i] = string(v), string(o), string(store.MustJSON(r.State))
		errs[i], failed[i] = r.Error, r.FailedStep
		waiting[i], completed[i], updated[i] = r.State.WaitingUntil(), r.CompletedAt, c.now
	}
	return scanIDs(ctx, tx, n, updateExecutionsPostgresSQL,
		ids, revisions, statuses, steps, vars, outputs, states, errs, failed, waiting, completed, updated)
}

// scanIDs runs an UPDATE … RETURNING id and collects the ids.
func scanIDs(ctx context.Context, tx *gorm.DB, n int, query string, args ...any) (map[string]bool, error) {
	rows, err := store.SQLTx(tx).QueryContext(ctx, query, args...)
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

// placeholder writes the n-th bind parameter: $n::type on PostgreSQL (a VALUES list has no column types of
// its own), ? on SQLite.
func (e *Engine) placeholder(b *strings.Builder, n int, pgType string) {
	if e.db.Dialect == store.Postgres {
		fmt.Fprintf(b, "$%d::%s", n, pgType)
		return
	}
	b.WriteByte('?')
}

var logColumns = []struct{ name, pgType string }{
	{"execution_id", "text"}, {"timestamp", "timestamptz"}, {"step_id", "text"}, {"step_name", "text"},
	{"action", "text"}, {"message", "text"}, {"data", "jsonb"},
}

// insertLogsPostgres writes every log entry of a batch with one statement whose text never changes.
func insertLogsPostgres(ctx context.Context, tx *gorm.DB, cs []*commit) error {
	var execs, steps, names, actions, messages []string
	var times []time.Time
	var data []*string
	for _, c := range cs {
		for _, le := range c.tr.Log {
			var d *string
			if le.Data != nil {
				enc, err := store.ToJSON(le.Data)
				if err != nil {
					return fmt.Errorf("execution %s: log data of %s: %w", c.ex.row.ID, le.StepID, err)
				}
				s := string(enc)
				d = &s
			}
			execs, times, steps, names = append(execs, c.ex.row.ID), append(times, le.Timestamp), append(steps, le.StepID), append(names, le.StepName)
			actions, messages, data = append(actions, string(le.Action)), append(messages, le.Message), append(data, d)
		}
	}
	if len(execs) == 0 {
		return nil
	}
	if _, err := store.SQLTx(tx).ExecContext(ctx, insertLogsPostgresSQL, execs, times, steps, names, actions, messages, data); err != nil {
		return fmt.Errorf("write the execution log: %w", err)
	}
	return nil
}

// maxLogRowsPerInsert keeps one statement's parameters well under both databases' limits.
const maxLogRowsPerInsert = 500

const insertLogsPostgresSQL = `INSERT INTO execution_log (execution_id, timestamp, step_id, step_name, action, message, data)
SELECT execution_id, timestamp, step_id, step_name, action, message, data::jsonb
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
	AS v(execution_id, timestamp, step_id, step_name, action, message, data)`

func (e *Engine) insertLogs(ctx context.Context, tx *gorm.DB, cs []*commit) error {
	if e.db.Dialect == store.Postgres {
		return insertLogsPostgres(ctx, tx, cs)
	}
	var rows [][]any
	for _, c := range cs {
		for _, le := range c.tr.Log {
			var data any
			if le.Data != nil {
				enc, err := store.ToJSON(le.Data)
				if err != nil {
					return fmt.Errorf("execution %s: log data of %s: %w", c.ex.row.ID, le.StepID, err)
				}
				data = enc
			}
			rows = append(rows, []any{c.ex.row.ID, le.Timestamp, le.StepID, le.StepName, string(le.Action), le.Message, data})
		}
	}
	for start := 0; start < len(rows); start += maxLogRowsPerInsert {
		chunk := rows[start:min(start+maxLogRowsPerInsert, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO execution_log (")
		for i, col := range logColumns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(col.name)
		}
		b.WriteString(") VALUES ")
		args := make([]any, 0, len(chunk)*len(logColumns))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, col := range logColumns {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, r[j])
				e.placeholder(&b, len(args), col.pgType)
			}
			b.WriteByte(')')
		}
		if _, err := store.SQLTx(tx).ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("write the execution log: %w", err)
		}
	}
	return nil
}
