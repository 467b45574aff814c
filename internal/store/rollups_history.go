package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"
)

// History is the executions, their log and their human tasks seen as a made-up history: what the rollups'
// tests and benchmarks write straight into the tables — a million runs over 90 days, a run whose status
// changes under the aggregator — and read back while they wait for the engine. Nothing else writes
// executions this way; the engine goes through Executions.
type History struct {
	repo
	pool *pgxpool.Pool // PostgreSQL: Load copies through it
}

// History is the made-up history of the rollups' tests and benchmarks.
func (db *DB) History() History { return History{repo: db.repo(), pool: db.pool} }

// HistoryRun is one execution as it stands, with its log and its human tasks.
type HistoryRun struct {
	Execution Execution
	Log       []LogRow
	Tasks     []HumanTask
}

var (
	historyExecutionColumns = []string{"id", "workflow_id", "workflow_version", "status", "started_at", "completed_at",
		"updated_at", "variables", "outputs", "state", "test", "revision"}
	historyLogColumns = []string{"execution_id", "timestamp", "step_id", "step_name", "action", "message", "data",
		"duration_ms", "reason"}
	historyTaskColumns = []string{"id", "execution_id", "workflow_id", "step_id", "activation", "assignee", "title",
		"form_fields", "due_at", "status", "completed_by", "completed_at", "created_at", "updated_at"}
)

func historyExecution(e Execution) []any {
	return []any{e.ID, e.WorkflowID, e.WorkflowVersion, e.Status, e.StartedAt, e.CompletedAt, e.UpdatedAt,
		jsonArg(e.Variables), jsonArg(e.Outputs), jsonArg(e.State), e.Test, e.Revision}
}

func historyLog(l LogRow) []any {
	return []any{l.ExecutionID, l.Timestamp, l.StepID, l.StepName, l.Action, l.Message, jsonArg(l.Data), l.DurationMs, l.Reason}
}

func historyTask(t HumanTask) []any {
	return []any{t.ID, t.ExecutionID, t.WorkflowID, t.StepID, t.Activation, t.Assignee, t.Title, jsonArg(t.FormFields),
		t.DueAt, t.Status, t.CompletedBy, t.CompletedAt, t.CreatedAt, t.UpdatedAt}
}

func jsonArg(j JSON) any {
	if j == nil {
		return nil
	}
	return string(j)
}

// Load bulk-loads the n runs run(0) … run(n−1) and then refreshes the planner's statistics, as autovacuum
// would on a live system: COPY then VACUUM ANALYZE on PostgreSQL, which asks for each run once per table (run
// must give the same run every time), multi-row INSERTs in transactions of 5,000 runs then ANALYZE on
// SQLite. It says how many log rows it wrote.
func (h History) Load(ctx context.Context, n int, run func(i int) HistoryRun) (logRows int, err error) {
	if h.dialect == Postgres {
		return h.copyHistory(ctx, n, run)
	}
	return h.insertHistory(ctx, n, run)
}

func (h History) copyHistory(ctx context.Context, n int, run func(i int) HistoryRun) (int, error) {
	conn, err := h.pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	copyAll := func(table string, cols []string, rows func(emit func([]any))) error {
		ch := make(chan []any, 4096)
		go func() {
			rows(func(r []any) { ch <- r })
			close(ch)
		}()
		_, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
			r, ok := <-ch
			if !ok {
				return nil, nil
			}
			return r, nil
		}))
		for range ch { // drain the producer if COPY stopped early
		}
		return err
	}
	if err := copyAll("executions", historyExecutionColumns, func(emit func([]any)) {
		for i := range n {
			emit(historyExecution(run(i).Execution))
		}
	}); err != nil {
		return 0, fmt.Errorf("copy executions: %w", err)
	}
	rows := 0
	if err := copyAll("execution_log", historyLogColumns, func(emit func([]any)) {
		for i := range n {
			for _, l := range run(i).Log {
				emit(historyLog(l))
				rows++
			}
		}
	}); err != nil {
		return 0, fmt.Errorf("copy the log: %w", err)
	}
	if err := copyAll("human_tasks", historyTaskColumns, func(emit func([]any)) {
		for i := range n {
			for _, t := range run(i).Tasks {
				emit(historyTask(t))
			}
		}
	}); err != nil {
		return 0, fmt.Errorf("copy tasks: %w", err)
	}
	// What autovacuum does on a live system: statistics, and the BRIN summaries of the new pages.
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE executions, execution_log, human_tasks"); err != nil {
		return 0, err
	}
	return rows, nil
}

