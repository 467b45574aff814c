// Package rollup keeps the rollups that metrics and suggestions read, and reads them. The Aggregator folds
// new execution log rows into per-step cells, and reconciles the executions those rows belong to with the
// per-status run cells, each cell kept twice: for its hour and for its UTC day (the span column), in the same
// transaction. Load adds up the cells of a timeframe — whole days from day cells when the caller can do
// without hours, the rest from hour cells — and scans the raw rows only for the hours the rollups cannot
// answer exactly (the timeframe's partial first hour and the current hour).
//
// # Why the rollups are exact
//
// Step cells only ever grow: log rows are never changed, so each row must be folded in exactly once. The
// aggregator reads rows by id ranges (position, bound] and moves position to bound in the same transaction
// as the cells, so no range is read twice, even across crashes or two instances (the watermark row is
// locked, and on PostgreSQL the pass runs in REPEATABLE READ, so a concurrent pass fails instead of counting
// twice). What needs care is a row that commits after a row with a higher id: reading up to the highest
// visible id could skip it forever. So the bound is chosen where that cannot happen — on SQLite the highest
// committed id, on PostgreSQL an id every transaction that could hold a lower one has ended since — and
// store.Rollups.FoldLog, which runs the pass's transaction, says how.
//
// Run cells count executions by their current status, which changes. Each execution's counted state
// (status, start hour, duration) is kept in analytics_executions; when a log row of an execution is folded
// in, the execution is read in the same transaction and, if it differs from its counted state, moved from
// the old cell to the new one. Every status change the engine makes writes log rows in the same
// transaction, except the start (the first step's rows follow at once) and an operator's retry of a failed
// run (the retried step's rows follow), so an execution is counted as it is within one aggregation pass of
// its last step.
package rollup

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Aggregator keeps the rollups up to date: a background loop between Start and Stop, or Flush from tests.
type Aggregator struct {
	db  *store.DB
	log *slog.Logger
	// Interval between passes of the loop (2s); Batch is the most log rows one transaction folds in
	// (20,000 on PostgreSQL; 5,000 on SQLite, whose single connection the engine waits for meanwhile).
	Interval time.Duration
	Batch    int

	mu        sync.Mutex          // one pass at a time
	watermark *store.LogWatermark // how far the log is folded in, and what bounds the next pass

	stop context.CancelFunc
	done chan struct{}
}

// New returns an aggregator for db.
func New(db *store.DB, clk clock.Clock, log *slog.Logger) *Aggregator {
	return &Aggregator{db: db, log: log, Interval: 2 * time.Second, Batch: db.Rollups().FoldBatch(),
		watermark: &store.LogWatermark{Name: logWatermark, Clock: clk, Log: log}}
}

// Start runs the aggregation loop until Stop.
func (a *Aggregator) Start(ctx context.Context) {
	if a.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stop, a.done = cancel, make(chan struct{})
	go a.loop(ctx)
}

// Stop ends the loop and waits for a pass in progress.
func (a *Aggregator) Stop() {
	if a.stop == nil {
		return
	}
	a.stop()
	<-a.done
	a.stop = nil
}

func (a *Aggregator) loop(ctx context.Context) {
	defer close(a.done)
	t := time.NewTicker(a.Interval)
	defer t.Stop()
	for {
		if err := a.CatchUp(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("aggregate metrics", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CatchUp folds in every log row that can safely be folded in now.
func (a *Aggregator) CatchUp(ctx context.Context) error {
	for {
		moved, _, err := a.pass(ctx)
		if err != nil || !moved {
			return err
		}
	}
}

// Flush returns once every log row committed before the call is in the rollups (and the executions they
// belong to are counted as they were then, or later).
func (a *Aggregator) Flush(ctx context.Context) error {
	target, err := a.allocated(ctx)
	if err != nil {
		return err
	}
	for {
		moved, position, err := a.pass(ctx)
		if err != nil {
			return err
		}
		if position >= target {
			return nil
		}
		if !moved {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}
