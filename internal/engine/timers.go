package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Delays and retry backoffs are durable timers: the waiting branch records its wake time in the execution's
// state, waiting_until indexes the earliest one, and when the engine's clock passes it, one transaction makes
// the branch ready and enqueues its job. Using the injected clock (not River's scheduler, which reads the
// database's clock) lets tests move time by days; the row's revision check makes the firing exactly-once when
// several instances poll.

const timerBatch = 200

func (e *Engine) timerLoop(ctx context.Context) {
	defer e.loops.Done()
	ticker := time.NewTicker(e.cfg.TimerInterval)
	defer ticker.Stop()
	sweepEvery := max(1, int(e.cfg.StaleAfter/e.cfg.TimerInterval/2))
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if _, err := e.FireDue(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("fire due timers", "error", err)
		}
		if _, err := e.FireTaskTimers(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("fire task reminders and escalations", "error", err)
		}
		if _, err := e.SendDigests(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("send the daily digests", "error", err)
		}
		if tick%sweepEvery == 0 {
			if _, err := e.Recover(ctx, e.clock.Now().Add(-e.cfg.StaleAfter)); err != nil && ctx.Err() == nil {
				e.log.Error("sweep stale branches", "error", err)
			}
		}
	}
}

// FireDue wakes every branch whose delay or retry backoff is over, and returns how many executions it moved.
func (e *Engine) FireDue(ctx context.Context) (int, error) {
	now := e.clock.Now()
	ids, err := e.db.Executions().Due(ctx, now, []string{string(workflow.StatusRunning), string(workflow.StatusPaused)}, timerBatch)
	if err != nil {
		return 0, err
	}
	fired := 0
	for _, id := range ids {
		moved, err := e.operate(ctx, id, func(ex *loaded, now time.Time) (Transition, error) {
			return FireTimers(ex.plan, ex.run, now), nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fired, err
		}
		if moved {
			fired++
		}
	}
	return fired, nil
}

// Recover gives a new job to every ready branch of a running execution last changed before before (all of
// them when before is zero) that has no advance job waiting or running: a safety net for a branch whose
// job was lost (discarded after its attempts ran out, say). The jobs of a dead instance are taken over
// through the heartbeats (instances.go), not here: a branch with a job in River — running on a living
// instance, or about to run again — gets no second one, which would run its step twice at once.
func (e *Engine) Recover(ctx context.Context, before time.Time) (int, error) {
	jobs := 0
	err := e.db.Executions().StatesInBatches(ctx, string(workflow.StatusRunning), before, 500, func(rows []store.Execution) error {
		ids := make([]string, 0, len(rows))
		for _, row := range rows {
			ids = append(ids, row.ID)
		}
		pending, err := e.db.PendingAdvanceJobs(ctx, AdvanceArgs{}.Kind(), ids)
		if err != nil {
			return err
		}
		var params []river.InsertManyParams
		for _, row := range rows {
			var st State
			if err := row.State.Decode(&st); err != nil {
				return fmt.Errorf("execution %s: %w", row.ID, err)
			}
			for _, b := range st.Branches {
				if b.State == BranchReady && !pending[store.JobKey{ExecutionID: row.ID, BranchID: b.ID}] {
					params = append(params, river.InsertManyParams{Args: AdvanceArgs{ExecutionID: row.ID, BranchID: b.ID}})
				}
			}
		}
		if len(params) == 0 {
			return nil
		}
		if _, err := e.river.InsertMany(ctx, params); err != nil {
			return fmt.Errorf("enqueue ready branches: %w", err)
		}
		jobs += len(params)
		return nil
	})
	if err != nil {
		return jobs, fmt.Errorf("recover ready branches: %w", err)
	}
	if jobs > 0 {
		e.log.Info("re-enqueued ready branches", "jobs", jobs)
	}
	return jobs, nil
}
