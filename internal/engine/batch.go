package engine

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Bulk actions a batch may take on each of its runs.
const (
	BatchRetry  = "retry"
	BatchCancel = "cancel"
	BatchWake   = "wake"
	// BatchMigrate moves waiting runs from FromVersion to ToVersion (steps by id, or Mapping).
	BatchMigrate = "migrate"
)

// BatchArgs is the durable job that works through a batch's runs (store.Batches). Each run's item is marked
// done in the commit of the action on the run, so however often the job runs (a restart, a takeover), no run
// is acted on twice.
type BatchArgs struct {
	BatchID  string `json:"batchId"`
	Action   string `json:"action"`
	By       string `json:"by"`
	FromStep string `json:"fromStep,omitempty"`
	// For migrate: the versions and the mapping of old step ids to new ones.
	FromVersion int               `json:"fromVersion,omitempty"`
	ToVersion   int               `json:"toVersion,omitempty"`
	Mapping     map[string]string `json:"mapping,omitempty"`
}

// Kind implements river.JobArgs.
func (BatchArgs) Kind() string { return "run_batch" }

type batchWorker struct {
	river.WorkerDefaults[BatchArgs]
	e *Engine
}

// Timeout implements river.Worker: a batch of thousands of runs takes longer than one step.
func (w *batchWorker) Timeout(*river.Job[BatchArgs]) time.Duration { return time.Hour }

func (w *batchWorker) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	return w.e.RunBatch(ctx, job.Args)
}

const batchChunk = 50

// RunBatch acts on every pending run of a batch, and marks the batch finished. When this instance is
// stopping, it stops between two runs and snoozes the job, which this or another instance takes up again.
func (e *Engine) RunBatch(ctx context.Context, a BatchArgs) error {
	for {
		ids, err := e.db.Batches().Pending(ctx, a.BatchID, batchChunk)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return e.db.Batches().Finish(ctx, a.BatchID, e.clock.Now())
		}
		for _, id := range ids {
			if e.stopping() {
				return river.JobSnooze(time.Second)
			}
			if err := e.batchItem(ctx, a, id); err != nil {
				return err
			}
			if e.cfg.OnBatchItem != nil {
				e.cfg.OnBatchItem(e.loopCtx, a.BatchID)
			}
		}
	}
}

// stopping says whether Stop has begun.
func (e *Engine) stopping() bool { return e.loopCtx != nil && e.loopCtx.Err() != nil }

// batchItem acts on one run of a batch. A run the action no longer fits (retried or finished since) is
// marked failed with the reason, and the batch goes on.
func (e *Engine) batchItem(ctx context.Context, a BatchArgs, id string) error {
	done := store.MarkItemDone{BatchID: a.BatchID, ExecutionID: id, At: e.clock.Now()}
	var err error
	switch a.Action {
	case BatchRetry:
		err = e.fix(ctx, id, a.By, nil, retryOp(a.FromStep, a.By), []store.Effect{done})
	case BatchCancel:
		_, err = e.operateWith(ctx, id, func(ex *loaded, now time.Time) (Transition, []store.Effect, error) {
			tr, err := Cancel(ex.plan, ex.run, a.By, now)
			return tr, []store.Effect{done}, err
		})
		if err == nil {
			e.stopRunningJobs(ctx, id)
		}
	case BatchWake:
		_, err = e.operateWith(ctx, id, func(ex *loaded, now time.Time) (Transition, []store.Effect, error) {
			tr, err := Wake(ex.plan, ex.run, a.By, now)
			return tr, []store.Effect{done}, err
		})
	case BatchMigrate:
		err = e.MoveRun(ctx, id, a.FromVersion, a.ToVersion, a.Mapping, a.By, done)
	default:
		err = &OpError{Field: "action", Message: "unknown bulk action " + a.Action}
	}
	var op *OpError
	var move *MoveError
	switch {
	case err == nil, errors.Is(err, store.ErrItemTaken):
		return nil
	case errors.Is(err, ErrNotFailed), errors.Is(err, ErrFinished), errors.Is(err, ErrNothingToWake),
		errors.Is(err, store.ErrNotFound), errors.As(err, &op), errors.As(err, &move):
		err = e.db.Batches().EndItem(ctx, a.BatchID, id, store.ItemFailed, refusal(err), e.clock.Now())
		if errors.Is(err, store.ErrItemTaken) {
			return nil
		}
		return err
	}
	return err
}

// refusal says in a few words why a batch's action did not fit a run.
func refusal(err error) string {
	switch {
	case errors.Is(err, ErrNotFailed):
		return "the run was no longer failed (retried or fixed since)"
	case errors.Is(err, ErrFinished):
		return "the run had finished"
	case errors.Is(err, ErrNothingToWake):
		return "the run was not waiting for a delay"
	case errors.Is(err, store.ErrNotFound):
		return "the run is gone"
	}
	return err.Error()
}

// InsertBatchTx enqueues the job of a batch inside tx: it runs only if the batch is stored.
func (e *Engine) InsertBatchTx(ctx context.Context, tx *store.Tx, a BatchArgs) error {
	return e.EnqueueTx(ctx, tx, a)
}

// Bulk actions apply to runs in these statuses.
var batchStatuses = map[string][]string{
	BatchRetry:   {string(workflow.StatusFailed)},
	BatchCancel:  {string(workflow.StatusRunning), string(workflow.StatusPaused)},
	BatchWake:    {string(workflow.StatusRunning), string(workflow.StatusPaused)},
	BatchMigrate: {string(workflow.StatusRunning), string(workflow.StatusPaused)},
}

// BatchStatuses are the statuses of the runs a bulk action applies to; nil for an unknown action.
func BatchStatuses(action string) []string { return batchStatuses[action] }
