package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/analytics"
	"github.com/kitchenpantry/pantryflow/internal/analytics/rollup"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// SuggestionList is the optimization suggestions for a workflow: about its active version (or its latest one,
// when none is published), from that version's executions over the last 30 days.
type SuggestionList struct {
	WorkflowID string                 `json:"workflowId"`
	Version    int                    `json:"version"`
	Timeframe  analytics.Timeframe    `json:"timeframe"`
	From       time.Time              `json:"from"`
	To         time.Time              `json:"to"`
	Runs       int64                  `json:"runs"` // executions of the version in the timeframe
	Items      []analytics.Suggestion `json:"items"`
	Total      int                    `json:"total"`
}

// Suggestions computes the optimization suggestions of a workflow.
func (a *App) Suggestions(ctx context.Context, id string) (*SuggestionList, error) {
	list, _, err := a.suggestions(ctx, id)
	return list, err
}

func (a *App) suggestions(ctx context.Context, id string) (*SuggestionList, *workflow.Definition, error) {
	wf, err := findWorkflow(ctx, a.DB.Workflows(), id)
	if err != nil {
		return nil, nil, err
	}
	version := wf.LatestVersion
	if wf.ActiveVersion != nil {
		version = *wf.ActiveVersion
	}
	def, err := a.GetDefinition(ctx, id, version)
	if err != nil {
		return nil, nil, err
	}
	plan, err := a.Engine.Plan(ctx, id, version)
	if err != nil {
		return nil, nil, fmt.Errorf("suggestions for %s v%d: %w", id, version, err)
	}
	now := a.Clock.Now()
	from, to := analytics.Month.Window(now)
	agg, err := rollup.Load(ctx, a.DB, rollup.Query{Workflow: id, Version: version, From: from, To: to, Steps: true, StepHours: true, Days: true})
	if err != nil {
		return nil, nil, err
	}
	tasks, err := rollup.OpenTasks(ctx, a.DB, id, now)
	if err != nil {
		return nil, nil, err
	}
	open := map[string]*analytics.OpenTasks{}
	var opens []analytics.OpenTasks
	for _, t := range tasks {
		o := open[t.Step]
		if o == nil {
			o = &analytics.OpenTasks{Step: t.Step}
			open[t.Step] = o
		}
		o.Open += t.Open
		o.WithDue += t.WithDue
		o.Overdue += t.Overdue
	}
	for _, o := range open {
		opens = append(opens, *o)
	}
	groups, err := a.DB.Executions().FailureGroups(ctx, store.FailureFilter{WorkflowID: id, Version: version, Since: from}, maxIncidentErrors)
	if err != nil {
		return nil, nil, err
	}
	byReason := map[[2]string]int64{}
	var failures []analytics.FailureReason
	for _, g := range groups {
		k := [2]string{g.FailedStep, words.Reason(g.Error)}
		byReason[k] += int64(g.Count)
	}
	for k, n := range byReason {
		failures = append(failures, analytics.FailureReason{Step: k[0], Reason: k[1], Runs: n})
	}
	items := analytics.Suggest(analytics.SuggestInput{Def: def, Plan: plan, Agg: agg, Open: opens, Failures: failures})
	if items == nil {
		items = []analytics.Suggestion{}
	}
	if err := a.markApplied(ctx, id, version, wf.LatestVersion, items); err != nil {
		return nil, nil, err
	}
	sum := analytics.Summarize(agg.Runs)
	return &SuggestionList{WorkflowID: id, Version: version, Timeframe: analytics.Month, From: from, To: to,
		Runs: sum.Statuses.Total(), Items: items, Total: len(items)}, def, nil
}

// markApplied sets AppliedIn on the suggestions that a version after the active one has made already.
func (a *App) markApplied(ctx context.Context, id string, active, latest int, items []analytics.Suggestion) error {
	for v := active + 1; v <= latest; v++ {
		def, err := a.GetDefinition(ctx, id, v)
		if err != nil {
			return err
		}
		for i := range items {
			if items[i].AppliedIn == 0 && items[i].Applicable && analytics.Applied(def, items[i].Fix) {
				items[i].AppliedIn = v
			}
		}
	}
	return nil
}

