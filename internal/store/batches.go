package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Batch is a bulk action on the runs a filter matched when it was made.
type Batch struct {
	ID          string `gorm:"primaryKey"`
	Action      string
	Filter      JSON
	Description string
	CreatedBy   string
	CreatedAt   time.Time
	FinishedAt  *time.Time
	Total       int
}

// BatchItem is one run of a batch: pending, done, or failed (the action was refused, Message says why).
type BatchItem struct {
	BatchID     string `gorm:"primaryKey"`
	ExecutionID string `gorm:"primaryKey"`
	State       string
	Message     string
	DoneAt      *time.Time
}

// Batch item states.
const (
	ItemPending = "pending"
	ItemDone    = "done"
	ItemFailed  = "failed"
)

// ErrItemTaken means a batch item is no longer pending: another worker acted on its run already.
var ErrItemTaken = errors.New("the batch item was done already")

// RunMatch is a run a bulk filter matched, with what a preview says about it.
type RunMatch struct {
	ID, WorkflowID            string
	WorkflowVersion           int
	Status, CurrentStep       string
	FailedStep, Error         string
	CompletedAt, WaitingUntil *time.Time
}

// RunFilter is what a bulk action or an incident selects runs by; zero fields do not narrow.
type RunFilter struct {
	WorkflowID               string
	Version                  int
	Statuses                 []string
	Step                     string // the failed step of a failed run, the current step of another
	Since, Until             time.Time
	SubjectEntity, SubjectID string
	Query                    string
}

// MatchRuns lists up to limit runs (not test runs) that f matches, oldest first.
func (r Executions) MatchRuns(ctx context.Context, f RunFilter, limit int) ([]RunMatch, error) {
	q := r.q(ctx).Model(&Execution{}).Where("NOT test")
	if f.WorkflowID != "" {
		q = q.Where("workflow_id = ?", f.WorkflowID)
	}
	if f.Version > 0 {
		q = q.Where("workflow_version = ?", f.Version)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.Step != "" {
		q = q.Where("(failed_step = ? OR (failed_step = '' AND current_step = ?))", f.Step, f.Step)
	}
	if !f.Since.IsZero() {
		q = q.Where("started_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("started_at < ?", f.Until)
	}
	if f.SubjectEntity != "" {
		q = q.Where("subject_entity = ? AND subject_id = ?", f.SubjectEntity, f.SubjectID)
	}
	if words := queryWords(f.Query); len(words) > 0 {
		var err error
		if q, err = r.matching(ctx, q, words); err != nil {
			return nil, err
		}
	}
	var rows []Execution
	err := q.Select("id", "workflow_id", "workflow_version", "status", "current_step", "failed_step", "error", "completed_at", "waiting_until").
		Order("started_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("match runs: %w", err)
	}
	out := make([]RunMatch, len(rows))
	for i, x := range rows {
		out[i] = RunMatch{ID: x.ID, WorkflowID: x.WorkflowID, WorkflowVersion: x.WorkflowVersion, Status: x.Status,
			CurrentStep: x.CurrentStep, FailedStep: x.FailedStep, Error: x.Error, CompletedAt: x.CompletedAt, WaitingUntil: x.WaitingUntil}
	}
	return out, nil
}

// FailureGroup is the failed runs of one workflow, step and error text.
type FailureGroup struct {
	WorkflowID, FailedStep, Error string
	Count                         int
	First, Last                   time.Time
	Sample                        string // one run's id
}

// FailureFilter narrows FailureGroups to a workflow's version and the runs started since a time; zero
// fields do not narrow.
type FailureFilter struct {
	WorkflowID string
	Version    int
	Since      time.Time
}

// FailureGroups counts the failed runs (not test runs) by workflow, failed step and error, for the
// incidents page, which merges errors that say the same thing of different records.
func (r Executions) FailureGroups(ctx context.Context, f FailureFilter, limit int) ([]FailureGroup, error) {
	var raw []map[string]any
	q := r.q(ctx).Model(&Execution{}).Where("status = ? AND NOT test", "failed")
	if f.WorkflowID != "" {
		q = q.Where("workflow_id = ?", f.WorkflowID)
	}
	if f.Version > 0 {
		q = q.Where("workflow_version = ?", f.Version)
	}
	if !f.Since.IsZero() {
		q = q.Where("started_at >= ?", f.Since)
	}
	err := q.
		Select("workflow_id, failed_step, error, count(*) AS n, min(completed_at) AS first, max(completed_at) AS last, min(id) AS sample").
		Group("workflow_id, failed_step, error").Order("n DESC").Limit(limit).Find(&raw).Error
	if err != nil {
		return nil, fmt.Errorf("group failed runs: %w", err)
	}
	out := make([]FailureGroup, 0, len(raw))
	for _, m := range raw {
		g := FailureGroup{WorkflowID: fmt.Sprint(m["workflow_id"]), FailedStep: fmt.Sprint(m["failed_step"]),
			Error: fmt.Sprint(m["error"]), Sample: fmt.Sprint(m["sample"])}
		switch n := m["n"].(type) {
		case int64:
			g.Count = int(n)
		case int32:
			g.Count = int(n)
		case int:
			g.Count = n
		}
		for _, t := range []struct {
			v   any
			out *time.Time
		}{{m["first"], &g.First}, {m["last"], &g.Last}} {
			_ = (&scanTime{t.out}).Scan(t.v)
		}
		out = append(out, g)
	}
	return out, nil
}

// Create stores a batch and its runs, all pending.
func (r Batches) Create(ctx context.Context, b *Batch, runs []string) error {
	if err := r.q(ctx).Create(b).Error; err != nil {
		return fmt.Errorf("create batch: %w", err)
	}
	items := make([]BatchItem, len(runs))
	for i, id := range runs {
		items[i] = BatchItem{BatchID: b.ID, ExecutionID: id, State: ItemPending}
	}
	if len(items) > 0 {
		if err := r.q(ctx).CreateInBatches(items, 500).Error; err != nil {
			return fmt.Errorf("create batch items: %w", err)
		}
	}
	return nil
}

// ByID reads a batch; ErrNotFound when there is none.
func (r Batches) ByID(ctx context.Context, id string) (*Batch, error) {
	var b Batch
	err := r.q(ctx).Where("id = ?", id).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read batch %s: %w", id, err)
	}
	return &b, nil
}

// Recent lists the newest batches.
func (r Batches) Recent(ctx context.Context, limit int) ([]Batch, error) {
	var out []Batch
	if err := r.q(ctx).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	return out, nil
}

// Pending lists up to limit runs of a batch still to act on, in order.
func (r Batches) Pending(ctx context.Context, batchID string, limit int) ([]string, error) {
	var ids []string
	err := r.q(ctx).Model(&BatchItem{}).Where("batch_id = ? AND state = ?", batchID, ItemPending).
		Order("execution_id").Limit(limit).Pluck("execution_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("read batch %s: %w", batchID, err)
	}
	return ids, nil
}

// Counts are how many runs of a batch are in each state.
func (r Batches) Counts(ctx context.Context, batchID string) (map[string]int, error) {
	var rows []struct {
		State string
		N     int
	}
	err := r.q(ctx).Model(&BatchItem{}).Select("state, count(*) AS n").Where("batch_id = ?", batchID).Group("state").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count batch %s: %w", batchID, err)
	}
	out := map[string]int{}
	for _, x := range rows {
		out[x.State] = x.N
	}
	return out, nil
}

