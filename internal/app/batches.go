package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Incident is the failed runs of one workflow that failed at the same step for the same reason: "Send
// welcome email · recipient is empty · 14 runs since Tuesday".
type Incident struct {
	WorkflowID   string    `json:"workflowId"`
	WorkflowName string    `json:"workflowName"`
	StepID       string    `json:"stepId"`
	StepName     string    `json:"stepName"`
	Reason       string    `json:"reason"`
	Count        int       `json:"count"`
	Since        time.Time `json:"since"`
	Last         time.Time `json:"last"`
	// Sample is one of the runs, to open and look at.
	Sample string `json:"sample"`
}

// maxIncidentErrors bounds the distinct (workflow, step, error) rows read to build the incidents.
const maxIncidentErrors = 20_000

// Incidents groups the failed runs by workflow, step and reason, largest first.
func (a *App) Incidents(ctx context.Context, actor *Actor) ([]Incident, error) {
	if err := requireManager(actor, "see incidents"); err != nil {
		return nil, err
	}
	groups, err := a.DB.Executions().FailureGroups(ctx, store.FailureFilter{}, maxIncidentErrors)
	if err != nil {
		return nil, err
	}
	names, err := a.DB.Workflows().Names(ctx)
	if err != nil {
		return nil, err
	}
	byKey := map[[3]string]*Incident{}
	var out []*Incident
	for _, g := range groups {
		k := [3]string{g.WorkflowID, g.FailedStep, words.Reason(g.Error)}
		in := byKey[k]
		if in == nil {
			in = &Incident{WorkflowID: g.WorkflowID, WorkflowName: names[g.WorkflowID], StepID: g.FailedStep, Reason: k[2],
				Since: g.First, Last: g.Last, Sample: g.Sample}
			byKey[k] = in
			out = append(out, in)
		}
		in.Count += g.Count
		if !g.First.IsZero() && (in.Since.IsZero() || g.First.Before(in.Since)) {
			in.Since = g.First
		}
		if g.Last.After(in.Last) {
			in.Last, in.Sample = g.Last, g.Sample
		}
	}
	slices.SortStableFunc(out, func(x, y *Incident) int { return y.Count - x.Count })
	list := make([]Incident, len(out))
	for i, in := range out {
		in.StepName = a.failedStepName(ctx, in.WorkflowID, in.StepID)
		list[i] = *in
	}
	return list, nil
}

// failedStepName is a step's name in the workflow's latest version, or its id.
func (a *App) failedStepName(ctx context.Context, workflowID, stepID string) string {
	wf, err := a.DB.Workflows().Workflow(ctx, workflowID)
	if err == nil {
		if n := a.stepName(ctx, workflowID, wf.LatestVersion, stepID); n != "" {
			return n
		}
	}
	return stepID
}

