package rollup

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

const logWatermark = "execution_log"

// pass folds in at most one batch of log rows. moved says the watermark advanced; position is where it is.
func (a *Aggregator) pass(ctx context.Context) (moved bool, position int64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	db := a.db.SQL
	if err := db.QueryRowContext(ctx, "SELECT position FROM analytics_watermarks WHERE name = "+a.ph(1), logWatermark).Scan(&position); err != nil {
		return false, 0, fmt.Errorf("read the metrics watermark: %w", err)
	}
	bound := int64(-1) // SQLite: found inside the transaction
	if a.db.Dialect == store.Postgres {
		if bound, err = a.safeBound(ctx, position); err != nil {
			return false, position, err
		}
		if bound <= position {
			return false, position, nil
		}
	}
	opts := &sql.TxOptions{}
	if a.db.Dialect == store.Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	next := position
	err = a.db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		stx := store.GormSQLTx(tx)
		var locked int64
		lock := "SELECT position FROM analytics_watermarks WHERE name = " + a.ph(1)
		if a.db.Dialect == store.Postgres {
			lock += " FOR UPDATE"
		}
		if err := stx.QueryRowContext(ctx, lock, logWatermark).Scan(&locked); err != nil {
			return fmt.Errorf("lock the metrics watermark: %w", err)
		}
		if locked != position {
			return nil // another instance moved it since: decide again next pass
		}
		if bound < 0 {
			if err := stx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM execution_log").Scan(&bound); err != nil {
				return fmt.Errorf("find the newest log row: %w", err)
			}
		}
		hi := min(bound, position+int64(a.Batch))
		if hi <= position {
			return nil
		}
		if err := a.fold(ctx, stx, position, hi); err != nil {
			return err
		}
		_, err := stx.ExecContext(ctx, "UPDATE analytics_watermarks SET position = "+a.ph(1)+", updated_at = "+a.ph(2)+" WHERE name = "+a.ph(3),
			hi, a.clock.Now().UTC(), logWatermark)
		if err != nil {
			return fmt.Errorf("move the metrics watermark: %w", err)
		}
		next = hi
		return nil
	}, opts)
	if serializationFailure(err) {
		return false, position, nil
	}
	if err != nil {
		return false, position, err
	}
	return next > position, next, nil
}

// safeBound is the highest log id up to which every row has committed or rolled back (see the package
// comment), at least position. It renews the candidate bound when the current one is (about to be) used up.
func (a *Aggregator) safeBound(ctx context.Context, position int64) (int64, error) {
	if a.candidate > position && !a.proven {
		oldest, err := a.oldestTransaction(ctx)
		if err != nil {
			return 0, err
		}
		a.proven = !oldest.Valid || oldest.Time.After(a.candAt)
		if !a.proven && a.clock.Now().Sub(a.stuckLog) > 5*time.Minute && a.clock.Now().Sub(oldest.Time) > 5*time.Minute {
			a.stuckLog = a.clock.Now()
			a.log.Warn("a transaction open since "+oldest.Time.Format(time.RFC3339)+" holds back the metrics; end it to let them catch up",
				"database", "postgres")
		}
	}
	bound := position
	if a.proven {
		bound = a.candidate
	}
	if a.candidate <= position || (a.proven && bound-position <= int64(a.Batch)) {
		allocated, err := a.allocated(ctx)
		if err != nil {
			return 0, err
		}
		var at time.Time
		if err := a.db.SQL.QueryRowContext(ctx, "SELECT clock_timestamp()").Scan(&at); err != nil {
			return 0, fmt.Errorf("read the database clock: %w", err)
		}
		if allocated > max(a.candidate, position) {
			a.candidate, a.candAt, a.proven = allocated, at, false
		}
	}
	return bound, nil
}

// oldestTransaction is when the oldest open transaction of another session on this database began.
func (a *Aggregator) oldestTransaction(ctx context.Context) (sql.NullTime, error) {
	var oldest sql.NullTime
	err := a.db.SQL.QueryRowContext(ctx, `SELECT MIN(xact_start) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
		AND xact_start IS NOT NULL`).Scan(&oldest)
	if err != nil {
		return oldest, fmt.Errorf("look for open transactions: %w", err)
	}
	return oldest, nil
}

// allocated is the highest log id handed out so far (PostgreSQL) or written (SQLite).
func (a *Aggregator) allocated(ctx context.Context) (int64, error) {
	if a.db.Dialect == store.SQLite {
		var n int64
		if err := a.db.SQL.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM execution_log").Scan(&n); err != nil {
			return 0, fmt.Errorf("find the newest log row: %w", err)
		}
		return n, nil
	}
	if a.sequence == "" {
		if err := a.db.SQL.QueryRowContext(ctx, "SELECT pg_get_serial_sequence('execution_log', 'id')").Scan(&a.sequence); err != nil {
			return 0, fmt.Errorf("find the log's id sequence: %w", err)
		}
	}
	var last int64
	var called bool
	if err := a.db.SQL.QueryRowContext(ctx, "SELECT last_value, is_called FROM "+a.sequence).Scan(&last, &called); err != nil {
		return 0, fmt.Errorf("read the log's id sequence: %w", err)
	}
	if !called {
		return last - 1, nil
	}
	return last, nil
}

func (a *Aggregator) ph(n int) string { return placeholder(a.db.Dialect, n) }

// fold folds the log rows (lo, hi] into the step cells, and recounts the executions they belong to.
func (a *Aggregator) fold(ctx context.Context, tx *sql.Tx, lo, hi int64) error {
	q := newQuery(a.db.Dialect)
	sqlText := logSelect(a.db.Dialect) + " WHERE l.id > " + q.arg(lo) + " AND l.id <= " + q.arg(hi)
	type row struct {
		exec  string
		entry analytics.LogEntry
	}
	var rows []row
	touched := map[string]bool{}
	var ids []string
	err := scanLog(ctx, tx, sqlText, q.args, func(execID string, e analytics.LogEntry) {
		rows = append(rows, row{execID, e})
		if !touched[execID] {
			touched[execID] = true
			ids = append(ids, execID)
		}
	})
	if err != nil {
		return err
	}
	executions, err := loadExecutions(ctx, a.db.Dialect, tx, ids)
	if err != nil {
		return err
	}
	delta := analytics.NewAggregates()
	for _, r := range rows {
		ex, ok := executions[r.exec]
		if !ok {
			continue // deleted since (its log rows go with it)
		}
		ofExecution(&r.entry, ex)
		delta.AddLog(r.entry)
	}
	if err := a.recount(ctx, tx, ids, executions, delta); err != nil {
		return err
	}
	// Hour cells, and the same changes added up by day.
	days := byDay(delta)
	for _, w := range []struct {
		span int
		agg  *analytics.Aggregates
	}{{spanHour, delta}, {spanDay, days}} {
		if err := a.writeRuns(ctx, tx, w.span, w.agg.Runs); err != nil {
			return err
		}
		if err := a.writeSteps(ctx, tx, w.span, w.agg.Steps); err != nil {
			return err
		}
	}
	return nil
}