func (h History) insertHistory(ctx context.Context, n int, run func(i int) HistoryRun) (int, error) {
	const perTx = 5000 // runs per transaction
	insert := func(conn gorm.ConnPool, table string, cols []string, vals [][]any) error {
		per := 900 / len(cols)
		for start := 0; start < len(vals); start += per {
			part := vals[start:min(start+per, len(vals))]
			var b strings.Builder
			b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			args := make([]any, 0, len(part)*len(cols))
			for i, v := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")")
				args = append(args, v...)
			}
			if _, err := conn.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		}
		return nil
	}
	rows := 0
	for lo := 0; lo < n; lo += perTx {
		var execs, logs, tasks [][]any
		for i := lo; i < min(lo+perTx, n); i++ {
			r := run(i)
			execs = append(execs, historyExecution(r.Execution))
			for _, l := range r.Log {
				logs = append(logs, historyLog(l))
			}
			for _, t := range r.Tasks {
				tasks = append(tasks, historyTask(t))
			}
		}
		err := h.q(ctx).Transaction(func(g *gorm.DB) error {
			for _, part := range []struct {
				table string
				cols  []string
				vals  [][]any
			}{{"executions", historyExecutionColumns, execs}, {"execution_log", historyLogColumns, logs}, {"human_tasks", historyTaskColumns, tasks}} {
				if err := insert(g.Statement.ConnPool, part.table, part.cols, part.vals); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		rows += len(logs)
	}
	if err := h.q(ctx).Exec("ANALYZE").Error; err != nil {
		return 0, err
	}
	return rows, nil
}

// Insert writes runs one row at a time, as the engine would have.
func (h History) Insert(ctx context.Context, runs ...HistoryRun) error {
	for _, r := range runs {
		ex := r.Execution
		if err := h.q(ctx).Create(&ex).Error; err != nil {
			return fmt.Errorf("insert execution %s: %w", ex.ID, err)
		}
		for _, l := range r.Log {
			if err := h.q(ctx).Create(&l).Error; err != nil {
				return fmt.Errorf("insert log of %s: %w", ex.ID, err)
			}
		}
		for _, t := range r.Tasks {
			if err := h.q(ctx).Create(&t).Error; err != nil {
				return fmt.Errorf("insert task of %s: %w", ex.ID, err)
			}
		}
	}
	return nil
}

// AppendLog adds log rows to executions already written.
func (h History) AppendLog(ctx context.Context, rows ...LogRow) error {
	for _, l := range rows {
		if err := h.q(ctx).Create(&l).Error; err != nil {
			return fmt.Errorf("insert log of %s: %w", l.ExecutionID, err)
		}
	}
	return nil
}

// SetEnd changes an execution's status and end (nil: none), and nothing else: not its log, not its
// revision.
func (h History) SetEnd(ctx context.Context, executionID, status string, completedAt *time.Time) error {
	res := h.q(ctx).Model(&Execution{}).Where("id = ?", executionID).
		UpdateColumns(map[string]any{"status": status, "completed_at": completedAt})
	if res.Error != nil {
		return fmt.Errorf("end execution %s: %w", executionID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("end execution %s: %w", executionID, ErrNotFound)
	}
	return nil
}

// OpenTaskOf is the id of an open human task of the execution, ErrNotFound when it has none.
func (h History) OpenTaskOf(ctx context.Context, executionID string) (string, error) {
	var ids []string
	if err := h.q(ctx).Model(&HumanTask{}).Where("execution_id = ? AND status = 'open'", executionID).Limit(1).Pluck("id", &ids).Error; err != nil {
		return "", fmt.Errorf("find the open task of %s: %w", executionID, err)
	}
	if len(ids) == 0 {
		return "", fmt.Errorf("open task of %s: %w", executionID, ErrNotFound)
	}
	return ids[0], nil
}

// CompletedRuns counts the completed executions of a workflow, test runs aside.
func (h History) CompletedRuns(ctx context.Context, workflowID string) (int64, error) {
	var n int64
	err := h.q(ctx).Model(&Execution{}).Where("workflow_id = ? AND status = 'completed' AND NOT test", workflowID).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count completed runs of %s: %w", workflowID, err)
	}
	return n, nil
}

// NewestWorkflow is the greatest workflow id any execution has, "" when there is no execution: a kept
// benchmark database's workflow.
func (h History) NewestWorkflow(ctx context.Context) (string, error) {
	var id string
	if err := h.q(ctx).Raw("SELECT COALESCE(MAX(workflow_id), '') FROM executions").Scan(&id).Error; err != nil {
		return "", fmt.Errorf("find the history's workflow: %w", err)
	}
	return id, nil
}

// Checkpoint writes everything out to the database files (CHECKPOINT on PostgreSQL, a truncating WAL
// checkpoint on SQLite), so what is measured next does not share the disk with a load's writes.
func (h History) Checkpoint(ctx context.Context) error {
	text := "CHECKPOINT"
	if h.dialect == SQLite {
		text = "PRAGMA wal_checkpoint(TRUNCATE)"
	}
	if err := h.q(ctx).Exec(text).Error; err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// KeptDatabase is the PostgreSQL database name on the server at serverURL, created unless it exists: a
// benchmark's database kept between runs (Scratch makes one that goes).
func KeptDatabase(ctx context.Context, serverURL, name string) (dbURL string, err error) {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		return "", errors.New("a kept database's name is lower-case letters, digits and underscores")
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("the PostgreSQL URL cannot be read: %w", err)
	}
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", fmt.Errorf("connect to the PostgreSQL server at %s: %w", u.Host, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look for database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return "", fmt.Errorf("create database %s: %w", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}