// AppliedSuggestion is the draft version applying a suggestion made, with its differences from the version
// the suggestion was about, and where to review it.
type AppliedSuggestion struct {
	WorkflowID  string               `json:"workflowId"`
	Version     int                  `json:"version"`
	BaseVersion int                  `json:"baseVersion"`
	Suggestion  analytics.Suggestion `json:"suggestion"`
	Diff        DiffView             `json:"diff"`
	DesignerURL string               `json:"designerUrl"`
	DiffURL     string               `json:"diffUrl"`
	// AlreadyApplied says the newest version has the change already: no version was made.
	AlreadyApplied bool `json:"alreadyApplied,omitempty"`
	// PublishedVersion is the version the suggestion was about (the active one).
	PublishedVersion int `json:"publishedVersion"`
}

// DiffView is a VersionDiff as JSON.
type DiffView struct {
	From     int          `json:"from"`
	To       int          `json:"to"`
	Steps    []StepChange `json:"steps"`
	Settings []string     `json:"settings"`
}

// ApplySuggestion makes the change of a mechanical suggestion in a new draft version (which passes
// validation) for a person to review in the designer and publish. Suggestions that need a decision cannot
// be applied (a conflict, with the reason).
func (a *App) ApplySuggestion(ctx context.Context, actor *Actor, id, suggestionID string) (*AppliedSuggestion, error) {
	if err := requireManager(actor, "apply suggestions"); err != nil {
		return nil, err
	}
	list, before, err := a.suggestions(ctx, id)
	if err != nil {
		return nil, err
	}
	var s *analytics.Suggestion
	for i := range list.Items {
		if list.Items[i].ID == suggestionID {
			s = &list.Items[i]
		}
	}
	if s == nil {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf(
			"workflow %q has no suggestion %q now: the suggestions follow its latest data and its active version; reload them", id, suggestionID)}
	}
	if !s.Applicable {
		return nil, fail(ErrConflict, "this suggestion cannot be applied automatically: "+s.NotApplicable)
	}
	// Onto the newest version, draft or not, so suggestions applied one after another build on each other.
	base, baseVersion := before, list.Version
	if wf, err := findWorkflow(ctx, a.DB.Workflows(), id); err != nil {
		return nil, err
	} else if wf.LatestVersion > list.Version {
		if base, err = a.GetDefinition(ctx, id, wf.LatestVersion); err != nil {
			return nil, err
		}
		baseVersion = wf.LatestVersion
	}
	if analytics.Applied(base, s.Fix) {
		v := baseVersion
		if s.AppliedIn > 0 {
			v = s.AppliedIn
		}
		return &AppliedSuggestion{WorkflowID: id, Version: v, BaseVersion: baseVersion, Suggestion: *s, AlreadyApplied: true, PublishedVersion: list.Version,
			Diff:        DiffView{From: list.Version, To: v, Steps: []StepChange{}, Settings: []string{}},
			DesignerURL: fmt.Sprintf("/workflows/%s/designer?version=%d", id, v),
			DiffURL:     fmt.Sprintf("/workflows/%s/diff?from=%d&to=%d", id, list.Version, v)}, nil
	}
	after, err := analytics.Apply(base, s.Fix)
	if errors.Is(err, analytics.ErrNotApplicable) {
		return nil, fail(ErrConflict, "this suggestion cannot be applied automatically")
	}
	if err != nil {
		return nil, fail(ErrConflict, fmt.Sprintf("the newest version (v%d) changed the steps this suggestion is about (%v), so it cannot be applied to it automatically; make the change in the designer", baseVersion, err))
	}
	after.ID = ""
	saved, err := a.SaveDraft(ctx, actor, id, after)
	if err != nil {
		return nil, err
	}
	stored, err := a.GetDefinition(ctx, id, saved.Version)
	if err != nil {
		return nil, err
	}
	d := DiffDefinitions(base, stored, baseVersion, saved.Version)
	diff := DiffView{From: d.From, To: d.To, Steps: d.Steps, Settings: d.Settings}
	if diff.Steps == nil {
		diff.Steps = []StepChange{}
	}
	if diff.Settings == nil {
		diff.Settings = []string{}
	}
	return &AppliedSuggestion{WorkflowID: id, Version: saved.Version, BaseVersion: baseVersion, Suggestion: *s, Diff: diff, PublishedVersion: list.Version,
		DesignerURL: fmt.Sprintf("/workflows/%s/designer?version=%d", id, saved.Version),
		DiffURL:     fmt.Sprintf("/workflows/%s/diff?from=%d&to=%d", id, baseVersion, saved.Version)}, nil
}
