package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// What the rollups are made from: log rows with what the metrics need beyond the row, the executions they
// belong to, and the open human tasks.

// RollupLogEntry is a log row as the metrics see it.
type RollupLogEntry struct {
	ExecutionID string
	Step        string
	Action      string
	DurationMs  *int64
	Reason      string
	// Message is the row's message for http_4xx and network failures, empty otherwise.
	Message string
	// ConditionResult is a condition's result, on its completion.
	ConditionResult *bool
	// CompletedTask says a completion entry completed a human task (closed in the same transaction, at the
	// same instant); TaskDueAt is that task's due date.
	CompletedTask bool
	TaskDueAt     *time.Time
	At            time.Time
}

// RollupExecution is what the metrics need of an execution.
type RollupExecution struct {
	ID              string
	WorkflowID      string
	WorkflowVersion int
	Status          string
	StartedAt       time.Time
	CompletedAt     *time.Time
	Test            bool
}

// logSelect reads log rows with the condition result of a condition's completion, the message of http_4xx
// and network failures, and the due date of the human task a completion entry completed. The caller adds the
// WHERE clause on l.
//
// Each plan must stay proportional to the rows read whatever the size of the tables or the state of the
// planner's statistics: rows are found by the log's id or by execution id (the log's key leads with it),
// and a completion's task by execution id (human_tasks' unique index leads with it) — on PostgreSQL in a
// lateral subquery, because a plain left join made it hash the whole human_tasks table for a few thousand
// log rows (50–90 ms at 200,000 tasks). The log is not joined to the executions: without statistics
// PostgreSQL answered such a join with a sequential scan of the whole log (11 s at 10 million rows); the
// callers read the executions anyway.
func logSelect(d Dialect) string {
	result := "l.data->>'result'"
	task := `LEFT JOIN LATERAL (SELECT ht.id, ht.due_at FROM human_tasks ht WHERE l.action = 'completed'
	AND ht.execution_id = l.execution_id AND ht.step_id = l.step_id AND ht.completed_at = l.timestamp LIMIT 1) ht ON true`
	if d == SQLite {
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

// LogRange reads the log rows with ids in (lo, hi], in no particular order.
func (r Rollups) LogRange(ctx context.Context, lo, hi int64, fn func(RollupLogEntry)) error {
	q := &sqlQuery{d: r.dialect}
	text := logSelect(r.dialect) + " WHERE l.id > " + q.arg(lo) + " AND l.id <= " + q.arg(hi)
	return r.eachLogEntry(ctx, text, q.args, fn)
}

// logChunk is how many executions' log rows one statement reads.
const logChunk = 500

// LogOf reads the log rows of the executions with the given ids: one index range each, whatever the planner
// would guess from a join (see logSelect).
func (r Rollups) LogOf(ctx context.Context, executionIDs []string, fn func(RollupLogEntry)) error {
	for part := range slices.Chunk(executionIDs, logChunk) {
		q := &sqlQuery{d: r.dialect}
		if err := r.eachLogEntry(ctx, logSelect(r.dialect)+" WHERE l.execution_id IN "+q.tuple(stringArgs(part)...), q.args, fn); err != nil {
			return err
		}
	}
	return nil
}

func (r Rollups) eachLogEntry(ctx context.Context, text string, args []any, fn func(RollupLogEntry)) error {
	rows, err := r.conn().QueryContext(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("read the execution log: %w", err)
	}
	defer rows.Close()
	var (
		duration       sql.NullInt64
		result, taskID sql.NullString
		due            sql.NullTime
	)
	for rows.Next() {
		var e RollupLogEntry
		if err := rows.Scan(&e.ExecutionID, &e.Step, &e.Action, &duration, &e.Reason, &e.Message, &result, &taskID, &due, &e.At); err != nil {
			return fmt.Errorf("read the execution log: %w", err)
		}
		if duration.Valid {
			d := duration.Int64
			e.DurationMs = &d
		}
		switch result.String { // PostgreSQL's ->> gives true or false, SQLite's json_extract 1 or 0
		case "true", "1":
			t := true
			e.ConditionResult = &t
		case "false", "0":
			f := false
			e.ConditionResult = &f
		}
		if taskID.Valid {
			e.CompletedTask = true
			if due.Valid {
				t := due.Time
				e.TaskDueAt = &t
			}
		}
		fn(e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the execution log: %w", err)
	}
	return nil
}

const executionSelect = "SELECT e.id, e.workflow_id, e.workflow_version, e.status, e.started_at, e.completed_at, e.test FROM executions e"

// ExecutionsByID reads the executions with the given ids, by id (a missing id was deleted).
func (r Rollups) ExecutionsByID(ctx context.Context, ids []string) (map[string]RollupExecution, error) {
	out := make(map[string]RollupExecution, len(ids))
	for part := range slices.Chunk(ids, rollupChunk) {
		q := &sqlQuery{d: r.dialect}
		err := r.eachExecution(ctx, executionSelect+" WHERE e.id IN "+q.tuple(stringArgs(part)...), q.args, func(e RollupExecution) {
			out[e.ID] = e
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StartedRange selects the executions (test runs aside, or only test runs when Test) of a workflow (every one
// when empty) and version (every one when 0) that started in [From, To), or [From, To] when Inclusive.
type StartedRange struct {
	WorkflowID      string
	WorkflowVersion int
	From, To        time.Time
	Inclusive       bool
	Test            bool
}

// ExecutionsStarted reads the executions a range selects, one at a time.
func (r Rollups) ExecutionsStarted(ctx context.Context, s StartedRange, fn func(RollupExecution)) error {
	q := &sqlQuery{d: r.dialect}
	// Times in UTC: SQLite compares the stored text.
	where := " WHERE e.started_at >= " + q.arg(s.From.UTC())
	if s.Inclusive {
		where += " AND e.started_at <= " + q.arg(s.To.UTC())
	} else {
		where += " AND e.started_at < " + q.arg(s.To.UTC())
	}
	if s.Test {
		where += " AND e.test" // few, through executions_test_idx
	} else {
		where += " AND NOT e.test"
	}
	if s.WorkflowID != "" {
		where += " AND e.workflow_id = " + q.arg(s.WorkflowID)
	}
	if s.WorkflowVersion != 0 {
		where += " AND e.workflow_version = " + q.arg(s.WorkflowVersion)
	}
	return r.eachExecution(ctx, executionSelect+where, q.args, fn)
}

func (r Rollups) eachExecution(ctx context.Context, text string, args []any, fn func(RollupExecution)) error {
	rows, err := r.conn().QueryContext(ctx, text, args...)
	if err != nil {
		return fmt.Errorf("read executions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e RollupExecution
		var done sql.NullTime
		if err := rows.Scan(&e.ID, &e.WorkflowID, &e.WorkflowVersion, &e.Status, &e.StartedAt, &done, &e.Test); err != nil {
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

// OpenTaskCount counts the open human tasks of one step and assignee.
type OpenTaskCount struct {
	WorkflowID string
	StepID     string
	Assignee   string
	Open       int64
	WithDue    int64
	Overdue    int64 // past their due date at the time given
}

// OpenTaskCounts counts the open human tasks (of one workflow, or all when workflow is empty), test runs
// aside. Both conditions match partial indexes (human_tasks_open_idx, executions_test_idx): the count reads
// only those two small indexes, never a task's or an execution's row.
func (r Rollups) OpenTaskCounts(ctx context.Context, workflow string, now time.Time) ([]OpenTaskCount, error) {
	q := &sqlQuery{d: r.dialect}
	text := `SELECT ht.workflow_id, ht.step_id, ht.assignee, COUNT(*),
		SUM(CASE WHEN ht.due_at IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN ht.due_at < ` + q.arg(now.UTC()) + ` THEN 1 ELSE 0 END)
	FROM human_tasks ht
	WHERE ht.status = 'open' AND ht.execution_id NOT IN (SELECT e.id FROM executions e WHERE e.test)`
	if workflow != "" {
		text += " AND ht.workflow_id = " + q.arg(workflow)
	}
	text += " GROUP BY ht.workflow_id, ht.step_id, ht.assignee"
	rows, err := r.conn().QueryContext(ctx, text, q.args...)
	if err != nil {
		return nil, fmt.Errorf("count open tasks: %w", err)
	}
	defer rows.Close()
	var out []OpenTaskCount
	for rows.Next() {
		var t OpenTaskCount
		if err := rows.Scan(&t.WorkflowID, &t.StepID, &t.Assignee, &t.Open, &t.WithDue, &t.Overdue); err != nil {
			return nil, fmt.Errorf("count open tasks: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count open tasks: %w", err)
	}
	return out, nil
}
