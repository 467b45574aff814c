package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// RiverClient is the River client of this database: both dialects' drivers work on *sql.Tx (see RiverDriver),
// so its transactional calls take SQLTx(tx).
type RiverClient = river.Client[*sql.Tx]

// CompleteJobTx completes a River job inside tx (River's JobCompleteTx, with this dialect's driver), so the
// job ends exactly when the work it did commits.
func CompleteJobTx[T river.JobArgs](ctx context.Context, tx *Tx, job *river.Job[T]) error {
	var err error
	if tx.dialect == Postgres {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, SQLTx(tx), job)
	} else {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, SQLTx(tx), job)
	}
	if err != nil {
		return fmt.Errorf("complete job %d: %w", job.ID, err)
	}
	return nil
}

// CountJobs counts the River jobs in a state (completed, running, ...).
func (db *DB) CountJobs(ctx context.Context, state string) (int64, error) {
	var n int64
	if err := db.gdb.WithContext(ctx).Table("river_job").Where("state = ?", state).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %s jobs: %w", state, err)
	}
	return n, nil
}

// RunningJobIDs returns the ids of the River jobs of a kind that are running now and whose args hold
// value under key: the advance jobs of one execution, so that cancelling the execution can stop them.
func (db *DB) RunningJobIDs(ctx context.Context, kind, key, value string) ([]int64, error) {
	arg := "args->>?"
	if db.Dialect == SQLite {
		arg = "json_extract(args, '$.' || ?)"
	}
	var ids []int64
	err := db.gdb.WithContext(ctx).Table("river_job").
		Where("state = 'running' AND kind = ? AND "+arg+" = ?", kind, key, value).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find running %s jobs: %w", kind, err)
	}
	return ids, nil
}

// JobKey is an execution's branch, as an advance job's args name it.
type JobKey struct {
	ExecutionID string
	BranchID    int
}

// PendingAdvanceJobs returns the branches of the given executions that have an advance job not yet
// finished (available, scheduled, running or waiting to be retried): those need no new job.
func (db *DB) PendingAdvanceJobs(ctx context.Context, kind string, executionIDs []string) (map[JobKey]bool, error) {
	out := map[JobKey]bool{}
	if len(executionIDs) == 0 {
		return out, nil
	}
	exec, branch := "args->>'executionId'", "CAST(args->>'branchId' AS INTEGER)"
	if db.Dialect == SQLite {
		exec, branch = "json_extract(args, '$.executionId')", "json_extract(args, '$.branchId')"
	}
	var rows []JobKey
	err := db.gdb.WithContext(ctx).Table("river_job").
		Select(exec+" AS execution_id, "+branch+" AS branch_id").
		Where("kind = ? AND state IN ('available', 'scheduled', 'running', 'retryable', 'pending') AND "+exec+" IN ?", kind, executionIDs).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find pending %s jobs: %w", kind, err)
	}
	for _, r := range rows {
		out[r] = true
	}
	return out, nil
}
