package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/kitchenpantry/pantryflow/internal/clock"
)

// The rollups' side of the database (package rollup holds what they count and why; its comment says why the
// counts are exact): the watermark that says how far the execution log has been folded in and the pass that
// moves it (this file), the cells and the counted executions (rollups_cells.go), and the rows the rollups
// are made from — the log, the executions, the open tasks (rollups_sources.go). The rollups speak
// database/sql under GORM's handle: they read and write thousands of rows a pass, in statements of hundreds.

// rollupChunk is how many rows one statement reads or writes: well under SQLite's and PostgreSQL's parameter
// limits.
const rollupChunk = 200

// conn is the database/sql handle under the repository's GORM handle: the *sql.DB, or the *sql.Tx inside a
// transaction.
func (r Rollups) conn() gorm.ConnPool { return r.g.Statement.ConnPool }

// sqlQuery collects arguments and writes their placeholders.
type sqlQuery struct {
	d    Dialect
	args []any
}

func (q *sqlQuery) arg(v any) string {
	q.args = append(q.args, v)
	if q.d == Postgres {
		return "$" + strconv.Itoa(len(q.args))
	}
	return "?"
}

// tuple writes (?, ?, …) for vs.
func (q *sqlQuery) tuple(vs ...any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q.arg(v))
	}
	b.WriteByte(')')
	return b.String()
}