// Failures are the runs of a batch whose action was refused, with why.
func (r Batches) Failures(ctx context.Context, batchID string, limit int) ([]BatchItem, error) {
	var out []BatchItem
	err := r.q(ctx).Where("batch_id = ? AND state = ?", batchID, ItemFailed).Order("execution_id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("read batch %s: %w", batchID, err)
	}
	return out, nil
}

// Finish marks a batch finished.
func (r Batches) Finish(ctx context.Context, batchID string, at time.Time) error {
	return r.q(ctx).Model(&Batch{}).Where("id = ? AND finished_at IS NULL", batchID).Update("finished_at", at).Error
}

// EndItem moves a pending item to state (done or failed), in the transaction of the action on its run;
// ErrItemTaken when it was not pending.
func (r Batches) EndItem(ctx context.Context, batchID, executionID, state, message string, at time.Time) error {
	res := r.q(ctx).Model(&BatchItem{}).Where("batch_id = ? AND execution_id = ? AND state = ?", batchID, executionID, ItemPending).
		Updates(map[string]any{"state": state, "message": message, "done_at": at})
	if res.Error != nil {
		return fmt.Errorf("batch %s: mark run %s %s: %w", batchID, executionID, state, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrItemTaken
	}
	return nil
}

// MarkItemDone is the effect that marks a batch's run done in the commit of the action on it.
type MarkItemDone struct {
	BatchID, ExecutionID string
	At                   time.Time
}

// Apply implements Effect.
func (e MarkItemDone) Apply(ctx context.Context, tx *Tx) error {
	return tx.Batches().EndItem(ctx, e.BatchID, e.ExecutionID, ItemDone, "", e.At)
}
