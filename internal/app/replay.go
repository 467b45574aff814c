package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Replays take the last DefaultReplayRuns runs, and at most MaxReplayRuns.
const (
	DefaultReplayRuns = 100
	MaxReplayRuns     = 1000
)

// ReplayRequest is what to replay: a version (the latest when 0) over the last Runs runs of its workflow.
type ReplayRequest struct {
	Version int `json:"version"`
	Runs    int `json:"runs"`
}

// Replay is a draft played over the last runs of its workflow beside the published version, everything
// stubbed: where each run would go, what each step would make, and what changes.
type Replay struct {
	WorkflowID       string         `json:"workflowId"`
	Version          int            `json:"version"`
	PublishedVersion *int           `json:"publishedVersion"`
	Runs             []ReplayedRun  `json:"runs"`
	Steps            []ReplayedStep `json:"steps"`
	Paths            []PathCount    `json:"paths"`
	Totals           ReplayTotals   `json:"totals"`
	// Changed counts the runs that would go another way or end otherwise with the draft.
	Changed int   `json:"changed"`
	TookMs  int64 `json:"tookMs"`
}

// ReplayedRun is one past run, played through both versions.
type ReplayedRun struct {
	ExecutionID string    `json:"executionId"`
	StartedAt   time.Time `json:"startedAt"`
	// RanVersion is the version it ran on then; FromLastVariables says it is older than the record of
	// what runs start with, so its last variables stood in.
	RanVersion        int      `json:"ranVersion"`
	FromLastVariables bool     `json:"fromLastVariables,omitempty"`
	PublishedPath     []string `json:"publishedPath"`
	DraftPath         []string `json:"draftPath"`
	// The outcomes: completed, failed, or waiting (in a human task nobody answered then).
	PublishedOutcome string `json:"publishedOutcome"`
	DraftOutcome     string `json:"draftOutcome"`
	DraftFails       bool   `json:"draftFails,omitempty"`
	// Reason is why the draft fails or where it waits, in words.
	Reason  string `json:"reason,omitempty"`
	Changed bool   `json:"changed"`
}

// StepCounts is what a step would make over the replayed runs.
type StepCounts struct {
	Runs    int `json:"runs"` // runs that reach it
	Mails   int `json:"mails"`
	Tasks   int `json:"tasks"`   // human tasks and CRM to-dos
	Records int `json:"records"` // CRM records created or updated
	Calls   int `json:"calls"`   // API calls
}

func (c *StepCounts) add(p *engine.Produced) {
	c.Runs += p.Runs
	c.Mails += p.Mails
	c.Tasks += p.Tasks
	c.Records += p.Records
	c.Calls += p.Calls
}

// ReplayedStep is one step of either version: the draft's counts, and the published version's beside them.
type ReplayedStep struct {
	StepID string `json:"stepId"`
	Name   string `json:"name"`
	// InDraft and InPublished say which versions have the step.
	InDraft     bool `json:"inDraft"`
	InPublished bool `json:"inPublished"`
	StepCounts
	Published StepCounts `json:"published"`
}

// PathCount is how many runs take one path in each version.
type PathCount struct {
	Path      []string `json:"path"`
	Names     []string `json:"names"`
	Published int      `json:"published"`
	Draft     int      `json:"draft"`
}

// ReplayTotals sum each version over the replayed runs.
type ReplayTotals struct {
	Draft     VersionTotals `json:"draft"`
	Published VersionTotals `json:"published"`
}

// VersionTotals are one version's outcomes and what its steps would make; ExpectedSeconds is the mean
// time a run that completes would take (delays as configured, tasks as long as they took then, other
// steps as long as they take on average).
type VersionTotals struct {
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	Waiting   int `json:"waiting"`
	StepCounts
	ExpectedSeconds float64 `json:"expectedSeconds"`
}