// BatchFilter selects the runs of a bulk action; empty fields do not narrow it.
type BatchFilter struct {
	WorkflowID string     `json:"workflowId,omitempty"`
	Version    int        `json:"version,omitempty"`
	Status     string     `json:"status,omitempty"`
	Step       string     `json:"step,omitempty"`
	Reason     string     `json:"reason,omitempty"` // an incident's reason (words.Reason of the run's error)
	Since      *time.Time `json:"since,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
	Subject    string     `json:"subject,omitempty"` // entity:id
	Q          string     `json:"q,omitempty"`
}

// BatchRequest asks for a bulk action on the runs a filter matches; DryRun only says what it would do.
type BatchRequest struct {
	Action string      `json:"action"`
	Filter BatchFilter `json:"filter"`
	DryRun bool        `json:"dryRun"`
	// FromStep retries from this step instead of each run's failed step.
	FromStep string `json:"fromStep,omitempty"`
	// For migrate: the version the matched runs (filter.version) move to, and where the runs waiting at a
	// step it lacks go (old step id → new step id).
	ToVersion int               `json:"toVersion,omitempty"`
	Mapping   map[string]string `json:"mapping,omitempty"`
}

// BatchPreview is what a bulk action does or would do: how many runs, in words.
type BatchPreview struct {
	ID      string   `json:"id,omitempty"` // empty for a dry run
	Matched int      `json:"matched"`
	Preview string   `json:"preview"`
	Runs    []string `json:"runs"` // the first runs, by id
}

// BatchView is a bulk action's progress.
type BatchView struct {
	ID          string       `json:"id"`
	Action      string       `json:"action"`
	Description string       `json:"description"`
	State       string       `json:"state"` // running or done
	Total       int          `json:"total"`
	Done        int          `json:"done"`
	Failed      int          `json:"failed"`
	CreatedBy   string       `json:"createdBy"`
	CreatedAt   time.Time    `json:"createdAt"`
	FinishedAt  *time.Time   `json:"finishedAt,omitempty"`
	Failures    []BatchFault `json:"failures"`
	Filter      BatchFilter  `json:"filter"`
}

// BatchFault is a run a bulk action did not fit, and why.
type BatchFault struct {
	ExecutionID string `json:"executionId"`
	Message     string `json:"message"`
}

// MaxBatchRuns is the most runs one bulk action acts on.
const MaxBatchRuns = 10_000

// BatchVerb says what a bulk action does to a run, as a past participle: "retried", "moved".
func BatchVerb(action string) string { return batchVerbs[action] }

var batchVerbs = map[string]string{engine.BatchRetry: "retried", engine.BatchCancel: "cancelled", engine.BatchWake: "woken", engine.BatchMigrate: "moved"}

// StartBatch matches the request's filter and, unless it is a dry run, stores the batch with its runs and
// enqueues the durable job that acts on them, in one transaction.
func (a *App) StartBatch(ctx context.Context, actor *Actor, req BatchRequest) (*BatchPreview, error) {
	if err := requireManager(actor, "act on many runs at once"); err != nil {
		return nil, err
	}
	if req.Action == engine.BatchMigrate {
		return a.migrateByFilter(ctx, actor, req)
	}
	matched, err := a.matchBatch(ctx, req)
	if err != nil {
		return nil, err
	}
	p := &BatchPreview{Matched: len(matched), Preview: a.previewText(ctx, req, matched)}
	for i := 0; i < len(matched) && i < 20; i++ {
		p.Runs = append(p.Runs, matched[i].ID)
	}
	if req.DryRun {
		return p, nil
	}
	if len(matched) == 0 {
		return nil, &ValidationError{Message: "no run matches", Details: []Detail{{Path: "filter", Message: "no run matches the filter, so there is nothing to do"}}}
	}
	ids := make([]string, len(matched))
	for i, m := range matched {
		ids[i] = m.ID
	}
	b := &store.Batch{ID: engine.NewID(), Action: req.Action, Filter: store.MustJSON(req.Filter), Description: p.Preview,
		CreatedBy: actor.Email, CreatedAt: a.Clock.Now(), Total: len(ids)}
	err = a.createTx(ctx, func(tx *store.Tx) (any, error) {
		if err := tx.Batches().Create(ctx, b, ids); err != nil {
			return nil, err
		}
		if err := a.Engine.InsertBatchTx(ctx, tx, engine.BatchArgs{BatchID: b.ID, Action: req.Action, By: actor.Email, FromStep: req.FromStep}); err != nil {
			return nil, err
		}
		p.ID = b.ID
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	a.audit(ctx, actor, "bulk "+req.Action, "batch", b.ID, nil, map[string]any{"filter": req.Filter, "runs": len(ids), "preview": p.Preview})
	return p, nil
}

func (a *App) matchBatch(ctx context.Context, req BatchRequest) ([]store.RunMatch, error) {
	statuses := engine.BatchStatuses(req.Action)
	if statuses == nil {
		msg := fmt.Sprintf("%q is not a bulk action; use retry, cancel, wake or migrate", req.Action)
		return nil, &ValidationError{Message: "unknown action", Details: []Detail{{Path: "action", Message: msg}}}
	}
	f := req.Filter
	sf := store.RunFilter{WorkflowID: f.WorkflowID, Version: f.Version, Statuses: statuses, Step: f.Step, Query: f.Q}
	if f.Status != "" {
		if !slices.Contains(statuses, f.Status) {
			return nil, &ValidationError{Message: "status does not fit the action", Details: []Detail{{Path: "filter.status",
				Message: fmt.Sprintf("runs that are %s cannot be %s; the action applies to %s runs", f.Status, batchVerbs[req.Action], words.List(statuses))}}}
		}
		sf.Statuses = []string{f.Status}
	}
	if f.Since != nil {
		sf.Since = *f.Since
	}
	if f.Until != nil {
		sf.Until = *f.Until
	}
	var err error
	if sf.SubjectEntity, sf.SubjectID, err = parseSubject("filter.subject", f.Subject); err != nil {
		return nil, err
	}
	rows, err := a.DB.Executions().MatchRuns(ctx, sf, MaxBatchRuns+1)
	if err != nil {
		return nil, err
	}
	if f.Reason != "" {
		kept := rows[:0]
		for _, r := range rows {
			if words.Reason(r.Error) == f.Reason {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	if len(rows) > MaxBatchRuns {
		return nil, &ValidationError{Message: "too many runs", Details: []Detail{{Path: "filter",
			Message: fmt.Sprintf("more than %d runs match; narrow the filter (a workflow, a step, dates) and act on them in parts", MaxBatchRuns)}}}
	}
	return rows, nil
}

// previewText says what a bulk action does: "37 runs will be retried from Send welcome email".
func (a *App) previewText(ctx context.Context, req BatchRequest, runs []store.RunMatch) string {
	verb := batchVerbs[req.Action]
	if len(runs) == 0 {
		return "No run matches, so none will be " + verb + "."
	}
	count := map[string]int{}
	var steps []string
	for _, r := range runs {
		step := r.CurrentStep
		if req.Action == engine.BatchRetry {
			step = r.FailedStep
			if req.FromStep != "" {
				step = req.FromStep
			}
		}
		name := a.stepName(ctx, r.WorkflowID, r.WorkflowVersion, step)
		if name == "" {
			name = step
		}
		if count[name] == 0 {
			steps = append(steps, name)
		}
		count[name]++
	}
	where := map[string]string{engine.BatchRetry: "from", engine.BatchCancel: "at", engine.BatchWake: "at"}[req.Action]
	head := fmt.Sprintf("%s will be %s", words.Plural(len(runs), "run"), verb)
	if len(steps) == 1 {
		return fmt.Sprintf("%s %s %s.", head, where, steps[0])
	}
	slices.SortStableFunc(steps, func(x, y string) int { return count[y] - count[x] })
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%d %s %s", count[s], where, s)
	}
	return head + ": " + words.List(parts) + "."
}

// GetBatch reads a bulk action's progress.
func (a *App) GetBatch(ctx context.Context, actor *Actor, id string) (*BatchView, error) {
	if err := requireManager(actor, "see bulk actions"); err != nil {
		return nil, err
	}
	b, err := a.DB.Batches().ByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no bulk action %q", id)}
	}
	if err != nil {
		return nil, err
	}
	counts, err := a.DB.Batches().Counts(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &BatchView{ID: b.ID, Action: b.Action, Description: b.Description, State: "running", Total: b.Total,
		Done: counts[store.ItemDone], Failed: counts[store.ItemFailed], CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt,
		FinishedAt: b.FinishedAt, Failures: []BatchFault{}}
	if b.FinishedAt != nil {
		v.State = "done"
	}
	_ = b.Filter.Decode(&v.Filter)
	faults, err := a.DB.Batches().Failures(ctx, id, 50)
	if err != nil {
		return nil, err
	}
	for _, f := range faults {
		v.Failures = append(v.Failures, BatchFault{ExecutionID: f.ExecutionID, Message: f.Message})
	}
	return v, nil
}

// RecentBatches lists the newest bulk actions with their progress.
func (a *App) RecentBatches(ctx context.Context, actor *Actor) ([]BatchView, error) {
	if err := requireManager(actor, "see bulk actions"); err != nil {
		return nil, err
	}
	rows, err := a.DB.Batches().Recent(ctx, 10)
	if err != nil {
		return nil, err
	}
	out := make([]BatchView, 0, len(rows))
	for _, b := range rows {
		v, err := a.GetBatch(ctx, actor, b.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// IncidentRetry is the bulk retry of one incident's runs.
func IncidentRetry(in Incident) BatchRequest {
	return BatchRequest{Action: engine.BatchRetry, Filter: BatchFilter{WorkflowID: in.WorkflowID, Step: in.StepID,
		Status: string(workflow.StatusFailed), Reason: in.Reason}}
}

// migrateByFilter is a bulk migrate: the runs the filter matches (of filter.workflowId, waiting on
// filter.version) that can move to req.ToVersion, as MigrateRuns moves them.
func (a *App) migrateByFilter(ctx context.Context, actor *Actor, req BatchRequest) (*BatchPreview, error) {
	f := req.Filter
	if f.WorkflowID == "" || f.Version == 0 || req.ToVersion == 0 {
		return nil, &ValidationError{Message: "which versions?", Details: []Detail{{Path: "filter.version",
			Message: "a migrate names the workflow (filter.workflowId), the version its runs wait on (filter.version) and toVersion"}}}
	}
	matched, err := a.matchBatch(ctx, BatchRequest{Action: engine.BatchMigrate, Filter: f})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(matched))
	for i, m := range matched {
		ids[i] = m.ID
	}
	p, err := a.migrate(ctx, actor, f.WorkflowID, MigrationRequest{FromVersion: f.Version, ToVersion: req.ToVersion, Mapping: req.Mapping, DryRun: req.DryRun}, ids)
	if err != nil {
		return nil, err
	}
	out := &BatchPreview{ID: p.BatchID, Matched: len(matched), Preview: p.Preview, Runs: []string{}}
	for i := 0; i < len(p.Runs) && i < 20; i++ {
		out.Runs = append(out.Runs, p.Runs[i].ExecutionID)
	}
	return out, nil
}
