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
// visible id could skip it forever. So the bound is chosen where that cannot happen:
//
//   - SQLite has one writer at a time, and AUTOINCREMENT ids are handed out inside the writing transaction:
//     every row below the highest committed id is committed. The bound is simply that id.
//   - On PostgreSQL an id comes from a sequence when the row is inserted, and the row shows when its
//     transaction commits, possibly much later. The aggregator reads the sequence (A, every id handed out so
//     far) and then the server's clock (T). Any transaction holding an id ≤ A started before T. Once no
//     transaction of this database that started at or before T is still open (pg_stat_activity's
//     xact_start), every row with an id ≤ A has committed or rolled back, and the pass, whose snapshot is
//     taken after that check, sees all committed ones. A becomes the bound. This needs no time limit on
//     transactions: a long one only delays the rollups, never corrupts them. (It assumes the sequence hands
//     out ids one at a time, the default CACHE 1, and that only this application's role writes the log.)
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
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Aggregator keeps the rollups up to date: a background loop between Start and Stop, or Flush from tests.
type Aggregator struct {
	db    *store.DB
	log   *slog.Logger
	clock clock.Clock
	// Interval between passes of the loop (2s); Batch is the most log rows one transaction folds in
	// (20,000 on PostgreSQL; 5,000 on SQLite, whose single connection the engine waits for meanwhile).
	Interval time.Duration
	Batch    int

	mu        sync.Mutex // one pass at a time
	sequence  string     // PostgreSQL: the sequence behind execution_log.id
	candidate int64      // PostgreSQL: ids up to this were handed out before candidateAt
	candAt    time.Time
	proven    bool // no transaction open at candAt is left: candidate is a safe bound
	stuckLog  time.Time

	stop context.CancelFunc
	done chan struct{}
}

// New returns an aggregator for db.
func New(db *store.DB, clk clock.Clock, log *slog.Logger) *Aggregator {
	a := &Aggregator{db: db, log: log, clock: clk, Interval: 2 * time.Second, Batch: 20000}
	if db.Dialect == store.SQLite {
		a.Batch = 5000
	}
	return a
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

// serializationFailure is PostgreSQL's answer to a REPEATABLE READ transaction that lost a race: another
// instance moved the watermark meanwhile. The pass counted nothing; the next one starts over.
func serializationFailure(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}