// ReplayWorkflow plays a version of a workflow (a draft, usually) over the last runs of the workflow and
// the published version over the same runs, with every side effect stubbed: no mail, CRM write, task or
// API call is made, and nothing is stored.
func (a *App) ReplayWorkflow(ctx context.Context, actor *Actor, workflowID string, req ReplayRequest) (*Replay, error) {
	if err := requireManager(actor, "replay workflows"); err != nil {
		return nil, err
	}
	began := time.Now()
	n := req.Runs
	switch {
	case n == 0:
		n = DefaultReplayRuns
	case n < 0 || n > MaxReplayRuns:
		return nil, &ValidationError{Message: "the replay was not run", Details: []Detail{{Path: "runs",
			Message: fmt.Sprintf("replay between 1 and %d of the last runs", MaxReplayRuns)}}}
	}
	wf, err := findWorkflow(ctx, a.DB.Workflows(), workflowID)
	if err != nil {
		return nil, err
	}
	version := req.Version
	if version == 0 {
		version = wf.LatestVersion
	}
	draft, err := a.Engine.Plan(ctx, workflowID, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("workflow %q has no version %d", wf.Name, version)}
	}
	if err != nil {
		return nil, err
	}
	var published *workflow.Plan
	if wf.ActiveVersion != nil {
		if published, err = a.Engine.Plan(ctx, workflowID, *wf.ActiveVersion); err != nil {
			return nil, err
		}
	}
	sources, err := a.DB.Executions().ReplaySources(ctx, workflowID, n)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(sources))
	for i, s := range sources {
		ids[i] = s.ID
	}
	times, err := a.DB.Executions().StepTimes(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := &Replay{WorkflowID: workflowID, Version: version, PublishedVersion: wf.ActiveVersion,
		Runs: []ReplayedRun{}, Steps: []ReplayedStep{}, Paths: []PathCount{}}
	steps := newStepTable(draft, published)
	paths := map[string]*PathCount{}
	var durations [2]time.Duration
	for _, src := range sources {
		in, fromLast := replayInput(src, actor.Email, times)
		run := ReplayedRun{ExecutionID: src.ID, StartedAt: src.StartedAt, RanVersion: src.Version, FromLastVariables: fromLast,
			PublishedPath: []string{}}
		d := a.Engine.Replay(ctx, draft, in)
		run.DraftPath, run.DraftOutcome = orEmpty(d.Path), outcome(d.Status)
		run.DraftFails = d.Status == workflow.StatusFailed
		run.Reason = replayReason(draft, d)
		tally(&out.Totals.Draft, d, &durations[0])
		steps.add(d.Produced, false)
		pathOf(paths, draft, run.DraftPath).Draft++
		if published != nil {
			p := a.Engine.Replay(ctx, published, in)
			run.PublishedPath, run.PublishedOutcome = orEmpty(p.Path), outcome(p.Status)
			tally(&out.Totals.Published, p, &durations[1])
			steps.add(p.Produced, true)
			pathOf(paths, published, run.PublishedPath).Published++
		}
		run.Changed = published != nil && (!slices.Equal(run.DraftPath, run.PublishedPath) || run.DraftOutcome != run.PublishedOutcome)
		if run.Changed {
			out.Changed++
		}
		out.Runs = append(out.Runs, run)
	}
	out.Totals.Draft.ExpectedSeconds = meanSeconds(durations[0], out.Totals.Draft.Completed)
	out.Totals.Published.ExpectedSeconds = meanSeconds(durations[1], out.Totals.Published.Completed)
	out.Steps = steps.list()
	for _, p := range paths {
		out.Paths = append(out.Paths, *p)
	}
	slices.SortStableFunc(out.Paths, func(x, y PathCount) int {
		if c := (y.Draft + y.Published) - (x.Draft + x.Published); c != 0 {
			return c
		}
		return strings.Compare(strings.Join(x.Path, " "), strings.Join(y.Path, " "))
	})
	out.TookMs = time.Since(began).Milliseconds()
	return out, nil
}

