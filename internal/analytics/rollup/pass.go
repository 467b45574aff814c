package rollup

import (
	"context"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

const logWatermark = "execution_log"

// pass folds in at most one batch of log rows. moved says the watermark advanced; position is where it is.
func (a *Aggregator) pass(ctx context.Context) (moved bool, position int64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.db.Rollups().FoldLog(ctx, a.watermark, a.Batch, func(tx *store.Tx, lo, hi int64) error {
		return fold(ctx, tx.Rollups(), lo, hi)
	})
}

// allocated is the highest log id handed out so far: Flush waits for the watermark to reach it.
func (a *Aggregator) allocated(ctx context.Context) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.db.Rollups().AllocatedLogID(ctx, a.watermark)
}

// fold folds the log rows (lo, hi] into the step cells, and recounts the executions they belong to.
func fold(ctx context.Context, r store.Rollups, lo, hi int64) error {
	type row struct {
		exec  string
		entry analytics.LogEntry
	}
	var rows []row
	touched := map[string]bool{}
	var ids []string
	err := r.LogRange(ctx, lo, hi, func(e store.RollupLogEntry) {
		rows = append(rows, row{e.ExecutionID, logEntry(e)})
		if !touched[e.ExecutionID] {
			touched[e.ExecutionID] = true
			ids = append(ids, e.ExecutionID)
		}
	})
	if err != nil {
		return err
	}
	executions, err := loadExecutions(ctx, r, ids)
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
	if err := recount(ctx, r, ids, executions, delta); err != nil {
		return err
	}
	// Hour cells, and the same changes added up by day.
	days := byDay(delta)
	for _, w := range []struct {
		span int
		agg  *analytics.Aggregates
	}{{spanHour, delta}, {spanDay, days}} {
		if err := writeRuns(ctx, r, w.span, w.agg.Runs); err != nil {
			return err
		}
		if err := writeSteps(ctx, r, w.span, w.agg.Steps); err != nil {
			return err
		}
	}
	return nil
}