func stringArgs(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// LogWatermark is how far the rollups have folded in the execution log: every row with an id up to its
// position, in the watermark row named Name. It also holds, on PostgreSQL, what the aggregator knows about
// the ids handed out so far (see Bound); keep one per aggregator and use it one pass at a time.
type LogWatermark struct {
	Name  string
	Clock clock.Clock
	Log   *slog.Logger

	sequence  string    // PostgreSQL: the sequence behind execution_log.id
	candidate int64     // PostgreSQL: ids up to this were handed out before candAt
	candAt    time.Time //
	proven    bool      // no transaction open at candAt is left: candidate is a safe bound
	stuckLog  time.Time
}

// FoldBatch is how many log rows one pass of FoldLog should fold in by default: 20,000 on PostgreSQL; 5,000
// on SQLite, whose single connection the engine waits for meanwhile.
func (r Rollups) FoldBatch() int {
	if r.dialect == SQLite {
		return 5000
	}
	return 20000
}

// FoldLog folds in at most one batch of log rows: in one transaction it locks the watermark, calls fold with
// the range (lo, hi] of log ids to fold in, and moves the watermark to hi — fold's writes and the watermark
// commit together or not at all. moved says the watermark advanced; position is where it is.
//
// The range ends where no row can still commit below it. SQLite has one writer at a time, and AUTOINCREMENT
// ids are handed out inside the writing transaction: every row below the highest committed id is committed,
// and that id, read inside the pass, is the bound. On PostgreSQL an id comes from a sequence when the row is
// inserted, and the row shows when its transaction commits, possibly much later: the bound is the one Bound
// has proven (see there), and the pass runs in REPEATABLE READ, so a pass racing another instance's fails
// instead of counting twice — and counts nothing (moved is false; the next pass starts over).
func (r Rollups) FoldLog(ctx context.Context, w *LogWatermark, batch int, fold func(tx *Tx, lo, hi int64) error) (moved bool, position int64, err error) {
	q := &sqlQuery{d: r.dialect}
	if err := r.conn().QueryRowContext(ctx, "SELECT position FROM analytics_watermarks WHERE name = "+q.arg(w.Name), q.args...).Scan(&position); err != nil {
		return false, 0, fmt.Errorf("read the metrics watermark: %w", err)
	}
	bound := int64(-1) // SQLite: found inside the transaction
	opts := &sql.TxOptions{}
	if r.dialect == Postgres {
		if bound, err = r.bound(ctx, w, position, batch); err != nil {
			return false, position, err
		}
		if bound <= position {
			return false, position, nil
		}
		opts.Isolation = sql.LevelRepeatableRead
	}
	next := position
	err = r.q(ctx).Transaction(func(g *gorm.DB) error {
		tx := &Tx{g: g, dialect: r.dialect}
		in := tx.Rollups()
		q := &sqlQuery{d: r.dialect}
		lock := "SELECT position FROM analytics_watermarks WHERE name = " + q.arg(w.Name)
		if r.dialect == Postgres {
			lock += " FOR UPDATE"
		}
		var locked int64
		if err := in.conn().QueryRowContext(ctx, lock, q.args...).Scan(&locked); err != nil {
			return fmt.Errorf("lock the metrics watermark: %w", err)
		}
		if locked != position {
			return nil // another instance moved it since: decide again next pass
		}
		if bound < 0 {
			if err := in.conn().QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM execution_log").Scan(&bound); err != nil {
				return fmt.Errorf("find the newest log row: %w", err)
			}
		}
		hi := min(bound, position+int64(batch))
		if hi <= position {
			return nil
		}
		if err := fold(tx, position, hi); err != nil {
			return err
		}
		q = &sqlQuery{d: r.dialect}
		_, err := in.conn().ExecContext(ctx, "UPDATE analytics_watermarks SET position = "+q.arg(hi)+", updated_at = "+
			q.arg(w.Clock.Now().UTC())+" WHERE name = "+q.arg(w.Name), q.args...)
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

// serializationFailure is PostgreSQL's answer to a REPEATABLE READ transaction that lost a race: another
// instance moved the watermark meanwhile.
func serializationFailure(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// bound is, on PostgreSQL, the highest log id up to which every row has committed or rolled back, at least
// position. The aggregator reads the sequence (A, every id handed out so far) and then the server's clock
// (T). Any transaction holding an id ≤ A started before T. Once no transaction of this database that started
// at or before T is still open (pg_stat_activity's xact_start), every row with an id ≤ A has committed or
// rolled back, and the pass, whose snapshot is taken after that check, sees all committed ones. A becomes the
// bound. This needs no time limit on transactions: a long one only delays the rollups, never corrupts them.
// (It assumes the sequence hands out ids one at a time, the default CACHE 1, and that only this
// application's role writes the log.) The candidate bound is renewed when the current one is (about to be)
// used up.
func (r Rollups) bound(ctx context.Context, w *LogWatermark, position int64, batch int) (int64, error) {
	if w.candidate > position && !w.proven {
		oldest, err := r.oldestTransaction(ctx)
		if err != nil {
			return 0, err
		}
		w.proven = !oldest.Valid || oldest.Time.After(w.candAt)
		now := w.Clock.Now()
		if !w.proven && now.Sub(w.stuckLog) > 5*time.Minute && now.Sub(oldest.Time) > 5*time.Minute {
			w.stuckLog = now
			w.Log.Warn("a transaction open since "+oldest.Time.Format(time.RFC3339)+" holds back the metrics; end it to let them catch up",
				"database", "postgres")
		}
	}
	bound := position
	if w.proven {
		bound = w.candidate
	}
	if w.candidate <= position || (w.proven && bound-position <= int64(batch)) {
		allocated, err := r.AllocatedLogID(ctx, w)
		if err != nil {
			return 0, err
		}
		var at time.Time
		if err := r.conn().QueryRowContext(ctx, "SELECT clock_timestamp()").Scan(&at); err != nil {
			return 0, fmt.Errorf("read the database clock: %w", err)
		}
		if allocated > max(w.candidate, position) {
			w.candidate, w.candAt, w.proven = allocated, at, false
		}
	}
	return bound, nil
}

// oldestTransaction is when the oldest open transaction of another session on this database began.
func (r Rollups) oldestTransaction(ctx context.Context) (sql.NullTime, error) {
	var oldest sql.NullTime
	err := r.conn().QueryRowContext(ctx, `SELECT MIN(xact_start) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
		AND xact_start IS NOT NULL`).Scan(&oldest)
	if err != nil {
		return oldest, fmt.Errorf("look for open transactions: %w", err)
	}
	return oldest, nil
}

// AllocatedLogID is the highest log id handed out so far (PostgreSQL) or written (SQLite): once the
// watermark reaches it, every log row committed before the call is folded in.
func (r Rollups) AllocatedLogID(ctx context.Context, w *LogWatermark) (int64, error) {
	if r.dialect == SQLite {
		var n int64
		if err := r.conn().QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM execution_log").Scan(&n); err != nil {
			return 0, fmt.Errorf("find the newest log row: %w", err)
		}
		return n, nil
	}
	if w.sequence == "" {
		if err := r.conn().QueryRowContext(ctx, "SELECT pg_get_serial_sequence('execution_log', 'id')").Scan(&w.sequence); err != nil {
			return 0, fmt.Errorf("find the log's id sequence: %w", err)
		}
	}
	var last int64
	var called bool
	if err := r.conn().QueryRowContext(ctx, "SELECT last_value, is_called FROM "+w.sequence).Scan(&last, &called); err != nil {
		return 0, fmt.Errorf("read the log's id sequence: %w", err)
	}
	if !called {
		return last - 1, nil
	}
	return last, nil
}