// replayInput is what a past run replays from: the variables it started with (its last ones when it
// is older than that record), the answers of its human tasks by step (the last, when a step asked twice),
// and the step figures.
func replayInput(src store.ReplaySource, by string, times map[string]time.Duration) (engine.ReplayInput, bool) {
	raw, fromLast := src.Input, false
	if len(raw) == 0 || string(raw) == "null" {
		raw, fromLast = src.Variables, true
	}
	vars := map[string]any{}
	_ = json.Unmarshal(raw, &vars) // a row the engine wrote; an unreadable one replays with no variables
	in := engine.ReplayInput{RunID: src.ID, Variables: vars, StartedAt: src.StartedAt, StartedBy: by,
		Answers: map[string]map[string]any{}, AnsweredAfter: map[string]time.Duration{}, StepTime: times}
	for _, t := range src.Answered {
		values := map[string]any{}
		if err := json.Unmarshal(t.Values, &values); err != nil {
			continue
		}
		in.Answers[t.StepID] = values
		if t.CompletedAt != nil {
			in.AnsweredAfter[t.StepID] = t.CompletedAt.Sub(t.CreatedAt)
		}
	}
	return in, fromLast
}

func outcome(s workflow.ExecutionStatus) string {
	switch s {
	case workflow.StatusCompleted, workflow.StatusFailed:
		return string(s)
	}
	return "waiting"
}

func orEmpty(path []string) []string {
	if path == nil {
		return []string{}
	}
	return path
}

// replayReason says in words why a replayed run fails, or where it waits.
func replayReason(plan *workflow.Plan, r engine.ReplayResult) string {
	switch {
	case r.Status == workflow.StatusFailed && r.Error != "":
		return r.Error
	case r.Status == workflow.StatusFailed:
		return "it fails at " + quotedStepName(plan, r.FailedStep)
	case len(r.WaitsAt) > 0:
		names := make([]string, len(r.WaitsAt))
		for i, id := range r.WaitsAt {
			names[i] = quotedStepName(plan, id)
		}
		return "it would wait in " + strings.Join(names, " and ") + ": nobody answered that task in this run"
	}
	return ""
}

func quotedStepName(plan *workflow.Plan, id string) string {
	if s := plan.Step(id); s != nil && s.Name != "" {
		return fmt.Sprintf("%q", s.Name)
	}
	return fmt.Sprintf("%q", id)
}

func tally(t *VersionTotals, r engine.ReplayResult, took *time.Duration) {
	switch r.Status {
	case workflow.StatusCompleted:
		t.Completed++
		*took += r.Duration
	case workflow.StatusFailed:
		t.Failed++
	default:
		t.Waiting++
	}
	runs := t.Runs + 1 // a version's Runs are the runs replayed, not the sum of its steps' visits
	for _, p := range r.Produced {
		t.add(p)
	}
	t.Runs = runs
}

func meanSeconds(total time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return (total / time.Duration(n)).Round(time.Second).Seconds()
}

func pathOf(paths map[string]*PathCount, plan *workflow.Plan, path []string) *PathCount {
	key := strings.Join(path, "\x00")
	p := paths[key]
	if p == nil {
		names := make([]string, len(path))
		for i, id := range path {
			names[i] = id
			if s := plan.Step(id); s != nil && s.Name != "" {
				names[i] = s.Name
			}
		}
		p = &PathCount{Path: path, Names: names}
		paths[key] = p
	}
	return p
}

// stepTable keeps the steps of both versions in the draft's order, then the published version's own.
type stepTable struct {
	order []string
	rows  map[string]*ReplayedStep
}

func newStepTable(draft, published *workflow.Plan) *stepTable {
	t := &stepTable{rows: map[string]*ReplayedStep{}}
	for i, plan := range []*workflow.Plan{draft, published} {
		if plan == nil {
			continue
		}
		for _, s := range plan.Def.Steps {
			row := t.rows[s.ID]
			if row == nil {
				row = &ReplayedStep{StepID: s.ID, Name: s.Name}
				t.rows[s.ID] = row
				t.order = append(t.order, s.ID)
			}
			if i == 0 {
				row.InDraft = true
			} else {
				row.InPublished = true
			}
		}
	}
	return t
}

func (t *stepTable) add(produced map[string]*engine.Produced, published bool) {
	for id, p := range produced {
		row := t.rows[id]
		if row == nil {
			continue
		}
		if published {
			row.Published.add(p)
		} else {
			row.StepCounts.add(p)
		}
	}
}

func (t *stepTable) list() []ReplayedStep {
	out := make([]ReplayedStep, len(t.order))
	for i, id := range t.order {
		out[i] = *t.rows[id]
	}
	return out
}
