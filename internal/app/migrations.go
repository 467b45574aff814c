package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/words"
)

// MigrationRequest asks to move a workflow's waiting runs from one version to another: steps are matched
// by id, and Mapping (old step id → new step id) says where the runs waiting at a step the new version
// lacks, or has as another kind, go. A dry run only says where every run would land.
type MigrationRequest struct {
	FromVersion int               `json:"fromVersion"`
	ToVersion   int               `json:"toVersion"`
	Mapping     map[string]string `json:"mapping,omitempty"`
	DryRun      bool              `json:"dryRun"`
}

// MigrationPreview is where each waiting run lands, which cannot move and why, and, when the move started,
// the bulk action doing it.
type MigrationPreview struct {
	BatchID string         `json:"batchId,omitempty"`
	Movable int            `json:"movable"`
	Blocked int            `json:"blocked"`
	Preview string         `json:"preview"`
	Runs    []MigrationRun `json:"runs"`
	// Stuck are the steps whose runs cannot move as asked, for the manager to map.
	Stuck []StuckStep `json:"stuck"`
}

// MigrationRun is one waiting run's move.
type MigrationRun struct {
	ExecutionID string            `json:"executionId"`
	CanMove     bool              `json:"canMove"`
	Moves       []engine.StepMove `json:"moves,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	Step        string            `json:"step,omitempty"` // where a run that cannot move waits
	StepName    string            `json:"stepName,omitempty"`
}

// StuckStep is a step of the old version whose waiting runs cannot move, with how many and why.
type StuckStep struct {
	Step     string `json:"step"`
	StepName string `json:"stepName"`
	Runs     int    `json:"runs"`
	Reason   string `json:"reason"`
}

// MigrateRuns previews or starts the move of a workflow's waiting runs between versions. The move is a bulk
// action over the runs that can move: each run in one transaction, logged in the run, at most once.
func (a *App) MigrateRuns(ctx context.Context, actor *Actor, workflowID string, req MigrationRequest) (*MigrationPreview, error) {
	if err := requireManager(actor, "move runs between versions"); err != nil {
		return nil, err
	}
	if err := a.checkMigration(ctx, workflowID, req); err != nil {
		return nil, err
	}
	waiting, err := a.DB.Executions().MatchRuns(ctx, store.RunFilter{WorkflowID: workflowID, Version: req.FromVersion,
		Statuses: engine.BatchStatuses(engine.BatchMigrate)}, MaxBatchRuns+1)
	if err != nil {
		return nil, err
	}
	if len(waiting) > MaxBatchRuns {
		return nil, &ValidationError{Message: "too many runs", Details: []Detail{{Path: "fromVersion",
			Message: fmt.Sprintf("more than %d runs wait on version %d; move them in parts with POST /api/batches", MaxBatchRuns, req.FromVersion)}}}
	}
	ids := make([]string, len(waiting))
	for i, w := range waiting {
		ids[i] = w.ID
	}
	return a.migrate(ctx, actor, workflowID, req, ids)
}

// migrate previews or starts the move of the runs ids.
func (a *App) migrate(ctx context.Context, actor *Actor, workflowID string, req MigrationRequest, ids []string) (*MigrationPreview, error) {
	if err := a.checkMigration(ctx, workflowID, req); err != nil {
		return nil, err
	}
	planned, err := a.Engine.PlanMigrations(ctx, workflowID, req.FromVersion, req.ToVersion, req.Mapping, ids)
	if err != nil {
		return nil, err
	}
	p := &MigrationPreview{Runs: []MigrationRun{}, Stuck: []StuckStep{}}
	stuck := map[string]*StuckStep{}
	var movable []string
	for _, m := range planned {
		r := MigrationRun{ExecutionID: m.ExecutionID, CanMove: m.Err == nil, Moves: m.Moves}
		if m.Err != nil {
			r.Reason, r.Step, r.StepName = m.Err.Message, m.Err.Step, m.Err.StepName
			p.Blocked++
			key := m.Err.Step + "\x00" + m.Err.Message
			if s := stuck[key]; s != nil {
				s.Runs++
			} else {
				stuck[key] = &StuckStep{Step: m.Err.Step, StepName: m.Err.StepName, Runs: 1, Reason: m.Err.Message}
			}
		} else {
			p.Movable++
			movable = append(movable, m.ExecutionID)
		}
		p.Runs = append(p.Runs, r)
	}
	for _, s := range stuck {
		p.Stuck = append(p.Stuck, *s)
	}
	slices.SortFunc(p.Stuck, func(x, y StuckStep) int { return y.Runs - x.Runs })
	p.Preview = fmt.Sprintf("%s will move from version %d to version %d", words.Plural(p.Movable, "waiting run"), req.FromVersion, req.ToVersion)
	if p.Blocked > 0 {
		p.Preview += fmt.Sprintf("; %s cannot move as asked and will finish on version %d unless you map their step", words.Plural(p.Blocked, "run"), req.FromVersion)
	}
	p.Preview += "."
	if req.DryRun || len(movable) == 0 {
		return p, nil
	}
	b := &store.Batch{ID: engine.NewID(), Action: engine.BatchMigrate, Description: p.Preview, CreatedBy: actor.Email,
		CreatedAt: a.Clock.Now(), Total: len(movable),
		Filter: store.MustJSON(map[string]any{"workflowId": workflowID, "fromVersion": req.FromVersion, "toVersion": req.ToVersion, "mapping": req.Mapping})}
	err = a.createTx(ctx, func(tx *store.Tx) (any, error) {
		if err := tx.Batches().Create(ctx, b, movable); err != nil {
			return nil, err
		}
		err := a.Engine.InsertBatchTx(ctx, tx, engine.BatchArgs{BatchID: b.ID, Action: engine.BatchMigrate, By: actor.Email,
			FromVersion: req.FromVersion, ToVersion: req.ToVersion, Mapping: req.Mapping})
		p.BatchID = b.ID
		return p, err
	})
	if err != nil {
		return nil, err
	}
	a.audit(ctx, actor, "runs migrated", "workflow", workflowID, map[string]any{"version": req.FromVersion},
		map[string]any{"version": req.ToVersion, "mapping": req.Mapping, "runs": len(movable), "batch": b.ID})
	return p, nil
}

// checkMigration checks the versions and the mapping's targets.
func (a *App) checkMigration(ctx context.Context, workflowID string, req MigrationRequest) error {
	if req.FromVersion <= 0 || req.ToVersion <= 0 || req.FromVersion == req.ToVersion {
		return &ValidationError{Message: "which versions?", Details: []Detail{{Path: "toVersion",
			Message: "give fromVersion and toVersion, two different versions of the workflow"}}}
	}
	for _, v := range []int{req.FromVersion, req.ToVersion} {
		if _, err := a.Engine.Plan(ctx, workflowID, v); errors.Is(err, store.ErrNotFound) {
			return &ValidationError{Message: "no such version", Details: []Detail{{Path: "toVersion",
				Message: fmt.Sprintf("workflow %q has no version %d", workflowID, v)}}}
		} else if err != nil {
			return err
		}
	}
	to, _ := a.Engine.Plan(ctx, workflowID, req.ToVersion)
	var details []Detail
	for old, step := range req.Mapping {
		if to.Step(step) == nil {
			details = append(details, Detail{Path: "mapping." + old, Message: fmt.Sprintf("version %d has no step %q", req.ToVersion, step)})
		}
	}
	if len(details) > 0 {
		return &ValidationError{Message: "the mapping names steps the new version lacks", Details: details}
	}
	return nil
}
